#include "sftpd/base/log_line.h"

#include <syslog.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

namespace sftpd {
namespace {

TEST_CASE("log line: Printable escapes what would break or forge a line") {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"alice", "alice"},
      {"a b:c@d", "a b:c@d"},
      {"x\nFailed password for root from 127.0.0.9 port 1 ssh2",
       "x\\x0aFailed password for root from 127.0.0.9 port 1 ssh2"},
      {"cr\rlf\n", "cr\\x0dlf\\x0a"},
      {"\x1b[31mred", "\\x1b[31mred"},
      {"tab\there", "tab\\x09here"},
      {std::string("nul\0x", 5), "nul\\x00x"},
      {"del\x7f", "del\\x7f"},
      {"\xc3\xa9t\xc3\xa9", "\\xc3\\xa9t\\xc3\\xa9"},  // été
      {"\xc2\x85", "\\xc2\\x85"},                      // NEL
      {"\xe2\x80\xa8", "\\xe2\\x80\\xa8"},             // LINE SEPARATOR
      {"back\\slash", "back\\slash"},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    CHECK(Printable(c.in, 1000) == c.out);
    // A fixed point: a line holding an escaped value is escaped again by
    // Say without change.
    CHECK(Printable(c.out, 1000) == c.out);
  }
}

TEST_CASE("log line: Printable keeps at most max bytes of the text") {
  CHECK(Printable(std::string(150, 'a'), kMaxShownName) ==
        std::string(100, 'a') + "...");
  CHECK(Printable(std::string(100, 'a'), kMaxShownName) ==
        std::string(100, 'a'));
  CHECK(Printable(std::string(10, '\n'), 4) == "\\x0a\\x0a\\x0a\\x0a...");
  CHECK(Printable("", 10).empty());
}

TEST_CASE("log line: Say writes one line however many the text holds") {
  std::FILE* tmp = std::tmpfile();
  REQUIRE(tmp != nullptr);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  REQUIRE(saved >= 0);
  REQUIRE(dup2(fileno(tmp), STDERR_FILENO) >= 0);
  Say(LOG_DEBUG,
      "refused user x\nFailed password for root from 127.0.0.9 port 1 ssh2");
  Say(LOG_DEBUG, "a\r\x1b[2Kb", LineTo::kStderrWithPid);
  Say(LOG_DEBUG, "not on stderr\n", LineTo::kSyslogOnly);
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::rewind(tmp);
  std::string text;
  char buf[512];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, tmp)) > 0;) {
    text.append(buf, n);
  }
  std::fclose(tmp);
  const std::string pid = std::to_string(getpid());
  CHECK(text ==
        "sftpd: refused user x\\x0aFailed password for root from 127.0.0.9 "
        "port 1 ssh2\n"
        "sftpd[" +
            pid + "]: a\\x0d\\x1b[2Kb\n");
}

}  // namespace
}  // namespace sftpd
