#include "sftpd/audit/query.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "config/config.h"
#include "sftpd/audit/audit.h"
#include "sftpd/audit/request_ops.h"

namespace sftpd {

namespace {

// A line longer than this is not one the server wrote (its fields are cut
// to 4 KiB each): reported as corrupt, and skipped without being held.
constexpr size_t kMaxLine = 1 << 20;

constexpr OpClass kClasses[] = {
    {"read",
     "opens for reading, listings, closes that read bytes, and "
     "refused reads"},
    {"write",
     "opens for writing, closes that wrote bytes, setstat, mkdir, "
     "symlink, link, copy"},
    {"delete", "remove and rmdir"},
    {"rename", "rename"},
    {"change", "write, delete and rename together"},
    {"login", "logins, refused ones too"},
    {"logout", "session ends"},
    {"refused", "every refusal, with the rule that refused"},
};

// Ops the server writes that are not rows of the request table.
constexpr std::string_view kOtherOps[] = {"login", "logout",  "ban",    "unban",
                                          "kick",  "control", "channel"};

bool Contains(std::string_view s, char c) {
  return s.find(c) != std::string_view::npos;
}

// What the request table says an op does.
OpEffect EffectOf(std::string_view op) {
  for (const RequestOp& row : kRequestOps) {
    if (row.audit_op == op || row.name == op) return row.effect;
  }
  return OpEffect::kNone;
}

bool OpensForWriting(const AuditRecord& r) {
  // The open flags as FormatAuditEvent's caller writes them: r w a c t x.
  return Contains(r.detail, 'w') || Contains(r.detail, 'a') ||
         Contains(r.detail, 'c') || Contains(r.detail, 't');
}

bool IsDelete(const AuditRecord& r) {
  return r.op == "remove" || r.op == "rmdir";
}

bool IsRead(const AuditRecord& r) {
  if (r.op == "open") return !OpensForWriting(r);
  if (r.op == "close") return r.bytes_read > 0;
  return EffectOf(r.op) == OpEffect::kRead;
}

bool IsWrite(const AuditRecord& r) {
  if (r.op == "open") return OpensForWriting(r);
  if (r.op == "close") return r.bytes_written > 0;
  return EffectOf(r.op) == OpEffect::kWrite && !IsDelete(r) && r.op != "rename";
}

bool IsRefused(const AuditRecord& r) {
  return !r.rule.empty() || r.result == "refused";
}

bool InClass(std::string_view cls, const AuditRecord& r) {
  if (cls == "read") return IsRead(r);
  if (cls == "write") return IsWrite(r);
  if (cls == "delete") return IsDelete(r);
  if (cls == "rename") return r.op == "rename";
  if (cls == "change") return IsWrite(r) || IsDelete(r) || r.op == "rename";
  if (cls == "refused") return IsRefused(r);
  return r.op == cls;  // login, logout and plain op names
}

bool KnownOp(std::string_view word) {
  if (word.empty()) return false;
  for (const OpClass& c : kClasses) {
    if (c.name == word) return true;
  }
  for (std::string_view op : kOtherOps) {
    if (op == word) return true;
  }
  for (const RequestOp& row : kRequestOps) {
    if (row.name == word || row.audit_op == word) return true;
  }
  return false;
}

// One file of the trail, a line at a time, plain or gzip (zlib reads both).
class LineReader {
 public:
  explicit LineReader(const std::string& path)
      : file_(gzopen(path.c_str(), "rb")) {
    if (file_ == nullptr) error_ = errno != 0 ? strerror(errno) : "gzopen";
    if (file_ != nullptr) gzbuffer(file_, 128 * 1024);
  }
  ~LineReader() {
    if (file_ != nullptr) gzclose(file_);
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line (without its newline) in *line; false at the end or on a
  // read error (then error() says so). *too_long is set for a line over
  // kMaxLine, of which *line holds only the start.
  bool Next(std::string* line, bool* too_long) {
    line->clear();
    *too_long = false;
    if (file_ == nullptr) return false;
    for (;;) {
      if (pos_ == len_) {
        const int n = gzread(file_, buf_, sizeof buf_);
        if (n < 0) {
          int code = 0;
          error_ = gzerror(file_, &code);
          return false;
        }
        if (n == 0) return !line->empty() || *too_long;
        pos_ = 0;
        len_ = size_t(n);
      }
      const char* start = buf_ + pos_;
      const void* nl = memchr(start, '\n', len_ - pos_);
      const size_t take =
          nl ? size_t(static_cast<const char*>(nl) - start) : len_ - pos_;
      if (line->size() + take <= kMaxLine) {
        line->append(start, take);
      } else {
        *too_long = true;
      }
      pos_ += take;
      if (nl) {
        ++pos_;
        return true;
      }
    }
  }
  const std::string& error() const { return error_; }

 private:
  gzFile file_;
  char buf_[64 * 1024];
  size_t pos_ = 0;
  size_t len_ = 0;
  std::string error_;
};

// The per-user sums of --summary.
struct UserTotals {
  uint64_t sessions = 0, files_read = 0, files_written = 0;
  uint64_t bytes_read = 0, bytes_written = 0, refusals = 0;
};

// A session id is 16 hex digits, and ".N" for a connection's later
// channels.
void PrintTableHeader(FILE* out) {
  fprintf(out, "%-19s  %-19s %-12s %-15s %-8s %-40s %s\n", "TIME (UTC)",
          "SESSION", "USER", "FROM", "OP", "PATH", "RESULT");
}

void PrintRow(FILE* out, const AuditRecord& r) {
  std::string when = r.time.substr(0, 19);
  if (when.size() > 10) when[10] = ' ';
  std::string path = TerminalSafe(r.path);
  if (!r.target.empty()) path += " -> " + TerminalSafe(r.target);
  std::string result = TerminalSafe(r.result.empty() ? "ok" : r.result);
  if (!r.rule.empty()) result += " (" + TerminalSafe(r.rule) + ")";
  if (r.bytes_read > 0) result += ", read " + std::to_string(r.bytes_read);
  if (r.bytes_written > 0) {
    result += ", wrote " + std::to_string(r.bytes_written);
  }
  if (!r.detail.empty()) result += "; " + TerminalSafe(r.detail);
  if (!r.method.empty()) result += "; " + TerminalSafe(r.method);
  if (!r.key.empty()) result += " " + TerminalSafe(r.key);
  if (r.repeated > 0) {
    result += " ... and " + std::to_string(r.repeated) + " more like it";
  }
  if (!r.cut.empty()) result += " [cut: " + TerminalSafe(r.cut) + "]";
  fprintf(out, "%-19s  %-19s %-12s %-15s %-8s %-40s %s\n",
          TerminalSafe(when).c_str(),
          TerminalSafe(r.session.empty() ? "-" : r.session).c_str(),
          TerminalSafe(r.user.empty() ? "-" : r.user).c_str(),
          TerminalSafe(r.address.empty() ? "local" : r.address).c_str(),
          TerminalSafe(r.op).c_str(), path.c_str(), result.c_str());
}

void PrintSummary(FILE* out, const std::map<std::string, UserTotals>& users) {
  fprintf(out, "%-16s %9s %11s %14s %14s %14s %9s\n", "USER", "SESSIONS",
          "FILES READ", "FILES WRITTEN", "BYTES READ", "BYTES WRITTEN",
          "REFUSALS");
  for (const auto& [name, t] : users) {
    fprintf(
        out, "%-16s %9llu %11llu %14llu %14llu %14llu %9llu\n",
        TerminalSafe(name.empty() ? "-" : name).c_str(),
        (unsigned long long)t.sessions, (unsigned long long)t.files_read,
        (unsigned long long)t.files_written, (unsigned long long)t.bytes_read,
        (unsigned long long)t.bytes_written, (unsigned long long)t.refusals);
  }
}

// --summary --json: a JSON object per user, one a line.
void PrintSummaryJson(FILE* out,
                      const std::map<std::string, UserTotals>& users) {
  for (const auto& [name, t] : users) {
    fprintf(
        out,
        "{\"user\":%s,\"sessions\":%llu,\"files_read\":%llu,"
        "\"files_written\":%llu,\"bytes_read\":%llu,"
        "\"bytes_written\":%llu,\"refusals\":%llu}\n",
        JsonQuoted(name).c_str(), (unsigned long long)t.sessions,
        (unsigned long long)t.files_read, (unsigned long long)t.files_written,
        (unsigned long long)t.bytes_read, (unsigned long long)t.bytes_written,
        (unsigned long long)t.refusals);
  }
}

}  // namespace

std::span<const OpClass> AuditOpClasses() { return kClasses; }

std::string AuditUsage() {
  std::string s =
      "usage: sftpd audit [--config FILE] [--file LOG]... [filters] "
      "[--summary] [--json]\n"
      "\n"
      "Reads the audit log of the config ([audit] log) and the rotated files\n"
      "beside it (LOG.1, LOG.2.gz, ...), oldest first, and prints the events\n"
      "that every filter given selects.\n"
      "\n"
      "  --user NAME      events of this user\n"
      "  --path GLOB      events whose path or target matches GLOB (fnmatch;\n"
      "                   '*' matches '/' too: /shared/* is all of /shared)\n"
      "  --op LIST        comma-separated op names (open, close, mkdir, ...)\n"
      "                   or classes:\n";
  for (const OpClass& c : kClasses) {
    std::string name(c.name), means(c.means);
    char line[256];
    snprintf(line, sizeof line, "                     %-8s %s\n", name.c_str(),
             means.c_str());
    s += line;
  }
  s += "  --since WHEN     at or after WHEN: RFC 3339 (2026-11-23T14:00:00Z,\n"
       "                   with Z or an offset), a date (2026-11-23, UTC), or\n"
       "                   a span back from now (90m, 2h, 7d, 2w)\n"
       "  --until WHEN     before WHEN, written the same ways\n"
       "  --from CIDR      events of clients in CIDR (192.168.1.0/24, ::1)\n"
       "  --file LOG       read LOG instead (repeatable; no rotations added)\n"
       "  --json           the selected lines as they are, JSON lines\n"
       "  --summary        per user: sessions, files read and written, bytes,\n"
       "                   refusals; with --json a JSON object per user, one\n"
       "                   a line\n"
       "\n"
       "A line with \"repeated\": N stands for N more events like it (same\n"
       "op, result, rule and detail) that were counted rather than written;\n"
       "the table says \"... and N more like it\", --summary counts them.\n"
       "A string longer than 4 KiB is cut; the line's \"cut\" names those\n"
       "members, and the table ends the row with [cut: path,...].\n"
       "A corrupt line is reported on stderr as FILE:LINE and skipped.\n"
       "Exit status: 0, 1 if a file could not be read, 2 for a usage error.\n";
  return s;
}

Result<AuditQuery> ParseAuditArgs(std::span<const std::string_view> args,
                                  int64_t now_us) {
  AuditQuery q;
  bool json = false, summary = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    std::string_view value;
    const size_t eq = a.find('=');
    const bool inline_value = a.starts_with("--") && eq != a.npos;
    if (inline_value) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    auto needs_value = [&]() -> bool {
      if (inline_value) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    const bool flag =
        a == "--json" || a == "--summary" || a == "--help" || a == "-h";
    if (flag && inline_value) {
      return Error{std::string(a) + " takes no value"};
    }
    if (a == "--json") {
      json = true;
    } else if (a == "--summary") {
      summary = true;
    } else if (a == "--help" || a == "-h") {
      q.help = true;
    } else if (a == "--user" || a == "--path" || a == "--op" ||
               a == "--since" || a == "--until" || a == "--from" ||
               a == "--file") {
      if (!needs_value()) return Error{std::string(a) + " needs a value"};
      if (a == "--user") {
        q.user = std::string(value);
      } else if (a == "--path") {
        q.path_glob = std::string(value);
      } else if (a == "--file") {
        q.files.emplace_back(value);
      } else if (a == "--op") {
        size_t start = 0;
        while (start <= value.size()) {
          size_t comma = value.find(',', start);
          if (comma == value.npos) comma = value.size();
          std::string_view word = value.substr(start, comma - start);
          if (!KnownOp(word)) {
            std::string classes;
            for (const OpClass& c : kClasses) {
              classes += (classes.empty() ? "" : ", ") + std::string(c.name);
            }
            return Error{"--op: unknown op '" + std::string(word) +
                         "'; an op name (open, close, mkdir, ...) or one of " +
                         classes};
          }
          q.ops.emplace_back(word);
          start = comma + 1;
        }
      } else if (a == "--from") {
        Result<Cidr> c = Cidr::Parse(value);
        if (!c) return Error{"--from: " + c.error()};
        q.from = *c;
      } else {
        Result<int64_t> t = ParseMoment(value, now_us);
        if (!t) return Error{std::string(a) + ": " + t.error()};
        (a == "--since" ? q.since_us : q.until_us) = *t;
      }
    } else {
      return Error{"unexpected argument '" + std::string(args[i]) +
                   "'; see sftpd audit --help"};
    }
  }
  q.output = summary && json ? AuditOutput::kSummaryJson
             : summary       ? AuditOutput::kSummary
             : json          ? AuditOutput::kJson
                             : AuditOutput::kTable;
  if (q.since_us && q.until_us && *q.since_us >= *q.until_us) {
    return Error{"--since must be before --until"};
  }
  return q;
}

bool Matches(const AuditQuery& q, const AuditRecord& r) {
  if (q.user && r.user != *q.user) return false;
  if (q.since_us && r.time_us < *q.since_us) return false;
  if (q.until_us && r.time_us >= *q.until_us) return false;
  if (q.from) {
    std::optional<Address> a = Address::Parse(r.address);
    if (!a || !q.from->Contains(*a)) return false;
  }
  if (q.path_glob) {
    const char* glob = q.path_glob->c_str();
    bool path = !r.path.empty() && fnmatch(glob, r.path.c_str(), 0) == 0;
    bool target = !r.target.empty() && fnmatch(glob, r.target.c_str(), 0) == 0;
    if (!path && !target) return false;
  }
  if (!q.ops.empty() &&
      std::none_of(q.ops.begin(), q.ops.end(),
                   [&](const std::string& op) { return InClass(op, r); })) {
    return false;
  }
  return true;
}

std::vector<std::string> AuditFiles(const std::string& log) {
  const std::string dir = ParentDir(log);
  // The file's name, as logrotate's copies begin with it.
  const std::string base = log.substr(log.rfind('/') + 1);
  std::vector<std::string> dated;
  std::vector<std::pair<long, std::string>> numbered;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string_view name = e->d_name;
      if (name.size() <= base.size() + 1 || !name.starts_with(base)) continue;
      std::string_view rest = name.substr(base.size() + 1);
      const char sep = name[base.size()];
      if (rest.ends_with(".gz")) rest.remove_suffix(3);
      if (rest.empty() || !std::all_of(rest.begin(), rest.end(), [](char c) {
            return c >= '0' && c <= '9';
          })) {
        continue;
      }
      const std::string full = dir + "/" + std::string(name);
      if (sep == '.' && rest.size() <= 6) {
        numbered.emplace_back(std::stol(std::string(rest)), full);
      } else if (sep == '-') {
        dated.push_back(full);
      }
    }
    closedir(d);
  }
  std::sort(dated.begin(), dated.end());
  std::sort(numbered.begin(), numbered.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> files = dated;
  for (auto& [n, f] : numbered) files.push_back(f);
  struct stat st;
  if (stat(log.c_str(), &st) == 0) files.push_back(log);
  return files;
}

AuditTotals RunAuditQuery(const AuditQuery& q,
                          const std::vector<std::string>& files, FILE* out,
                          FILE* err) {
  AuditTotals totals;
  std::map<std::string, UserTotals> users;
  if (q.output == AuditOutput::kTable) PrintTableHeader(out);
  AuditRecord r;
  std::string line;
  for (const std::string& file : files) {
    LineReader reader(file);
    uint64_t number = 0;
    bool too_long = false;
    while (reader.Next(&line, &too_long)) {
      ++number;
      ++totals.lines;
      const Result<void> parsed =
          too_long ? Error{"longer than 1 MiB"} : ParseAuditLine(line, &r);
      if (!parsed) {
        ++totals.corrupt;
        fprintf(err, "sftpd audit: %s:%llu: not an audit event (%s); skipped\n",
                file.c_str(), (unsigned long long)number,
                TerminalSafe(parsed.error()).c_str());
        continue;
      }
      if (!Matches(q, r)) continue;
      ++totals.matched;
      switch (q.output) {
        case AuditOutput::kJson:
          fwrite(line.data(), 1, line.size(), out);
          fputc('\n', out);
          break;
        case AuditOutput::kTable:
          PrintRow(out, r);
          break;
        case AuditOutput::kSummary:
        case AuditOutput::kSummaryJson: {
          UserTotals& t = users[r.user];
          if (r.op == "login" && r.result == "ok") ++t.sessions;
          if (r.op == "close" && r.bytes_read > 0) {
            ++t.files_read;
            t.bytes_read += uint64_t(r.bytes_read);
          }
          if (r.op == "close" && r.bytes_written > 0) {
            ++t.files_written;
            t.bytes_written += uint64_t(r.bytes_written);
          }
          // A summary line stands for the events it counted.
          if (IsRefused(r)) t.refusals += r.repeated > 0 ? r.repeated : 1;
          break;
        }
      }
    }
    if (!reader.error().empty()) {
      fprintf(err, "sftpd audit: %s: %s\n", file.c_str(),
              reader.error().c_str());
      totals.unreadable.push_back(file);
    }
  }
  if (q.output == AuditOutput::kSummary) PrintSummary(out, users);
  if (q.output == AuditOutput::kSummaryJson) PrintSummaryJson(out, users);
  return totals;
}

}  // namespace sftpd
