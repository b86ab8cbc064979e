// What the files that define Exports (exports.cc, open.cc, entries.cc,
// listing.cc, file_io.cc) share: the rules a refusal names, errno as an
// Outcome, and small helpers on directory fds. Private to vfs/; no other
// folder includes it. Stateless; thread-safe.
#ifndef SFTPD_SFTPD_VFS_EXPORTS_INTERNAL_H_
#define SFTPD_SFTPD_VFS_EXPORTS_INTERNAL_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>
#include <string_view>

#include "sftpd/vfs/outcome.h"

namespace sftpd::exports_internal {

// The rules refusals name in the audit trail.
inline constexpr std::string_view kRuleReadOnly = "read-only export";
inline constexpr std::string_view kRuleVirtualRoot =
    "virtual root is read-only";
inline constexpr std::string_view kRuleOutside = "path leaves the export";
inline constexpr std::string_view kRuleOwnerOnly =
    "owner_only: not the user's file";
inline constexpr std::string_view kRuleExportRoot =
    "export root cannot be changed";
inline constexpr std::string_view kRuleNotRegular = "not a regular file";
inline constexpr std::string_view kRuleGroupMember =
    "group share: not a member of its group";
inline constexpr std::string_view kRuleGroupShare =
    "group share: the group is the export's";

inline Outcome Errno(int err) { return {err, {}}; }
inline Outcome Refuse(std::string_view rule) { return {EACCES, rule}; }
inline Outcome LastErrno() { return Errno(errno); }

// The /proc name of our own open file `fd`: reaches its inode without a
// second walk of its path.
inline std::string ProcPath(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

// True when the entry `name` in `dir` is still the file open on `fd`.
inline bool SameEntry(int dir, const char* name, int fd) {
  struct stat there, mine;
  return fstat(fd, &mine) == 0 &&
         fstatat(dir, name, &there, AT_SYMLINK_NOFOLLOW) == 0 &&
         there.st_dev == mine.st_dev && there.st_ino == mine.st_ino;
}

inline FsResult<std::string> ReadLinkAt(int dirfd, const char* name) {
  std::string buf(PATH_MAX, '\0');
  ssize_t n = readlinkat(dirfd, name, buf.data(), buf.size());
  if (n < 0) return {LastErrno(), {}};
  buf.resize(size_t(n));
  return {{}, std::move(buf)};
}

// Whether `path` is `root` or lies beneath it.
inline bool Under(std::string_view path, std::string_view root) {
  if (root == "/") return true;
  return path.substr(0, root.size()) == root &&
         (path.size() == root.size() || path[root.size()] == '/');
}

}  // namespace sftpd::exports_internal

#endif  // SFTPD_SFTPD_VFS_EXPORTS_INTERNAL_H_
