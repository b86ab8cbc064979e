// The Landlock layer of sandbox::Enter (sandbox.h), in two steps: the
// rules are opened before the AppArmor hat and no_new_privs, so a missing
// export is an error on every kernel, and the restriction comes after them.
// Internal to sandbox/; the rules own their fds; not thread-safe.
#ifndef SFTPD_SFTPD_SANDBOX_LANDLOCK_H_
#define SFTPD_SFTPD_SANDBOX_LANDLOCK_H_

#include <span>
#include <string>
#include <vector>

#include "config/result.h"
#include "sftpd/base/fd.h"
#include "sftpd/sandbox/sandbox.h"

namespace sftpd::sandbox {

// One path beneath which the process keeps rights, opened O_PATH.
struct LandlockRule {
  enum class Kind { kWritableTree, kReadOnlyTree, kSystemFile };
  Fd fd;
  Kind kind;
  std::string path;  // for error messages
};

// The rules for `trees` (a tree's own fd duplicated, or its path opened
// with OpenHostPath), then for the system files a session reads after
// confinement (/etc/passwd, /etc/group, /etc/nsswitch.conf,
// /etc/localtime; absent ones skipped). Errors: a tree or an existing
// system file that cannot be opened.
Result<std::vector<LandlockRule>> OpenLandlockRules(
    std::span<const Tree> trees);

// How the Landlock layer stands after RestrictWithLandlock.
struct LandlockState {
  bool active;  // false: the kernel has no Landlock, or it is disabled
  // "landlock ABI 3", "landlock ABI 6 +tcp +scopes" (the extras applied
  // beside the file rights), "landlock unavailable (...)"
  std::string text;
};

// Restricts the process to `rules` with the best ABI the kernel offers
// (writable trees: every right but execute and making device nodes, fifos
// and sockets; read-only trees: read and list; system files: read). From
// ABI 4 on, no TCP bind or connect either ("+tcp"); from ABI 6 on, no
// connecting to abstract unix sockets or signalling processes outside the
// Landlock domain ("+scopes"). A
// kernel without Landlock is a state, not an error. Errors: a failing
// syscall. REQUIRES: no_new_privs is set (or the process may not restrict
// itself).
Result<LandlockState> RestrictWithLandlock(std::span<const LandlockRule> rules);

// Restricts what the process may change rather than what it may read:
// handles every right that executes a file or changes the filesystem, and
// grants those (but execute) beneath `writable` only, plus writing to
// files beneath `proc` (the process's own /proc directory). A kernel
// without Landlock is a state, not an error. Errors: a failing syscall.
// REQUIRES: no_new_privs is set.
Result<LandlockState> RestrictChanges(std::span<const Fd> writable,
                                      const Fd& proc);

}  // namespace sftpd::sandbox

#endif  // SFTPD_SFTPD_SANDBOX_LANDLOCK_H_
