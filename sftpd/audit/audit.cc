#include "sftpd/audit/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <utility>

#include "sftpd/base/io.h"
#include "sftpd/base/limits.h"
#include "sftpd/base/log_line.h"

namespace sftpd {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0 if there is
// none.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  auto cont = [&](size_t k) {
    return k < s.size() && (byte(k) & 0xC0) == 0x80;
  };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    const unsigned char c1 = byte(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    const unsigned char c1 = byte(i + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;  // stray continuation byte, C0/C1 overlong lead, F5..FF
}

void AppendByteEscape(std::string& out, unsigned char b) {
  out += "\\u00";
  out += kHex[b >> 4];
  out += kHex[b & 0xF];
}

// Appends `s` as a quoted JSON string. Each unit (a byte escape, an escaped
// character, a whole UTF-8 sequence) is appended entirely or not at all, so
// truncation never splits one. Returns whether `s` was cut.
bool AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t kept = 0;
  std::string unit;
  for (size_t i = 0; i < s.size();) {
    unit.clear();
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t consumed = 1;
    if (c == '"' || c == '\\') {
      unit += '\\';
      unit += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      AppendByteEscape(unit, c);
    } else if (c < 0x80) {
      unit += static_cast<char>(c);
    } else if (size_t n = Utf8SequenceLength(s, i); n == 0) {
      // The byte itself rather than U+FFFD: the log keeps the evidence.
      AppendByteEscape(unit, c);
    } else if (n == 2 && c == 0xC2 &&
               static_cast<unsigned char>(s[i + 1]) < 0xA0) {
      // C1 controls (U+0080..U+009F) act as terminal escapes in some
      // viewers: escaped, byte by byte like an invalid sequence, so that
      // \u0080..\u00ff always mean one raw byte to a reader.
      AppendByteEscape(unit, c);
      AppendByteEscape(unit, static_cast<unsigned char>(s[i + 1]));
      consumed = 2;
    } else {
      unit.append(s.substr(i, n));
      consumed = n;
    }
    if (kept + unit.size() > kMaxAuditField) {
      out += '"';
      return true;
    }
    out += unit;
    kept += unit.size();
    i += consumed;
  }
  out += '"';
  return false;
}

void AppendTime(std::string& out, int64_t time_us) {
  int64_t secs = time_us / 1000000;
  int64_t micros = time_us % 1000000;
  if (micros < 0) {  // floor, for times before the epoch
    micros += 1000000;
    secs -= 1;
  }
  const time_t t = static_cast<time_t>(secs);
  struct tm tm {};
  if (gmtime_r(&t, &tm) == nullptr) tm = {};
  char buf[80];  // room for any int fields, though years stay 4 digits
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(micros));
  out += '"';
  out += buf;
  out += '"';
}

// Appends `key` and `value` unless the value is empty; a key whose value
// was cut is added to `cut` ("path,detail").
void AppendStringField(std::string& out, const char* key,
                       std::string_view value, std::string& cut) {
  if (value.empty()) return;
  out += ",\"";
  out += key;
  out += "\":";
  if (!AppendJsonString(out, value)) return;
  if (!cut.empty()) cut += ',';
  cut += key;
}

void AppendNumberField(std::string& out, const char* key, int64_t value) {
  out += ",\"";
  out += key;
  out += "\":";
  out += std::to_string(value);
}

}  // namespace

