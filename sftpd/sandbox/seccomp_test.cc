// A filter cannot be removed, so each test installs it in a forked child,
// which reports the first step that did not behave ("ok" if none) through
// a pipe, or is killed by the filter where the test expects it.
#include "sftpd/sandbox/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "sftpd/sandbox/child_for_test.h"
#include "sftpd/sandbox/sandbox.h"

namespace sftpd::sandbox {
namespace {

// How a child ended: its report when it exited, or the signal that
// killed it.
struct Outcome {
  std::string report;
  int signal = 0;  // 0: exited
};

// Forks; the child sets no_new_privs, installs the filter (or, with
// `via_enter`, takes sandbox::Enter with every layer on over `trees`) and
// runs `body`, which returns "ok" or what went wrong.
Outcome Filtered(const std::function<std::string()>& body,
                 const std::vector<Tree>& trees = {}, bool via_enter = false,
                 std::string* description = nullptr) {
  const ChildEnd end = RunInChild([&]() -> std::string {
    if (via_enter) {
      Result<std::string> entered = Enter(trees, "sftpd-test-hat");
      return entered ? *entered + "\n" + body() : "Enter: " + entered.error();
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      return "no_new_privs failed";
    }
    Result<SeccompState> state = RestrictWithSeccomp();
    return !state           ? "RestrictWithSeccomp: " + state.error()
           : !state->active ? "inactive: " + state->text
                            : "\n" + body();
  });
  const std::string& report = end.report;
  if (end.status != -1 && WIFSIGNALED(end.status)) {
    return {report, WTERMSIG(end.status)};
  }
  // The first line is Enter's description (empty without Enter).
  const size_t newline = report.find('\n');
  if (newline == std::string::npos) return {report};
  if (description != nullptr) *description = report.substr(0, newline);
  return {report.substr(newline + 1)};
}

// "" when `rc` failed with `err`, else what happened.
std::string FailsWith(const char* what, long rc, int err) {
  const int got = errno;
  if (rc >= 0) return std::string(what) + ": succeeded";
  if (got != err) return std::string(what) + ": " + strerrorname_np(got);
  return "";
}

bool HaveFilter() { return !SeccompProgram(1).empty(); }

#define SKIP_WITHOUT_FILTER()                                 \
  if (!HaveFilter()) {                                        \
    WARN("SKIPPED: no seccomp filter for this architecture"); \
    return;                                                   \
  }

TEST_CASE("seccomp: allowed calls work, others fail with EPERM", "[sandbox]") {
  SKIP_WITHOUT_FILTER();
  const Outcome out = Filtered([] {
    // Allowed: what a session does.
    const int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::string("open: ") + strerror(errno);
    char buf[64];
    if (read(fd, buf, sizeof buf) <= 0) return std::string("read failed");
    close(fd);
    struct stat st;
    if (fstatat(AT_FDCWD, "/", &st, 0) != 0) return std::string("fstatat");
    struct statvfs vfs;
    if (statvfs("/", &vfs) != 0) return std::string("statvfs");
    void* p = malloc(1 << 20);  // mmap
    if (p == nullptr) return std::string("malloc");
    free(p);
    if (getpid() <= 0) return std::string("getpid");
    if (kill(getpid(), 0) != 0)
      return std::string("kill self: ") + strerror(errno);
    // Refused: EPERM, but EAFNOSUPPORT for a new socket and ENOSYS for
    // clone3.
    for (const std::string& e :
         {FailsWith("socket(AF_INET)", socket(AF_INET, SOCK_STREAM, 0),
                    EAFNOSUPPORT),
          FailsWith("socket(AF_UNIX)", socket(AF_UNIX, SOCK_STREAM, 0),
                    EAFNOSUPPORT),
          FailsWith("kill parent", kill(getppid(), 0), EPERM),
          FailsWith("fork", fork(), EPERM),
          FailsWith("clone3", syscall(__NR_clone3, nullptr, 0), ENOSYS),
          FailsWith("setuid", setuid(0), EPERM),
          FailsWith(
              "mknodat",
              mknodat(AT_FDCWD, "/tmp/x-sftpd-seccomp", S_IFIFO | 0600, 0),
              EPERM)}) {
      if (!e.empty()) return e;
    }
    return std::string("ok");
  });
  CHECK(out.signal == 0);
  CHECK(out.report == "ok");
}

TEST_CASE("seccomp: an attacker's calls kill the process", "[sandbox]") {
  SKIP_WITHOUT_FILTER();
  const std::pair<const char*, std::function<void()>> calls[] = {
    {"execve",
     [] {
       char* const argv[] = {const_cast<char*>("true"), nullptr};
       execve("/bin/true", argv, environ);
     }},
    {"ptrace", [] { ptrace(PTRACE_TRACEME, 0, nullptr, nullptr); }},
    {"unshare", [] { unshare(CLONE_NEWUSER); }},
    {"io_uring_setup", [] { syscall(__NR_io_uring_setup, 1, nullptr); }},
    {"bpf", [] { syscall(__NR_bpf, 0, nullptr, 0); }},
#if defined(__x86_64__)
    // An x32 number: x86_64's getpid with bit 30 set.
    {"x32 getpid", [] { syscall(0x40000000 | __NR_getpid); }},
#endif
  };
  for (const auto& entry : calls) {
    INFO(entry.first);
    const Outcome out = Filtered([&] {
      entry.second();
      return std::string("survived");
    });
    CHECK(out.report == "");
    CHECK(out.signal == SIGSYS);
  }
}

#if defined(__x86_64__)
TEST_CASE("seccomp: an i386 call from a 64-bit process is killed",
          "[sandbox]") {
  // Without the filter, int 0x80 runs i386's getpid (20), or the process
  // gets SIGSEGV where the kernel has no 32-bit entry.
  const Outcome control = Filtered([] { return std::string("ok"); });
  REQUIRE(control.report == "ok");
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL);  // not Catch's handler, which would report
    long ret = 20;
    asm volatile("int $0x80" : "+a"(ret) : : "memory");
    _exit(ret == getpid() ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    WARN("SKIPPED: this kernel runs no i386 calls");
    return;
  }
  const Outcome out = Filtered([] {
    long ret = 20;
    asm volatile("int $0x80" : "+a"(ret) : : "memory");
    return std::string("survived, returned ") + std::to_string(ret);
  });
  CHECK(out.report == "");
  CHECK(out.signal == SIGSYS);
}
#endif

TEST_CASE("seccomp: the last layer of Enter, over a session's file work",
          "[sandbox]") {
  SKIP_WITHOUT_FILTER();
  char tmpl[] = "/tmp/sftpd-seccomp-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::string base = tmpl;
  std::string description;
  const Outcome out = Filtered(
      [&] {
        const int root = open(base.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0) return std::string("open root");
        int fd = openat(root, "f", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
        if (fd < 0) return std::string("create: ") + strerror(errno);
        if (pwrite(fd, "abc", 3, 0) != 3) return std::string("pwrite");
        char buf[3];
        if (pread(fd, buf, 3, 0) != 3) return std::string("pread");
        if (fsync(fd) != 0) return std::string("fsync");
        if (ftruncate(fd, 1) != 0) return std::string("ftruncate");
        if (fchmod(fd, 0600) != 0) return std::string("fchmod");
        const timespec times[2] = {{1, 0}, {2, 0}};
        if (futimens(fd, times) != 0) return std::string("futimens");
        struct statvfs vfs;
        if (fstatvfs(fd, &vfs) != 0) return std::string("fstatvfs");
        close(fd);
        if (mkdirat(root, "d", 0755) != 0) return std::string("mkdirat");
        if (renameat(root, "f", root, "d/g") != 0) return std::string("rename");
        if (linkat(root, "d/g", root, "h", 0) != 0) return std::string("link");
        if (symlinkat("h", root, "s") != 0) return std::string("symlink");
        char target[8];
        if (readlinkat(root, "s", target, sizeof target) != 1)
          return std::string("readlinkat");
        struct stat st;
        if (fstatat(root, "s", &st, AT_SYMLINK_NOFOLLOW) != 0)
          return std::string("lstat");
        if (unlinkat(root, "s", 0) != 0) return std::string("unlink");
        fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char dents[1024];
        if (fd < 0 || syscall(SYS_getdents64, fd, dents, sizeof dents) <= 0)
          return std::string("getdents64");
        close(fd);
        return std::string("ok");
      },
      {{base, true}}, /*via_enter=*/true, &description);
  std::filesystem::remove_all(base);
  CHECK(out.signal == 0);
  CHECK(out.report == "ok");
  INFO(description);
  CHECK(description.find(", seccomp; ") != std::string::npos);
}

}  // namespace
}  // namespace sftpd::sandbox
