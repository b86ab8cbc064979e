#include "sftpd/base/log_line.h"

#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace sftpd {

std::string Printable(std::string_view text, size_t max) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (size_t i = 0; i < text.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      continue;
    }
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  if (text.size() > max) out += "...";
  return out;
}

namespace {

LineSink& Sink() {
  static LineSink sink;
  return sink;
}

}  // namespace

void SendLinesTo(LineSink sink) { Sink() = std::move(sink); }

void SayFor(pid_t pid, int priority, std::string_view line, bool to_stderr) {
  const std::string shown = Printable(line, kMaxLogLine);
  if (to_stderr) fprintf(stderr, "sftpd[%d]: %s\n", int(pid), shown.c_str());
  syslog(LOG_PRI(priority), "%s", shown.c_str());
}

void Say(int priority, std::string_view line, LineTo to) {
  const std::string shown = Printable(line, kMaxLogLine);
  if (const LineSink& sink = Sink()) {
    sink(priority, shown, to != LineTo::kSyslogOnly);
    return;
  }
  switch (to) {
    case LineTo::kStderr:
      fprintf(stderr, "sftpd: %s\n", shown.c_str());
      break;
    case LineTo::kStderrWithPid:
      fprintf(stderr, "sftpd[%d]: %s\n", int(getpid()), shown.c_str());
      break;
    case LineTo::kSyslogOnly:
      break;
  }
  syslog(priority, "%s", shown.c_str());
}

}  // namespace sftpd
