#include "sftpd/cli/daemon_loader.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "config/testing.h"

namespace sftpd {
namespace {

using testing::TempDir;

TEST_CASE("daemon module: it belongs in lib/sftpd beside the bin directory") {
  CHECK(DaemonModulePath("/usr/sbin/sftpd") ==
        "/usr/lib/sftpd/sftpd-daemon.so");
  CHECK(DaemonModulePath("/usr/local/sbin/sftpd") ==
        "/usr/local/lib/sftpd/sftpd-daemon.so");
  CHECK(DaemonModulePath("/opt/sftpd/bin/sftpd") ==
        "/opt/sftpd/lib/sftpd/sftpd-daemon.so");
  // The build tree keeps the same shape, so the built binary finds the
  // module built with it.
  CHECK(DaemonModulePath(SFTPD_BINARY) ==
        std::filesystem::path(SFTPD_DAEMON_MODULE).lexically_normal());
}

TEST_CASE("daemon module: the built module loads and has the entry") {
  Result<DaemonEntry> entry = LoadDaemonModule(SFTPD_DAEMON_MODULE);
  INFO((entry.ok() ? "" : entry.error()));
  REQUIRE(entry.ok());
  CHECK(*entry != nullptr);
}

TEST_CASE("daemon module: a module anyone else could have written is refused") {
  TempDir dir;
  const std::string copy = dir.Sub("sftpd-daemon.so");
  std::filesystem::copy_file(SFTPD_DAEMON_MODULE, copy);
  struct Case {
    mode_t mode;
    uid_t owner;  // (uid_t)-1: the caller
    const char* why;
  };
  const Case cases[] = {
      {0644, uid_t(-1), nullptr},
      {0755, uid_t(-1), nullptr},
      {0444, uid_t(-1), nullptr},
      {0664, uid_t(-1), "writable by group or others"},
      {0646, uid_t(-1), "writable by group or others"},
      {0666, uid_t(-1), "writable by group or others"},
      {0644, 65534, "is owned by uid 65534, not root"},
  };
  for (const Case& c : cases) {
    if (c.owner != uid_t(-1) && geteuid() != 0) continue;  // needs chown
    REQUIRE(chmod(copy.c_str(), c.mode) == 0);
    REQUIRE(chown(copy.c_str(), c.owner, gid_t(-1)) == 0);
    Result<DaemonEntry> entry = LoadDaemonModule(copy);
    INFO("mode " << std::oct << c.mode << " owner " << std::dec << c.owner);
    if (c.why == nullptr) {
      CHECK(entry.ok());
    } else {
      REQUIRE_FALSE(entry.ok());
      CHECK_THAT(entry.error(),
                 Catch::Contains(c.why) && Catch::Contains(copy));
    }
    if (c.owner != uid_t(-1)) REQUIRE(chown(copy.c_str(), geteuid(), -1) == 0);
  }
  // The directory counts too: whoever may write it may swap the file.
  REQUIRE(chmod(copy.c_str(), 0644) == 0);
  for (mode_t mode : {0775, 0757, 01777}) {
    REQUIRE(chmod(dir.path().c_str(), mode) == 0);
    Result<DaemonEntry> entry = LoadDaemonModule(copy);
    INFO("directory mode " << std::oct << mode);
    REQUIRE_FALSE(entry.ok());
    CHECK_THAT(entry.error(),
               Catch::Contains(dir.path() + " is writable by group or others"));
  }
  REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
  CHECK(LoadDaemonModule(copy).ok());
}

TEST_CASE(
    "daemon module: every directory above it counts, and no planted "
    "symlink is followed") {
  if (geteuid() != 0) return;  // needs chown
  TempDir dir;
  // /opt/sftpd owned by a deploy account: it could rename lib/ away and put
  // its own in place between a check and the load.
  const std::string lib = dir.MakeDir("opt/lib/sftpd");
  const std::string module = lib + "/sftpd-daemon.so";
  std::filesystem::copy_file(SFTPD_DAEMON_MODULE, module);
  REQUIRE(chown(dir.Sub("opt").c_str(), 65534, gid_t(-1)) == 0);
  Result<DaemonEntry> entry = LoadDaemonModule(module);
  REQUIRE_FALSE(entry.ok());
  CHECK_THAT(entry.error(),
             Catch::Contains(dir.Sub("opt") + " is owned by uid 65534"));
  REQUIRE(chown(dir.Sub("opt").c_str(), 0, gid_t(-1)) == 0);
  CHECK(LoadDaemonModule(module).ok());
  // A link of that account's, even to the real module, is not followed.
  const std::string home = dir.MakeDir("home");
  REQUIRE(chown(home.c_str(), 65534, gid_t(-1)) == 0);
  REQUIRE(symlink(lib.c_str(), (home + "/lib").c_str()) == 0);
  entry = LoadDaemonModule(home + "/lib/sftpd-daemon.so");
  REQUIRE_FALSE(entry.ok());
  CHECK_THAT(entry.error(), Catch::Contains("not followed"));
}

TEST_CASE("daemon module: missing, not a file, not a module, wrong module") {
  TempDir dir;
  auto refused = [](const std::string& path, const std::string& why) {
    Result<DaemonEntry> entry = LoadDaemonModule(path);
    INFO(path);
    REQUIRE_FALSE(entry.ok());
    CHECK_THAT(entry.error(), Catch::Contains(why) && Catch::Contains(path));
  };
  refused(dir.Sub("absent.so"), "cannot find the daemon module");
  refused(dir.MakeDir("a-dir"), "is not a regular file");
  refused(dir.Write("empty.so", ""), "cannot load the daemon module");
  refused(dir.Write("text.so", "not an ELF file\n"),
          "cannot load the daemon module");
  // A real shared object without the entry: libc's math library.
  const std::string libm = dir.Sub("libm.so");
  std::filesystem::copy_file("/lib/x86_64-linux-gnu/libm.so.6", libm);
  refused(libm, "has no sftpd_run_daemon");
}

}  // namespace
}  // namespace sftpd
