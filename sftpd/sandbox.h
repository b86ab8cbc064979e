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
// ABI the kernel offers, probed) to: the given trees (full file rights if
// writable, read/list if not), plus read-only access to the few system files
// the session needs after this point (/etc/passwd, /etc/group,
// /etc/nsswitch.conf, /etc/localtime; absent ones are skipped). Returns a
// one-line description of what is active, e.g. "no_new_privs, landlock ABI 3";
// when the kernel has no Landlock the description says so and it is not an
// error. An error means confinement was asked for and could not be set up (the
// caller must then refuse to serve).
Result<std::string> Enter(std::span<const Tree> trees);

}  // namespace sftpd::sandbox

#endif  // SFTPD_SFTPD_SANDBOX_H_
