// The seccomp layer of sandbox::Enter (sandbox.h), its last step: a BPF
// allow-list of the system calls a confined session makes (file work
// through the *at calls, I/O on the fds it holds, memory, time, signals to
// itself). Written as raw BPF, no library. Internal to sandbox/; plain
// functions; call from the only thread.
#ifndef SFTPD_SFTPD_SANDBOX_SECCOMP_H_
#define SFTPD_SFTPD_SANDBOX_SECCOMP_H_

#include <linux/filter.h>

#include <string>
#include <vector>

#include "config/result.h"

namespace sftpd::sandbox {

// How the seccomp layer stands after RestrictWithSeccomp.
struct SeccompState {
  bool active;       // false: no filter for this architecture or kernel
  std::string text;  // "seccomp", "seccomp unavailable (...)"
};

// The filter for this process: `pid` is the process's own id, the only
// one kill and tgkill may name. Empty when the build's architecture has no
// filter (only x86_64 and aarch64 have one).
std::vector<sock_filter> SeccompProgram(int pid);

// Installs SeccompProgram(getpid()). Calls outside the list fail with
// EPERM, but for those only an attack makes (exec, ptrace, mount, new
// namespaces, kernel modules, bpf, io_uring...), which kill the process,
// and for clone3, which fails with ENOSYS so that glibc falls back to
// clone (refused with EPERM: a session starts no threads or processes),
// and for socket, which fails with EAFNOSUPPORT (seccomp.cc says why). An
// architecture without a filter, or a kernel without seccomp filters, is a
// state, not an error. Errors: the kernel refused a filter it supports.
// REQUIRES: no_new_privs is set; the process is single-threaded.
Result<SeccompState> RestrictWithSeccomp();

}  // namespace sftpd::sandbox

#endif  // SFTPD_SFTPD_SANDBOX_SECCOMP_H_
