// Sandbox: the process confines itself before serving a session. One call,
// built from landlock.cc (Linux) by CMake; callers never test for the kernel's
// features themselves. Not thread-safe: call once, from the only thread.
#ifndef SFTPD_SFTPD_SANDBOX_H_
#define SFTPD_SFTPD_SANDBOX_H_

#include <span>
#include <string>

#include "config/result.h"

namespace sftpd::sandbox {

struct Tree {
  std::string path;  // absolute, real directory of an export
  bool writable;     // false: read and list only
};

// Sets PR_SET_NO_NEW_PRIVS, then restricts the process with Landlock (best
// ABI the kernel offers, probed) to: the given trees (if writable, every file
// right but execute and creating device nodes, fifos and sockets, which are
// denied everywhere; rename/link between writable trees needs ABI >= 2; if
// not writable, read and list only), plus reading the few system files the
// session needs after this point (/etc/passwd, /etc/group,
// /etc/nsswitch.conf, /etc/localtime; absent ones are skipped). Rights add up
// along a path, so a read-only tree inside a writable one is writable.
// Returns a one-line description of what is active, e.g. "no_new_privs,
// landlock ABI 3"; when the kernel has no Landlock the description says so
// ("no_new_privs; landlock unavailable (...)") and it is not an error. An
// error (a tree that cannot be opened as a directory, a failing syscall) means
// confinement was asked for and could not be set up: the caller must then
// refuse to serve.
Result<std::string> Enter(std::span<const Tree> trees);

}  // namespace sftpd::sandbox

#endif  // SFTPD_SFTPD_SANDBOX_H_
