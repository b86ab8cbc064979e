// Sandbox: the process confines itself before serving a session. One call,
// Enter (sandbox.cc), built from the AppArmor step (apparmor.cc), the
// Landlock step (landlock.cc) and the seccomp step (seccomp.cc); callers
// never test for the kernel's features themselves. Not thread-safe: call
// once, from the only thread.
#ifndef SFTPD_SFTPD_SANDBOX_SANDBOX_H_
#define SFTPD_SFTPD_SANDBOX_SANDBOX_H_

#include <span>
#include <string>

#include "config/result.h"
#include "sftpd/sandbox/layers.h"

namespace sftpd::sandbox {

struct Tree {
  std::string path;  // absolute, real directory of an export
  bool writable;     // false: read and list only
  // The directory already opened (O_PATH, borrowed), as Exports holds it;
  // -1: Enter opens `path` itself, with OpenHostPath.
  int fd = -1;
};

// Changes into the AppArmor hat `hat` (the user's name) of the profile
// the process runs under, for good, then sets PR_SET_NO_NEW_PRIVS (after the
// hat change, which it would forbid), then restricts the process with Landlock
// (best ABI the kernel offers, probed) to: the given trees (if writable, every
// file right but execute and creating device nodes, fifos and sockets, which
// are denied everywhere; rename/link between writable trees needs ABI >= 2; if
// not writable, read and list only), plus reading the few system files the
// session needs after this point (/etc/passwd, /etc/group,
// /etc/nsswitch.conf, /etc/localtime; absent ones are skipped). Rights add up
// along a path, so a read-only tree inside a writable one is writable.
// Where the ABI has them, Landlock also refuses TCP bind and connect (ABI 4)
// and scopes abstract unix sockets and signals to the session (ABI 6).
// Last, a seccomp filter allows only the system calls a session makes
// (seccomp.h). Returns a one-line description of what is active, e.g.
// "no_new_privs, landlock ABI 6 +tcp +scopes, seccomp; apparmor
// sftpd^alice"; a kernel without Landlock or AppArmor, an architecture
// without a filter, or a process no profile confines, is said so
// ("no_new_privs, seccomp; landlock unavailable (...); apparmor
// unconfined") and is not an error. An
// error (a tree that cannot be opened as a directory, a profile without the
// hat, a failing syscall) means confinement was asked for and could not be
// set up: the caller must then refuse to serve. A layer `layers` switches
// off (test builds only) is skipped and said so in the description.
Result<std::string> Enter(std::span<const Tree> trees, const std::string& hat,
                          const Layers& layers = {});

// For the daemon's connection process before login, still root
// (before_login.cc): when no AppArmor profile confines it (one that does
// confines it instead; no_new_privs would forbid the later change into the
// user's hat), sets no_new_privs and lets Landlock refuse every change to
// the filesystem (writing, creating, removing, renaming, executing) but
// beneath `writable` (the fixed parts of the export paths; "" for one that
// starts in a home, which leaves the layer to login) and writing files of
// its own /proc directory (pam_loginuid). Reading stays free:
// authentication reads PAM's files, authorized_keys and homes. Returns a
// description ("no_new_privs, landlock ABI 3, changes beneath exports
// only", "apparmor sftpd (landlock from login on)"); a layer `layers`
// switches off is skipped. An error: a step failed, and the connection
// must not be served.
Result<std::string> ConfineBeforeLogin(std::span<const std::string> writable,
                                       const Layers& layers = {});

// The AppArmor step alone (apparmor.cc): "apparmor unavailable (...)" when
// the kernel has none, "apparmor unconfined" when no profile applies to the
// process, "apparmor PROFILE^HAT" after the change; an error when the
// profile has no such hat or the change fails.
Result<std::string> EnterHat(const std::string& hat);

// The profile confining the process (its label, "sftpd" or "sftpd^alice"),
// or, when none does, "apparmor unconfined" / "apparmor unavailable (...)";
// an error when the confinement cannot be read.
Result<std::string> ConfiningProfile();

}  // namespace sftpd::sandbox

#endif  // SFTPD_SFTPD_SANDBOX_SANDBOX_H_
