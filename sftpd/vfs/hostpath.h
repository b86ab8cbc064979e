// Host paths the server opens on its own authority (export roots, the
// daemon module, authorized_keys files): walked from "/" one component at a
// time with O_NOFOLLOW, so a symlink someone other than root planted is
// never followed, and the object is opened once and used through its fd
// (never looked up by name a second time). Stateless; thread-safe.
#ifndef SFTPD_SFTPD_VFS_HOSTPATH_H_
#define SFTPD_SFTPD_VFS_HOSTPATH_H_

#include <sys/stat.h>

#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "config/result.h"
#include "sftpd/base/fd.h"

namespace sftpd {

// The components of a path, in order, without empty ones ("a//b/" is a, b).
std::deque<std::string> PathComponents(std::string_view path);

// True for a directory whose entries only root can add, remove or rename:
// owned by root and not writable by group or others, or sticky (then an
// entry can be replaced by its own owner only).
bool OnlyRootChanges(const struct stat& dir);

struct HostFile {
  Fd fd;             // opened with the caller's flags
  std::string real;  // the path walked, with every symlink resolved
  struct stat st;    // of the object opened
};

// Called for "/", every directory on the resolved path and then the object
// itself, in that order: the empty string accepts, anything else is the
// refusal (it names the path and the rule).
using HostPathCheck =
    std::function<std::string(const std::string& path, const struct stat& st)>;

// Opens the absolute `path` with `flags` (O_PATH, O_RDONLY, ...; O_NOFOLLOW
// and O_CLOEXEC are added). Each component is looked at without following
// it; a symlink is followed only when it is owned by root and lies in a
// directory OnlyRootChanges() (root put it there, and nobody else can swap
// it), up to 40 symlinks. `check`, if given, is then run over the resolved
// path from "/" down to the object. Errors: the path is not absolute, a
// component is missing or not a directory (the message starts with
// "absent: " when something does not exist), a symlink that may not be
// followed (names it and its directory), a loop, or `check`'s refusal.
Result<HostFile> OpenHostPath(std::string_view path, int flags,
                              const HostPathCheck& check = {});

}  // namespace sftpd

#endif  // SFTPD_SFTPD_VFS_HOSTPATH_H_
