#include "sftpd/daemon/authorized_keys.h"

#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "config/config.h"
#include "sftpd/base/fd.h"
#include "sftpd/base/log_line.h"
#include "sftpd/vfs/hostpath.h"

namespace sftpd {

namespace {

constexpr size_t kMaxKeysFile = 1 << 20;

// Empty when `st` (of `path`) could only have been written by root or uid.
std::string Unsafe(const std::string& path, const struct stat& st, uid_t uid) {
  if (st.st_uid != 0 && st.st_uid != uid) {
    return path + " is owned by uid " + std::to_string(st.st_uid) +
           ", not root or the user";
  }
  if ((st.st_mode & 022) == 0) return "";
  if (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && st.st_uid == 0) {
    return "";
  }
  return path + " is group- or other-writable";
}

// Longest reason a skipped line gets.
constexpr size_t kMaxReason = 256;

// Reasons never quote the file's text: root reads these files, and a
// reason ends up in log lines. They name what this server knows (an option
// of its table) or where on the line the fault is.
std::string At(size_t pos) { return "at column " + std::to_string(pos + 1); }

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// What an option does here. See the header for why each is where it is.
enum class Effect {
  kAccept,  // a restriction of something never offered, or harmless
  kFrom,
  kExpiry,
  kRefuse,  // cannot be honoured: the line must not grant
};

struct OptionRule {
  std::string_view name;  // lower case
  bool takes_value;
  Effect effect;
  std::string_view refusal;  // for kRefuse
};

constexpr std::string_view kNoCommand =
    "a forced command cannot be honoured (this server runs only the sftp "
    "subsystem)";
constexpr std::string_view kNoCerts = "certificates are not supported";

constexpr std::array<OptionRule, 21> kOptionRules = {{
    {"restrict", false, Effect::kAccept, ""},
    {"no-pty", false, Effect::kAccept, ""},
    {"no-port-forwarding", false, Effect::kAccept, ""},
    {"no-agent-forwarding", false, Effect::kAccept, ""},
    {"no-x11-forwarding", false, Effect::kAccept, ""},
    {"no-user-rc", false, Effect::kAccept, ""},
    {"no-touch-required", false, Effect::kAccept, ""},
    {"pty", false, Effect::kAccept, ""},
    {"port-forwarding", false, Effect::kAccept, ""},
    {"agent-forwarding", false, Effect::kAccept, ""},
    {"x11-forwarding", false, Effect::kAccept, ""},
    {"user-rc", false, Effect::kAccept, ""},
    {"permitopen", true, Effect::kAccept, ""},
    {"permitlisten", true, Effect::kAccept, ""},
    {"environment", true, Effect::kAccept, ""},
    {"tunnel", true, Effect::kAccept, ""},
    {"from", true, Effect::kFrom, ""},
    {"expiry-time", true, Effect::kExpiry, ""},
    {"command", true, Effect::kRefuse, kNoCommand},
    {"principals", true, Effect::kRefuse, kNoCerts},
    {"cert-authority", false, Effect::kRefuse, kNoCerts},
}};

const OptionRule* FindRule(std::string_view lower_name) {
  for (const OptionRule& r : kOptionRules) {
    if (r.name == lower_name) return &r;
  }
  return nullptr;
}

struct Option {
  std::string name;  // as written
  std::optional<std::string> value;
  size_t pos = 0;  // where the name starts on the line
};

// An option as a reason names it: its name in this server's table, or
// where it stands on the line.
std::string Named(const Option& opt) {
  const OptionRule* rule = FindRule(Lower(opt.name));
  return rule != nullptr ? "\"" + std::string(rule->name) + "\"" : At(opt.pos);
}

// Splits the options field at the start of `line` (which starts with no
// blank) and sets `*rest` to what follows it. Errors name what is wrong.
Result<std::vector<Option>> SplitOptions(std::string_view line,
                                         std::string_view* rest) {
  std::vector<Option> out;
  size_t pos = 0;
  const size_t n = line.size();
  for (;;) {
    const size_t start = pos;
    while (pos < n && (std::isalnum(static_cast<unsigned char>(line[pos])) ||
                       line[pos] == '-' || line[pos] == '_')) {
      ++pos;
    }
    if (pos == start) {
      return Error{"option syntax error " + At(pos)};
    }
    Option opt{std::string(line.substr(start, pos - start)), std::nullopt,
               start};
    if (pos < n && line[pos] == '=') {
      if (++pos >= n || line[pos] != '"') {
        return Error{"option " + Named(opt) +
                     ": the value must be in double quotes"};
      }
      ++pos;
      std::string value;
      bool closed = false;
      while (pos < n) {
        if (line[pos] == '"') {
          closed = true;
          ++pos;
          break;
        }
        if (line[pos] == '\\' && pos + 1 < n && line[pos + 1] == '"') ++pos;
        value += line[pos++];
      }
      if (!closed) {
        return Error{"option " + Named(opt) + ": unterminated quote"};
      }
      opt.value = std::move(value);
    }
    out.push_back(std::move(opt));
    if (pos < n && line[pos] == ',') {
      ++pos;
      continue;
    }
    if (pos < n && IsBlank(line[pos])) break;
    if (pos >= n) return Error{"no key after the options"};
    return Error{"option syntax error " + At(pos)};
  }
  *rest = line.substr(pos);
  return out;
}

// One from= pattern.
struct FromPattern {
  int number = 0;  // 1-based place in its list, for reasons
  bool negated = false;
  std::optional<Cidr> cidr;  // set: an address or block; else `glob`
  std::string glob;          // lower case, * and ? wildcards
};

// Characters an address's text can hold (lower case), with the wildcards.
bool AddressLike(std::string_view lower_text) {
  return lower_text.find_first_not_of("0123456789abcdef.:*?[]") ==
         std::string_view::npos;
}

Result<std::vector<FromPattern>> ParseFrom(std::string_view list) {
  std::vector<FromPattern> out;
  for (;;) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    FromPattern p;
    p.number = int(out.size()) + 1;
    const std::string named = "from= pattern " + std::to_string(p.number);
    if (!item.empty() && item.front() == '!') {
      p.negated = true;
      item.remove_prefix(1);
    }
    if (item.empty()) return Error{"from= holds an empty pattern"};
    const std::string lower = Lower(item);
    const bool wild = lower.find_first_of("*?") != std::string::npos;
    if (wild && lower.find('/') != std::string::npos) {
      return Error{named + ": wildcards and a /prefix do not mix"};
    }
    if (!wild) {
      Result<Cidr> cidr = Cidr::Parse(item);
      if (cidr) {
        p.cidr = *cidr;
      } else if (lower.find('/') != std::string::npos ||
                 (AddressLike(lower) &&
                  lower.find_first_of(".:") != std::string::npos)) {
        return Error{named + ": not an address or address/prefix"};
      }
    }
    if (!p.cidr) {
      // A host name can never match an address's text. Kept positive, it
      // only narrows; negated, it is an exclusion we cannot honour.
      if (p.negated && !AddressLike(lower)) {
        return Error{named +
                     " excludes host names, which needs DNS (not done)"};
      }
      p.glob = lower;
    }
    out.push_back(std::move(p));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

// `text` (lower case) against `glob`: * any run, ? one character.
// Backtracks only to the last *, so the work is bounded by the product of
// the lengths.
bool GlobMatches(std::string_view glob, std::string_view text) {
  size_t g = 0, t = 0;
  size_t star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
      ++g;
      ++t;
    } else if (g < glob.size() && glob[g] == '*') {
      star = g++;
      resume = t;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

bool Matches(const FromPattern& p, const Address& peer,
             const std::string& peer_text) {
  return p.cidr ? p.cidr->Contains(peer) : GlobMatches(p.glob, peer_text);
}

// Empty when the list admits the peer, else why not.
std::string RefusedByFrom(const std::vector<FromPattern>& list,
                          const Address& peer) {
  const std::string text = peer.ToString();
  bool admitted = false;
  for (const FromPattern& p : list) {
    if (!Matches(p, peer, text)) continue;
    if (p.negated) {
      return "address " + text + " is excluded by from= pattern " +
             std::to_string(p.number);
    }
    admitted = true;
  }
  return admitted ? "" : "address " + text + " is not in its from= list";
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysIn(int year, int month) {
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30,
                                         31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[size_t(month - 1)];
}

// "YYYYMMDD[HHMM[SS]][Z]": UTC with Z, else the local time zone.
Result<time_t> ParseExpiry(std::string_view text) {
  const Error bad{"the expiry-time value is not YYYYMMDD[HHMM[SS]][Z]"};
  bool utc = false;
  if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) {
    utc = true;
    text.remove_suffix(1);
  }
  if (text.size() != 8 && text.size() != 12 && text.size() != 14) return bad;
  if (text.find_first_not_of("0123456789") != std::string_view::npos) {
    return bad;
  }
  auto field = [&](size_t at, size_t len) {
    int v = 0;
    for (size_t i = at; i < at + len && i < text.size(); ++i) {
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  struct tm tm {};
  const int year = field(0, 4), month = field(4, 2), day = field(6, 2);
  const int hour = field(8, 2), minute = field(10, 2), second = field(12, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 ||
      day > DaysIn(year, month) || hour > 23 || minute > 59 || second > 59) {
    return bad;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;  // local time: let the zone rules say whether DST applies
  const time_t t = utc ? timegm(&tm) : mktime(&tm);
  if (t == time_t(-1)) return bad;
  return t;
}

std::string UtcText(time_t t) {
  struct tm tm {};
  char buf[32] = {};
  if (gmtime_r(&t, &tm) == nullptr ||
      strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
    return std::to_string(t);
  }
  return buf;
}

// What the options of one line restrict.
struct Restrictions {
  std::vector<std::vector<FromPattern>> from;  // each list must admit
  std::optional<time_t> expiry;                // last second it grants
};

Result<Restrictions> Interpret(const std::vector<Option>& options) {
  Restrictions r;
  for (const Option& opt : options) {
    const OptionRule* rule = FindRule(Lower(opt.name));
    if (rule == nullptr) return Error{"unknown option " + At(opt.pos)};
    if (rule->takes_value != opt.value.has_value()) {
      return Error{"option " + Named(opt) +
                   (rule->takes_value ? " needs a value" : " takes no value")};
    }
    switch (rule->effect) {
      case Effect::kAccept:
        break;
      case Effect::kRefuse:
        return Error{"option " + Named(opt) + ": " +
                     std::string(rule->refusal)};
      case Effect::kFrom: {
        Result<std::vector<FromPattern>> list = ParseFrom(*opt.value);
        if (!list) return Error{list.error()};
        r.from.push_back(std::move(*list));
        break;
      }
      case Effect::kExpiry: {
        Result<time_t> t = ParseExpiry(*opt.value);
        if (!t) return Error{t.error()};
        if (!r.expiry || *t < *r.expiry) r.expiry = *t;
        break;
      }
    }
  }
  return r;
}

// Empty when `r` lets `peer` in at `now`, else why not.
std::string RefusedBy(const Restrictions& r, const Address& peer, time_t now) {
  if (r.expiry && now > *r.expiry) {
    return "the key expired at " + UtcText(*r.expiry);
  }
  for (const std::vector<FromPattern>& list : r.from) {
    if (std::string why = RefusedByFrom(list, peer); !why.empty()) return why;
  }
  return "";
}

// The filesystem identity of a user while it lives (setfsuid/setfsgid: this
// thread only), so a file is opened with her rights, not root's. Nothing
// changes when the process is not root.
class AsUser {
 public:
  AsUser(uid_t uid, gid_t gid)
      : old_gid_(setfsgid(gid)),
        old_uid_(setfsuid(uid)),
        held_(uid_t(setfsuid(uid_t(-1))) == uid &&
              gid_t(setfsgid(gid_t(-1))) == gid) {}
  ~AsUser() {
    setfsuid(old_uid_);
    setfsgid(old_gid_);
  }
  AsUser(const AsUser&) = delete;
  AsUser& operator=(const AsUser&) = delete;
  bool held() const { return held_; }

 private:
  gid_t old_gid_;
  uid_t old_uid_;
  bool held_;
};

}  // namespace

Result<std::string> ReadAuthorizedKeysFile(const std::string& path, uid_t uid,
                                           gid_t gid) {
  Result<HostFile> file = Error{""};
  {
    AsUser as(uid, gid);
    if (!as.held()) return Error{path + ": cannot take the user's identity"};
    file = OpenHostPath(path, O_PATH,
                        [uid](const std::string& p, const struct stat& st) {
                          return Unsafe(p, st, uid);
                        });
    if (!file) return Error{file.error()};
    if (!S_ISREG(file->st.st_mode)) return Error{file->real + " is not a file"};
    // Only now, known to be a regular file, is it opened for reading.
    Fd fd(open(("/proc/self/fd/" + std::to_string(file->fd.get())).c_str(),
               O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd.valid()) return Error{file->real + ": " + strerror(errno)};
    file->fd = std::move(fd);
  }
  const std::string& real = file->real;
  if (size_t(file->st.st_size) > kMaxKeysFile) {
    return Error{real + " is larger than 1 MiB"};
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = read(file->fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{real + ": " + strerror(errno)};
    if (n == 0) break;
    text.append(buf, size_t(n));
    if (text.size() > kMaxKeysFile) {
      return Error{real + " is larger than 1 MiB"};
    }
  }
  return text;
}

struct AuthorizedKeys::Entry {
  struct KeyFree {
    void operator()(ssh_key k) const { ssh_key_free(k); }
  };
  std::unique_ptr<ssh_key_struct, KeyFree> key;
  std::string origin;
  int line = 0;
  Restrictions restrictions;
};

AuthorizedKeys::AuthorizedKeys() = default;
AuthorizedKeys::~AuthorizedKeys() = default;
AuthorizedKeys::AuthorizedKeys(AuthorizedKeys&&) noexcept = default;

size_t AuthorizedKeys::size() const { return entries_.size(); }

std::vector<SkippedLine> AuthorizedKeys::Add(std::string_view text,
                                             std::string_view origin) {
  std::vector<SkippedLine> skipped;
  int number = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? "" : text.substr(eol + 1);
    ++number;
    // Reasons carry file text (quoted, and in parsers' messages): every one
    // is made printable and bounded here.
    auto skip = [&](const std::string& reason) {
      skipped.push_back({number, Printable(reason, kMaxReason)});
    };
    size_t start = 0;
    while (start < line.size() && IsBlank(line[start])) ++start;
    if (start == line.size() || line[start] == '#') continue;
    line.remove_prefix(start);
    // Parts of a line go to libssh as C strings, where a NUL would end a
    // type or a key early and the rest be ignored: such a line grants
    // nothing.
    if (line.find('\0') != std::string_view::npos) {
      skip("holds a NUL byte");
      continue;
    }

    // Options come first when the first word is not a key type.
    std::string_view rest = line;
    Restrictions restrictions;
    const std::string first(line.substr(0, line.find_first_of(" \t\r")));
    if (ssh_key_type_from_name(first.c_str()) == SSH_KEYTYPE_UNKNOWN) {
      Result<std::vector<Option>> options = SplitOptions(line, &rest);
      if (!options) {
        skip(options.error());
        continue;
      }
      Result<Restrictions> r = Interpret(*options);
      if (!r) {
        skip(r.error());
        continue;
      }
      restrictions = std::move(*r);
      while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
    }

    const size_t type_end = rest.find_first_of(" \t\r");
    const std::string type(rest.substr(0, type_end));
    const enum ssh_keytypes_e kt = ssh_key_type_from_name(type.c_str());
    if (kt == SSH_KEYTYPE_UNKNOWN) {
      skip("unknown key type");
      continue;
    }
    rest = type_end == std::string_view::npos ? "" : rest.substr(type_end);
    while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
    const std::string b64(rest.substr(0, rest.find_first_of(" \t\r")));
    if (b64.empty()) {
      skip("no key after the key type");
      continue;
    }
    ssh_key key = nullptr;
    if (ssh_pki_import_pubkey_base64(b64.c_str(), kt, &key) != SSH_OK) {
      skip("the " + type + " key does not parse");
      continue;
    }
    Entry e;
    e.key.reset(key);
    e.origin = std::string(origin);
    e.line = number;
    e.restrictions = std::move(restrictions);
    entries_.push_back(std::move(e));
  }
  return skipped;
}

KeyDecision AuthorizedKeys::Accepts(const ssh_key key, const Address& peer,
                                    time_t now) const {
  KeyDecision d;
  if (key == nullptr) return d;
  for (const Entry& e : entries_) {
    if (ssh_key_cmp(e.key.get(), key, SSH_KEY_CMP_PUBLIC) != 0) continue;
    d.origin = e.origin;
    d.line = e.line;
    d.refusal = RefusedBy(e.restrictions, peer, now);
    if (d.refusal.empty()) {
      d.granted = true;
      return d;
    }
  }
  return d;
}

std::string Sha256Fingerprint(std::span<const uint8_t> digest) {
  static constexpr char kB64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "SHA256:";
  size_t i = 0;
  for (; i + 3 <= digest.size(); i += 3) {
    const uint32_t v = uint32_t(digest[i]) << 16 |
                       uint32_t(digest[i + 1]) << 8 | digest[i + 2];
    for (int shift : {18, 12, 6, 0}) out += kB64[(v >> shift) & 63];
  }
  const size_t rest = digest.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t(digest[i]) << 16;
    if (rest == 2) v |= uint32_t(digest[i + 1]) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    if (rest == 2) out += kB64[(v >> 6) & 63];
  }
  return out;
}

std::string SshdKeyTypeName(std::string_view ssh_type) {
  struct Name {
    std::string_view prefix, name;
  };
  static constexpr Name kNames[] = {
      {"ssh-ed25519", "ED25519"}, {"sk-ssh-ed25519", "ED25519-SK"},
      {"ssh-rsa", "RSA"},         {"rsa-sha2-", "RSA"},
      {"ecdsa-sha2-", "ECDSA"},   {"sk-ecdsa-sha2-", "ECDSA-SK"},
      {"ssh-dss", "DSA"},
  };
  for (const Name& n : kNames) {
    if (ssh_type.starts_with(n.prefix)) return std::string(n.name);
  }
  std::string out;
  for (char c : ssh_type) {
    out += char(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string DescribeKey(const ssh_key key) {
  unsigned char* hash = nullptr;
  size_t len = 0;
  if (key == nullptr || ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256,
                                               &hash, &len) != SSH_OK) {
    return "";
  }
  std::string fingerprint = Sha256Fingerprint({hash, len});
  ssh_clean_pubkey_hash(&hash);
  const char* type = ssh_key_type_to_char(ssh_key_type(key));
  return SshdKeyTypeName(type != nullptr ? type : "") + " " + fingerprint;
}

}  // namespace sftpd
