// Landlock cannot be undone, so each test confines a forked child and the
// child reports the first step that did not behave ("ok" if none) through a
// pipe. Runs as any user; as root it also shows that Landlock holds where
// DAC would not (/etc/shadow).
#include "sftpd/sandbox/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/apparmor.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "sftpd/sandbox/child_for_test.h"

namespace sftpd::sandbox {
namespace {

// The kernel's Landlock ABI, or -1 without Landlock (tests then skip).
int KernelAbi() {
  const long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0,
                           LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? -1 : static_cast<int>(abi);
}

// Records the first step whose outcome differs from the expected one.
class Steps {
 public:
  void Ok(const std::string& what, long rc) {
    if (rc < 0) Fail(what + ": " + std::strerror(errno));
  }
  // Expects rc < 0 with errno == err.
  void Fails(const std::string& what, long rc, int err = EACCES) {
    const int got = errno;
    if (rc >= 0) {
      Fail(what + ": succeeded, expected " + strerrorname_np(err));
    } else if (got != err) {
      Fail(what + ": " + std::strerror(got) + ", expected " +
           strerrorname_np(err));
    }
  }
  void True(const std::string& what, bool cond) {
    if (!cond) Fail(what);
  }
  std::string Report() const { return failure_.empty() ? "ok" : failure_; }