std::string JsonQuoted(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

std::string FormatAuditEvent(const AuditIdentity& who, const AuditEvent& event,
                             int64_t time_us) {
  std::string out = "{\"time\":";
  out.reserve(256);
  std::string cut;
  AppendTime(out, time_us);
  AppendStringField(out, "session", who.session, cut);
  AppendStringField(out, "user", who.user, cut);
  if (who.uid >= 0) AppendNumberField(out, "uid", who.uid);
  AppendStringField(out, "addr", who.address, cut);
  if (who.port > 0) AppendNumberField(out, "port", who.port);
  AppendStringField(out, "op", event.op, cut);
  AppendStringField(out, "path", event.path, cut);
  AppendStringField(out, "target", event.target, cut);
  AppendStringField(out, "result", event.result, cut);
  AppendStringField(out, "rule", event.rule, cut);
  AppendStringField(out, "detail", event.detail, cut);
  AppendStringField(out, "method", event.method, cut);
  AppendStringField(out, "key", event.key, cut);
  if (event.bytes_read >= 0) {
    AppendNumberField(out, "bytes_read", event.bytes_read);
  }
  if (event.bytes_written >= 0) {
    AppendNumberField(out, "bytes_written", event.bytes_written);
  }
  if (event.repeated > 0) {
    AppendNumberField(out, "repeated", int64_t(event.repeated));
  }
  if (!cut.empty()) {
    out += ",\"cut\":\"";
    out += cut;
    out += '"';
  }
  out += '}';
  return out;
}

AuditLog::AuditLog(const AuditSection& settings, bool stderr_fallback,
                   AuditFileRule rule)
    : settings_(settings), stderr_fallback_(stderr_fallback), rule_(rule) {
  // Usual under OpenSSH, where the user may not append to the file: noted
  // in syslog only, not on stderr, which the client would show.
  if (Result<void> opened = Reopen(); !opened) {
    syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s; audit events go to syslog",
           opened.error().c_str());
  }
}

AuditLog::AuditLog(int fd, const AuditSection& settings, bool stderr_fallback)
    : settings_(settings), stderr_fallback_(stderr_fallback), fd_(fd) {}

AuditLog::~AuditLog() {
  if (fd_ >= 0) close(fd_);
}

Result<void> AuditLog::Reopen() {
  const std::string& path = settings_.log;
  if (path.empty()) return {};
  const bool create = rule_ == AuditFileRule::kCreate;
  const int fd = open(path.c_str(),
                      O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
                          (create ? O_CREAT : 0),
                      0600);
  if (fd < 0) {
    return Error{"audit log " + path + ": " + std::strerror(errno)};
  }
  struct stat st;
  if (!create &&
      (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0)) {
    close(fd);
    return Error{"audit log " + path +
                 ": not a regular file of root's, so not written"};
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  return {};
}

void AuditLog::Write(std::string line) {
  bool unwritten = fd_ < 0;  // no file, or it could not be opened
  if (fd_ >= 0) {
    line += '\n';
    const int err = WriteAll(fd_, line);
    line.pop_back();
    if (err != 0 && !failing_) {
      Say(LOG_AUTHPRIV | LOG_NOTICE,
          "audit log " + settings_.log + ": write failed (" +
              std::strerror(err) + "); audit events go to syslog" +
              (stderr_fallback_ ? " and stderr" : "") +
              (settings_.on_failure == AuditFailure::kRefuse
                   ? "; file operations are refused until it can be written"
                   : ""));
    } else if (err == 0 && failing_) {
      Say(LOG_AUTHPRIV | LOG_NOTICE,
          "audit log " + settings_.log + " is written again");
    }
    failing_ = err != 0;
    unwritten = failing_;
  }
  if (unwritten || settings_.syslog) {
    syslog(LOG_AUTHPRIV | LOG_INFO, "audit %s", line.c_str());
  }
  if (unwritten && fd_ >= 0 && stderr_fallback_) {
    std::fprintf(stderr, "sftpd: audit %s\n", line.c_str());
  }
}

void JsonAudit::Record(const AuditEvent& event) {
  log_.Write(FormatAuditEvent(who_, event, WallMicros()));
}

std::string NewSessionId() {
  uint8_t bytes[8] = {};
  size_t got = 0;
  for (int attempt = 0; attempt < 16 && got < sizeof bytes; ++attempt) {
    const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      break;
    }
  }
  if (got < sizeof bytes) {
    // No getrandom: ids need to be unique, not secret, so time and pid do.
    const uint64_t mix =
        static_cast<uint64_t>(WallMicros()) * 0x9E3779B97F4A7C15u ^
        static_cast<uint64_t>(getpid());
    for (size_t k = 0; k < sizeof bytes; ++k) {
      bytes[k] = static_cast<uint8_t>(mix >> (8 * k));
    }
  }
  std::string id;
  for (uint8_t b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0xF];
  }
  return id;
}

}  // namespace sftpd
