#include <fcntl.h>
#include <linux/landlock.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "sftpd/sandbox/sandbox.h"

namespace sftpd::sandbox {
namespace {

bool LandlockAvailable() {
  return syscall(SYS_landlock_create_ruleset, nullptr, 0,
                 LANDLOCK_CREATE_RULESET_VERSION) > 0;
}

// Forks; the child confines itself as before login with `writable` and
// exits with body()'s value (-1: it died otherwise; 100: the step failed).
template <typename Body>
int BeforeLogin(const std::vector<std::string>& writable, Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    Result<std::string> done = ConfineBeforeLogin(writable);
    if (!done ||
        done->find("changes beneath exports only") == std::string::npos) {
      _exit(100);
    }
    _exit(body());
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool Creates(const std::string& path) {
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  close(fd);
  return true;
}

TEST_CASE("before login: changes only beneath the exports, reads anywhere") {
  if (!LandlockAvailable()) {
    WARN("no Landlock in this kernel: skipped");
    return;
  }
  char exports[] = "/tmp/sftpd-bl-exports-XXXXXX";
  char other[] = "/tmp/sftpd-bl-other-XXXXXX";
  REQUIRE(mkdtemp(exports) != nullptr);
  REQUIRE(mkdtemp(other) != nullptr);
  const std::string in = std::string(exports) + "/made";
  const std::string out = std::string(other) + "/made";
  const std::string existing = std::string(other) + "/old";
  REQUIRE(Creates(existing));

  CHECK(BeforeLogin({exports, "/nonexistent/is/skipped"}, [&] {
          if (!Creates(in)) return 1;
          if (mkdir((std::string(exports) + "/d").c_str(), 0700) != 0) return 2;
          // Outside: no new file, no write to an old one, no removal.
          if (Creates(out) || errno != EACCES) return 3;
          if (open(existing.c_str(), O_WRONLY | O_CLOEXEC) >= 0) return 4;
          if (unlink(existing.c_str()) == 0) return 5;
          // Reading is free: PAM's files, authorized_keys, homes.
          const int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
          if (fd < 0) return 6;
          close(fd);
          // Its own /proc directory may be written (pam_loginuid).
          const int comm = open("/proc/self/comm", O_WRONLY | O_TRUNC | O_CLOEXEC);
          if (comm < 0) return 7;
          close(comm);
          // Nothing may be executed.
          execl("/bin/true", "true", nullptr);
          return errno == EACCES ? 0 : 8;
        }) == 0);
  // A pattern that starts in a home leaves the layer to login.
  const pid_t pid = fork();
  if (pid == 0) {
    const std::vector<std::string> writable = {exports, ""};
    Result<std::string> done = ConfineBeforeLogin(writable);
    _exit(done && done->find("from login on") != std::string::npos &&
                  Creates(out)
              ? 0
              : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WEXITSTATUS(status) == 0);

  for (const std::string& p : {in, out, existing}) remove(p.c_str());
  rmdir((std::string(exports) + "/d").c_str());
  rmdir(exports);
  rmdir(other);
}

}  // namespace
}  // namespace sftpd::sandbox
