// Tests of confinement, which cannot be undone, run it in a forked child.
// Test-only; header-only.
#ifndef SFTPD_SFTPD_SANDBOX_CHILD_FOR_TEST_H_
#define SFTPD_SFTPD_SANDBOX_CHILD_FOR_TEST_H_

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

namespace sftpd::sandbox {

struct ChildEnd {
  std::string report;  // what the child returned (or why it could not run)
  int status = -1;     // waitpid's status; -1: no child was waited for
};

// Forks; the child runs `child`, writes what it returns to a pipe and exits
// 0. Returns that text, as far as the child got, and how the child ended.
inline ChildEnd RunInChild(const std::function<std::string()>& child) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return {"pipe failed"};
  const pid_t pid = fork();
  if (pid < 0) return {"fork failed"};
  if (pid == 0) {
    close(pipe_fds[0]);
    const std::string report = child();
    ssize_t ignored = write(pipe_fds[1], report.data(), report.size());
    (void)ignored;
    _exit(0);
  }
  close(pipe_fds[1]);
  ChildEnd end;
  char buf[512];
  for (int k = 0; k < 64; ++k) {
    const ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    if (n <= 0) break;
    end.report.append(buf, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  if (waitpid(pid, &end.status, 0) != pid) return {"waitpid failed"};
  return end;
}

}  // namespace sftpd::sandbox

#endif  // SFTPD_SFTPD_SANDBOX_CHILD_FOR_TEST_H_