 private:
  void Fail(std::string message) {
    if (failure_.empty()) failure_ = std::move(message);
  }
  std::string failure_;
};

std::string ReadAll(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "<open: " + std::string(std::strerror(errno)) + ">";
  std::string out;
  char buf[256];
  for (int k = 0; k < 64; ++k) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// Landlock's tests leave the seccomp filter out: it would refuse some of
// their steps (mknod, exec) before Landlock is asked.
const Layers kWithoutSeccomp{.seccomp = false};

// Forks; the child enters the sandbox with `trees` and `layers` and runs
// `body`. Returns the child's report: "ok", the first failing step, or how
// it died.
std::string Confined(
    const std::vector<Tree>& trees,
    const std::function<void(Steps&, const std::string&)>& body,
    const Layers& layers = kWithoutSeccomp) {
  const ChildEnd end = RunInChild([&] {
    Steps steps;
    auto entered = Enter(trees, "sftpd-test-hat", layers);
    if (!entered.ok()) {
      steps.True("Enter: " + entered.error(), false);
    } else {
      body(steps, *entered);
    }
    return steps.Report();
  });
  if (!WIFEXITED(end.status) || WEXITSTATUS(end.status) != 0) {
    return "child died, status " + std::to_string(end.status) + ": " +
           end.report;
  }
  return end.report;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// rw1, rw2: writable trees; ro: a read-only tree with a file and a subdir;
// outside: a directory in no tree. All under one fresh temp directory.
struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/sftpd-sandbox-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    base = tmpl;
    for (const char* dir : {"/rw1", "/rw2", "/ro", "/ro/sub", "/outside"}) {
      REQUIRE(mkdir((base + dir).c_str(), 0755) == 0);
    }
    WriteFile(base + "/ro/readme", "hello");
    WriteFile(base + "/rw1/existing", "data");
    WriteFile(base + "/outside/secret", "secret");
  }
  ~Fixture() { std::filesystem::remove_all(base); }
  std::vector<Tree> Trees() const {
    return {
        {base + "/rw1", true}, {base + "/rw2", true}, {base + "/ro", false}};
  }
  std::string base;
};

#define SKIP_WITHOUT_LANDLOCK()                                       \
  if (KernelAbi() < 0) {                                              \
    WARN("SKIPPED: this kernel has no Landlock; nothing to enforce"); \
    return;                                                           \
  }

TEST_CASE("sandbox: a writable tree allows file work, not exec or devices") {
  SKIP_WITHOUT_LANDLOCK();
  Fixture fx;
  const int abi = KernelAbi();
  const std::string rw = fx.base + "/rw1";
  // A program inside an export, copied in before the sandbox. It must be
  // static: a dynamic one fails anyway for want of its (unreadable) loader,
  // which would hide a missing EXECUTE rule. Debian's ldconfig is static.
  const bool have_static = access("/sbin/ldconfig", X_OK) == 0;
  if (have_static) {
    std::filesystem::copy_file("/sbin/ldconfig", rw + "/prog");
    REQUIRE(chmod((rw + "/prog").c_str(), 0755) == 0);
  } else {
    WARN("no /sbin/ldconfig: exec from an export is not tested");
  }

  const std::string report = Confined(fx.Trees(), [&](Steps& s,
                                                      const std::string& desc) {
    const std::string extras = abi >= 6   ? " +tcp +scopes"
                               : abi >= 4 ? " +tcp"
                                          : "";
    s.True("description: " + desc,
           desc.rfind("no_new_privs, landlock ABI " + std::to_string(abi) +
                          extras + "; seccomp switched off; apparmor ",
                      0) == 0);
    const int fd = open((rw + "/new").c_str(),
                        O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    s.Ok("create", fd);
    s.Ok("write", write(fd, "abc", 3));
    close(fd);
    s.True("read back", ReadAll(rw + "/new") == "abc");
    s.Ok("append",
         open((rw + "/existing").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    s.Ok("open O_TRUNC",
         open((rw + "/existing").c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    s.Ok("truncate", truncate((rw + "/new").c_str(), 1));
    s.Ok("rename", rename((rw + "/new").c_str(), (rw + "/renamed").c_str()));
    s.Ok("mkdir", mkdir((rw + "/dir").c_str(), 0755));
    if (abi >= 2) {
      s.Ok("rename into subdir",
           rename((rw + "/renamed").c_str(), (rw + "/dir/moved").c_str()));
      s.Ok("unlink", unlink((rw + "/dir/moved").c_str()));
    } else {
      s.Ok("unlink", unlink((rw + "/renamed").c_str()));
    }
    s.Ok("rmdir", rmdir((rw + "/dir").c_str()));
    s.Ok("symlink", symlink("existing", (rw + "/link").c_str()));
    s.Ok("hard link", link((rw + "/existing").c_str(), (rw + "/hard").c_str()));
    s.Fails("mkfifo", mkfifo((rw + "/fifo").c_str(), 0600));
    s.Fails("mknod char",
            mknod((rw + "/null").c_str(), S_IFCHR | 0600, makedev(1, 3)));
    // Were exec allowed, the child would become the program and report
    // nothing, which fails the test too.
    char* const argv[] = {const_cast<char*>("prog"),
                          const_cast<char*>("--version"), nullptr};
    if (have_static) {
      s.Ok("open the copy for read",
           open((rw + "/prog").c_str(), O_RDONLY | O_CLOEXEC));
      s.Fails("exec from export",
              execve((rw + "/prog").c_str(), argv, environ));
    }
    s.Fails("exec /bin/true", execve("/bin/true", argv, environ));
  });
  CHECK(report == "ok");
}

TEST_CASE("sandbox: a read-only tree allows reading and listing only") {
  SKIP_WITHOUT_LANDLOCK();
  Fixture fx;
  const int abi = KernelAbi();
  const std::string ro = fx.base + "/ro";
  const std::string report =
      Confined(fx.Trees(), [&](Steps& s, const std::string&) {
        s.True("read", ReadAll(ro + "/readme") == "hello");
        DIR* dir = opendir(ro.c_str());
        s.True("opendir", dir != nullptr);
        int entries = 0;
        while (dir != nullptr && readdir(dir) != nullptr && entries < 100)
          ++entries;
        s.True("list", entries == 4);  // . .. readme sub
        if (dir != nullptr) closedir(dir);
        s.Fails("open for write",
                open((ro + "/readme").c_str(), O_WRONLY | O_CLOEXEC));
        s.Fails("create", open((ro + "/new").c_str(),
                               O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        s.Fails("unlink", unlink((ro + "/readme").c_str()));
        s.Fails("mkdir", mkdir((ro + "/dir").c_str(), 0755));
        s.Fails("rmdir", rmdir((ro + "/sub").c_str()));
        s.Fails("rename",
                rename((ro + "/readme").c_str(), (ro + "/other").c_str()));
        s.Fails("symlink", symlink("readme", (ro + "/link").c_str()));
        if (abi >= 3)
          s.Fails("truncate", truncate((ro + "/readme").c_str(), 0));
      });
  CHECK(report == "ok");
  CHECK(ReadAll(ro + "/readme") == "hello");  // and the file is unharmed
}

TEST_CASE("sandbox: nothing outside the trees but the system files") {
  SKIP_WITHOUT_LANDLOCK();
  Fixture fx;
  const std::string report = Confined(fx.Trees(), [&](Steps& s,
                                                      const std::string&) {
    s.Fails("read outside",
            open((fx.base + "/outside/secret").c_str(), O_RDONLY | O_CLOEXEC));
    s.Fails("list parent",
            open(fx.base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    s.Fails("create outside", open((fx.base + "/outside/x").c_str(),
                                   O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    s.Fails("escape by ..", open((fx.base + "/rw1/../outside/secret").c_str(),
                                 O_RDONLY | O_CLOEXEC));
    s.Fails("read /etc/hostname", open("/etc/hostname", O_RDONLY | O_CLOEXEC));
    s.Fails("list /etc", open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    s.Fails("write /etc/passwd", open("/etc/passwd", O_WRONLY | O_CLOEXEC));
    s.True("read /etc/passwd", ReadAll("/etc/passwd").find("root:") == 0);
    s.True("read /etc/group", ReadAll("/etc/group").find("root:") == 0);
    s.True("getpwnam(root)", getpwnam("root") != nullptr);
    if (access("/etc/shadow", F_OK) == 0) {
      s.Fails("read /etc/shadow", open("/etc/shadow", O_RDONLY | O_CLOEXEC));
    }
  });
  CHECK(report == "ok");

  // No trees at all: only the system files remain.
  const std::string none = Confined({}, [&](Steps& s, const std::string&) {
    s.Fails("read a former tree",
            open((fx.base + "/ro/readme").c_str(), O_RDONLY | O_CLOEXEC));
    s.True("read /etc/passwd", ReadAll("/etc/passwd").find("root:") == 0);
  });
  CHECK(none == "ok");
}

TEST_CASE("sandbox: rename and link between writable trees, not into ro") {
  SKIP_WITHOUT_LANDLOCK();
  Fixture fx;
  const int abi = KernelAbi();
  const std::string rw1 = fx.base + "/rw1", rw2 = fx.base + "/rw2";
  const std::string ro = fx.base + "/ro";
  WriteFile(rw1 + "/a", "A");
  const std::string report = Confined(fx.Trees(), [&](Steps& s,
                                                      const std::string&) {
    if (abi >= 2) {
      s.Ok("rename rw1 -> rw2",
           rename((rw1 + "/a").c_str(), (rw2 + "/a").c_str()));
      s.Ok("link rw2 -> rw1", link((rw2 + "/a").c_str(), (rw1 + "/b").c_str()));
    } else {
      // ABI 1 cannot express it: the kernel refuses every reparenting.
      s.Fails("rename rw1 -> rw2",
              rename((rw1 + "/a").c_str(), (rw2 + "/a").c_str()), EXDEV);
    }
    s.True("rename rw -> ro refused",
           rename((rw1 + "/existing").c_str(), (ro + "/x").c_str()) != 0);
    s.True("rename ro -> rw refused",
           rename((ro + "/readme").c_str(), (rw1 + "/readme").c_str()) != 0);
    s.True("link ro -> rw refused",
           link((ro + "/readme").c_str(), (rw1 + "/readme").c_str()) != 0);
  });
  CHECK(report == "ok");
  if (abi >= 2) {
    CHECK(ReadAll(rw2 + "/a") == "A");
    CHECK(ReadAll(rw1 + "/b") == "A");
  }
  CHECK(ReadAll(ro + "/readme") == "hello");
  CHECK(access((ro + "/x").c_str(), F_OK) != 0);
  CHECK(access((rw1 + "/readme").c_str(), F_OK) != 0);
}

TEST_CASE("sandbox: from Landlock ABI 4, no TCP bind or connect") {
  SKIP_WITHOUT_LANDLOCK();
  if (KernelAbi() < 4) {
    WARN("SKIPPED: Landlock ABI " << KernelAbi()
                                  << " has no network rights (ABI 4)");
    return;
  }
  // A listener outside the sandbox, for the connect.
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  REQUIRE(listen(listener, 1) == 0);
  REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  Fixture fx;
  const std::string report = Confined(fx.Trees(), [&](Steps& s,
                                                      const std::string& desc) {
    s.True("description: " + desc, desc.find(" +tcp") != std::string::npos);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    s.Ok("socket", fd);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s.Fails("bind 127.0.0.1:0",
            bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any));
    s.Fails("connect to a listener",
            connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr));
  });
  close(listener);
  CHECK(report == "ok");
}

TEST_CASE(
    "sandbox: from Landlock ABI 6, signals and abstract sockets stay "
    "inside") {
  SKIP_WITHOUT_LANDLOCK();
  if (KernelAbi() < 6) {
    WARN("SKIPPED: Landlock ABI " << KernelAbi() << " has no scopes (ABI 6)");
    return;
  }
  // An abstract unix socket bound outside the sandbox.
  const int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string name = "sftpd-scope-test-" + std::to_string(getpid());
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  const socklen_t len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  REQUIRE(listen(listener, 1) == 0);
  const std::string report = Confined({}, [&](Steps& s,
                                              const std::string& desc) {
    s.True("description: " + desc, desc.find(" +scopes") != std::string::npos);
    s.Ok("signal itself", kill(getpid(), 0));
    s.Fails("signal its parent", kill(getppid(), 0), EPERM);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    s.Ok("socket", fd);
    s.Fails("connect to an abstract socket outside",
            connect(fd, reinterpret_cast<const sockaddr*>(&addr), len), EPERM);
  });
  close(listener);
  CHECK(report == "ok");
}

TEST_CASE("sandbox: a tree that cannot be opened is an error") {
  // Runs without Landlock too: the trees are checked first.
  Fixture fx;
  const std::string missing = fx.base + "/no-such-dir";
  const std::string file = fx.base + "/ro/readme";
  for (const std::string& path : {missing, file}) {
    int pipe_fds[2];
    REQUIRE(pipe2(pipe_fds, O_CLOEXEC) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      const std::vector<Tree> trees = {{fx.base + "/rw1", true}, {path, false}};
      auto entered = Enter(trees, "sftpd-test-hat");
      const std::string out =
          entered.ok() ? "ok: " + *entered : entered.error();
      ssize_t ignored = write(pipe_fds[1], out.data(), out.size());
      (void)ignored;
      _exit(entered.ok() ? 1 : 0);
    }
    close(pipe_fds[1]);
    char buf[512];
    const ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    close(pipe_fds[0]);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    const std::string error(buf, n > 0 ? static_cast<size_t>(n) : 0);
    INFO(error);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(error.find(path) != std::string::npos);
  }
}

TEST_CASE("sandbox: without AppArmor the hat step says so and goes on") {
  // This machine's kernel has no AppArmor; with it, an unconfined process
  // is reported as such. Either way there is no hat to enter and no error.
  Result<std::string> hat = EnterHat("sftpd-test-hat");
  REQUIRE(hat.ok());
  if (aa_is_enabled()) {
    CHECK(*hat == "apparmor unconfined");
  } else {
    CHECK(hat->rfind("apparmor unavailable (", 0) == 0);
  }
}

}  // namespace
}  // namespace sftpd::sandbox

namespace sftpd {
namespace {

TEST_CASE("layers: switches are read only in test builds") {
  SECTION("unset or empty: every layer on, in any build") {
    for (bool hooks : {false, true}) {
      for (const char* v : {static_cast<const char*>(nullptr), ""}) {
        Result<Layers> l = ParseLayers(v, hooks);
        REQUIRE(l);
        CHECK(l->namespace_checks);
        CHECK(l->landlock);
        CHECK(l->apparmor);
        CHECK(l->seccomp);
        CHECK(l->Describe().empty());
      }
    }
  }
  SECTION("set without test hooks: refused") {
    Result<Layers> l = ParseLayers("landlock", false);
    REQUIRE_FALSE(l);
    CHECK(l.error().find("no test hooks") != std::string::npos);
  }
  SECTION("a test build turns the named layers off") {
    Result<Layers> l = ParseLayers("namespace,apparmor", true);
    REQUIRE(l);
    CHECK_FALSE(l->namespace_checks);
    CHECK(l->landlock);
    CHECK_FALSE(l->apparmor);
    CHECK(l->Describe() == "TEST BUILD, layers off: namespace,apparmor");
  }
  SECTION("seccomp is a layer too") {
    Result<Layers> l = ParseLayers("seccomp,landlock", true);
    REQUIRE(l);
    CHECK_FALSE(l->seccomp);
    CHECK_FALSE(l->landlock);
    CHECK(l->Describe() == "TEST BUILD, layers off: landlock,seccomp");
  }
  SECTION("an unknown word is an error, not ignored") {
    CHECK_FALSE(ParseLayers("namespace,landlok", true));
    CHECK_FALSE(ParseLayers("namespace,", true));
  }
}

}  // namespace
}  // namespace sftpd
