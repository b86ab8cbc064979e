#include "sftpd/control/daemon_status.h"

#include <time.h>

#include <charconv>

#include "sftpd/audit/audit.h"
#include "sftpd/audit/record.h"
#include "sftpd/control/control.h"

namespace sftpd {

namespace {

// `v` with control characters as '?': one value, one line.
std::string OneLine(std::string_view v) {
  std::string out(v);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return out;
}

void Line(std::string& out, std::string_view key, std::string_view value) {
  out.append(key);
  out += ' ';
  out += OneLine(value);
  out += '\n';
}

template <typename T>
bool Number(std::string_view text, T* value) {
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

// "2026-12-05 05:00:00 UTC" (or with a 'T' and 'Z' for JSON); "-" for 0.
std::string Utc(int64_t time_us, bool iso) {
  if (time_us <= 0) return "-";
  const time_t secs = time_t(time_us / 1000000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[40];
  strftime(buf, sizeof buf,
           iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC", &t);
  return buf;
}

std::string Left(int64_t seconds) {
  if (seconds < 60) return std::to_string(seconds) + " s";
  return std::to_string(seconds / 60) + " min " + std::to_string(seconds % 60) +
         " s";
}

Result<DaemonStatus> Ask(const std::string& path, const ControlRequest& r,
                         int timeout_ms) {
  Result<std::vector<std::string>> lines = AskDaemon(path, r, timeout_ms);
  if (!lines) return Error{lines.error()};
  Result<DaemonStatus> s = ParseStatus(*lines);
  if (!s) return Error{"a malformed answer: " + s.error()};
  return s;
}

std::string BansJson(const std::vector<BanEntry>& bans) {
  std::string out = "[";
  for (const BanEntry& b : bans) {
    if (out.size() > 1) out += ",";
    out += "{\"address\":" + JsonQuoted(b.address) +
           ",\"score\":" + std::to_string(b.score) +
           ",\"seconds_left\":" + std::to_string(b.seconds_left) + "}";
  }
  return out + "]";
}

void PrintBanTable(const std::vector<BanEntry>& bans, FILE* out) {
  fprintf(out, "%-42s %5s  %s\n", "ADDRESS", "SCORE", "LEFT");
  for (const BanEntry& b : bans) {
    fprintf(out, "%-42s %5d  %s\n", TerminalSafe(b.address).c_str(), b.score,
            Left(b.seconds_left).c_str());
  }
}

}  // namespace

std::string FormatBan(const BanEntry& b) {
  std::string out;
  Line(out, "ban",
       OneLine(b.address) + " " + std::to_string(b.score) + " " +
           std::to_string(b.seconds_left));
  return out;
}

std::string FormatStatus(const DaemonStatus& s) {
  std::string out;
  Line(out, "pid", std::to_string(s.pid));
  Line(out, "config", s.config);
  Line(out, "loaded", std::to_string(s.loaded_us));
  for (const std::string& l : s.listen) Line(out, "listen", l);
  Line(out, "sessions", std::to_string(s.sessions));
  Line(out, "connections", std::to_string(s.connections));
  if (!s.pid_file.empty()) Line(out, "pid_file", s.pid_file);
  if (s.reload.count > 0) {
    Line(out, "reload",
         std::to_string(s.reload.count) + " " +
             std::to_string(s.reload.time_us) + " " +
             (s.reload.ok ? "ok" : "failed"));
    for (const std::string& e : s.reload.errors) Line(out, "reload_error", e);
  }
  for (const BanEntry& b : s.bans) out += FormatBan(b);
  return out;
}

Result<DaemonStatus> ParseStatus(const std::vector<std::string>& lines) {
  DaemonStatus s;
  for (const std::string& line : lines) {
    const size_t space = line.find(' ');
    const std::string_view key = std::string_view(line).substr(0, space);
    const std::string_view value =
        space == std::string::npos ? std::string_view()
                                   : std::string_view(line).substr(space + 1);
    bool good = true;
    if (key == "pid") {
      good = Number(value, &s.pid);
    } else if (key == "config") {
      s.config = value;
    } else if (key == "loaded") {
      good = Number(value, &s.loaded_us);
    } else if (key == "listen") {
      s.listen.emplace_back(value);
    } else if (key == "sessions") {
      good = Number(value, &s.sessions);
    } else if (key == "connections") {
      good = Number(value, &s.connections);
    } else if (key == "pid_file") {
      s.pid_file = value;
    } else if (key == "reload") {
      // COUNT TIME_US ok|failed
      const size_t a = value.find(' ');
      const size_t b = a == std::string_view::npos ? a : value.find(' ', a + 1);
      good = b != std::string_view::npos &&
             Number(value.substr(0, a), &s.reload.count) &&
             Number(value.substr(a + 1, b - a - 1), &s.reload.time_us) &&
             (value.substr(b + 1) == "ok" || value.substr(b + 1) == "failed");
      s.reload.ok = good && value.substr(b + 1) == "ok";
    } else if (key == "reload_error") {
      s.reload.errors.emplace_back(value);
    } else if (key == "ban") {
      // ADDRESS SCORE SECONDS_LEFT
      const size_t a = value.find(' ');
      const size_t b = a == std::string_view::npos ? a : value.find(' ', a + 1);
      BanEntry e;
      good = a != 0 && b != std::string_view::npos &&
             Number(value.substr(a + 1, b - a - 1), &e.score) &&
             Number(value.substr(b + 1), &e.seconds_left);
      if (good) {
        e.address = value.substr(0, a);
        s.bans.push_back(std::move(e));
      }
    }
    if (!good) return Error{"'" + OneLine(line) + "'"};
  }
  return s;
}

std::optional<Cidr> ParseBanTarget(std::string_view text) {
  Result<Cidr> c = Cidr::Parse(text);
  if (!c) return std::nullopt;
  return *c;
}

int PrintStatus(const std::string& path, bool json, FILE* out, FILE* err) {
  Result<DaemonStatus> s = Ask(path, {ControlRequest::Verb::kStatus, ""}, 5000);
  if (!s) {
    fprintf(err, "sftpd status: %s\n", s.error().c_str());
    return 1;
  }
  if (json) {
    std::string listen = "[";
    for (const std::string& l : s->listen) {
      listen += (listen.size() > 1 ? "," : "") + JsonQuoted(l);
    }
    listen += "]";
    std::string reload = "null";
    if (s->reload.count > 0) {
      std::string errors = "[";
      for (const std::string& e : s->reload.errors) {
        errors += (errors.size() > 1 ? "," : "") + JsonQuoted(e);
      }
      reload = "{\"time\":" + JsonQuoted(Utc(s->reload.time_us, true)) +
               ",\"ok\":" + (s->reload.ok ? "true" : "false") +
               ",\"errors\":" + errors + "]}";
    }
    fprintf(out,
            "{\"pid\":%lld,\"config\":%s,\"loaded\":%s,\"listen\":%s,"
            "\"sessions\":%llu,\"connections\":%llu,\"pid_file\":%s,"
            "\"last_reload\":%s,\"bans\":%s}\n",
            (long long)s->pid, JsonQuoted(s->config).c_str(),
            JsonQuoted(Utc(s->loaded_us, true)).c_str(), listen.c_str(),
            (unsigned long long)s->sessions, (unsigned long long)s->connections,
            s->pid_file.empty() ? "null" : JsonQuoted(s->pid_file).c_str(),
            reload.c_str(), BansJson(s->bans).c_str());
    return 0;
  }
  fprintf(out, "pid:          %lld\n", (long long)s->pid);
  fprintf(out, "config:       %s (loaded %s)\n",
          TerminalSafe(s->config).c_str(), Utc(s->loaded_us, false).c_str());
  for (size_t i = 0; i < s->listen.size(); ++i) {
    fprintf(out, "%-14s%s\n", i == 0 ? "listen:" : "",
            TerminalSafe(s->listen[i]).c_str());
  }
  fprintf(out, "sessions:     %llu logged in, %llu connections\n",
          (unsigned long long)s->sessions, (unsigned long long)s->connections);
  if (!s->pid_file.empty()) {
    fprintf(out, "pid file:     %s\n", TerminalSafe(s->pid_file).c_str());
  }
  if (s->reload.count == 0) {
    fprintf(out, "last reload:  none\n");
  } else {
    fprintf(out, "last reload:  %s, %s\n",
            Utc(s->reload.time_us, false).c_str(),
            s->reload.ok ? "taken" : "refused; the previous config is kept");
    for (const std::string& e : s->reload.errors) {
      fprintf(out, "              %s\n", TerminalSafe(e).c_str());
    }
  }
  fprintf(out, "bans:         %zu\n", s->bans.size());
  for (const BanEntry& b : s->bans) {
    fprintf(out, "              %s (score %d, %s left)\n",
            TerminalSafe(b.address).c_str(), b.score,
            Left(b.seconds_left).c_str());
  }
  return 0;
}

int Reload(const std::string& path, FILE* out, FILE* err) {
  Result<DaemonStatus> s =
      Ask(path, {ControlRequest::Verb::kReload, ""}, kReloadTimeoutMillis);
  if (!s) {
    fprintf(err, "sftpd reload: %s\n", s.error().c_str());
    return 1;
  }
  if (s->reload.count == 0) {
    fprintf(err, "sftpd reload: the daemon did not say how the reload went\n");
    return 1;
  }
  if (s->reload.ok) {
    fprintf(out, "reloaded %s\n", TerminalSafe(s->config).c_str());
    return 0;
  }
  for (const std::string& e : s->reload.errors) {
    fprintf(err, "%s\n", TerminalSafe(e).c_str());
  }
  fprintf(err,
          "sftpd reload: %s not taken; the daemon keeps the previous "
          "config (loaded %s)\n",
          TerminalSafe(s->config).c_str(), Utc(s->loaded_us, false).c_str());
  return 1;
}

int PrintBans(const std::string& path, bool json, FILE* out, FILE* err) {
  Result<DaemonStatus> s = Ask(path, {ControlRequest::Verb::kBans, ""}, 5000);
  if (!s) {
    fprintf(err, "sftpd bans: %s\n", s.error().c_str());
    return 1;
  }
  if (json) {
    for (const BanEntry& b : s->bans) {
      fprintf(out, "{\"address\":%s,\"score\":%d,\"seconds_left\":%lld}\n",
              JsonQuoted(b.address).c_str(), b.score,
              (long long)b.seconds_left);
    }
    return 0;
  }
  PrintBanTable(s->bans, out);
  return 0;
}

int Unban(const std::string& path, const std::string& target, FILE* out,
          FILE* err) {
  if (!ParseBanTarget(target)) {
    fprintf(err,
            "sftpd unban: '%s' is not an address or CIDR block (an IPv4 or "
            "IPv6 address, or a prefix as sftpd bans prints it, host bits "
            "clear)\n",
            TerminalSafe(target).c_str());
    return 2;
  }
  Result<std::vector<std::string>> lines =
      AskDaemon(path, {ControlRequest::Verb::kUnban, target}, 5000);
  if (!lines) {
    fprintf(err, "sftpd unban: %s\n", lines.error().c_str());
    return 1;
  }
  for (const std::string& line : *lines) {
    fprintf(out, "%s\n", TerminalSafe(line).c_str());
  }
  return 0;
}

}  // namespace sftpd
