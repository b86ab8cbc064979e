#include "sftpd/sandbox/capabilities.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>

namespace sftpd::sandbox {
namespace {

// The hex mask /proc/self/status shows for `field` (CapEff, CapBnd...).
uint64_t StatusMask(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stoull(line.substr(field.size() + 1), nullptr, 16);
    }
  }
  return ~uint64_t(0);
}

// Forks; the child runs `body` and exits with what it returns. Returns that
// exit status (-1: the child died otherwise).
template <typename Body>
int InChild(Body body) {
  const pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_CASE("capabilities: KeepOnly keeps exactly the given ones") {
  if (geteuid() != 0) {
    WARN("not root: skipped");
    return;
  }
  char dir[] = "/tmp/sftpd-caps-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string file = std::string(dir) + "/f";
  REQUIRE(close(open(file.c_str(), O_CREAT | O_WRONLY, 0600)) == 0);
  // Root may give a file away while it holds CAP_CHOWN.
  CHECK(InChild([&] {
          return chown(file.c_str(), 12345, 12345) == 0 ? 0 : 1;
        }) == 0);

  const uint64_t kept = CapabilityMask({CAP_SETUID, CAP_SETGID});
  CHECK(kept == 0xc0);
  const int result = InChild([&] {
    if (!KeepOnly({CAP_SETUID, CAP_SETGID})) return 10;
    if (StatusMask("CapEff") != kept) return 11;
    if (StatusMask("CapPrm") != kept) return 12;
    if (StatusMask("CapBnd") != kept) return 13;
    if (StatusMask("CapInh") != 0 || StatusMask("CapAmb") != 0) return 14;
    // Still uid 0, but without CAP_CHOWN and CAP_DAC_OVERRIDE.
    if (chown(file.c_str(), 0, 0) == 0 || errno != EPERM) return 15;
    if (open(file.c_str(), O_RDONLY) >= 0 || errno != EACCES) return 16;
    // What was kept works: the drop to a user.
    if (setgid(65534) != 0 || setuid(65534) != 0) return 17;
    if (StatusMask("CapEff") != 0) return 18;
    return 0;
  });
  CHECK(result == 0);
  remove(file.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace sftpd::sandbox
