// Exports, part one: opening the export roots, and resolving client paths
// beneath them (openat2, or a component walk where a symlink is absolute),
// with the policy checks resolution needs (the read-only gate, owner_only,
// group shares). The other parts: open.cc, entries.cc, listing.cc,
// file_io.cc.
#include "sftpd/vfs/exports.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <deque>
#include <vector>

#include "sftpd/base/limits.h"
#include "sftpd/vfs/exports_internal.h"
#include "sftpd/vfs/hostpath.h"
#include "sftpd/vfs/vpath.h"

namespace sftpd {

using exports_internal::Errno;
using exports_internal::kRuleExportRoot;
using exports_internal::kRuleGroupMember;
using exports_internal::kRuleOutside;
using exports_internal::kRuleOwnerOnly;
using exports_internal::kRuleReadOnly;
using exports_internal::kRuleVirtualRoot;
using exports_internal::LastErrno;
using exports_internal::ReadLinkAt;
using exports_internal::Refuse;
using exports_internal::Under;

namespace {

// Whether this process may chown a file to `gid`: root, or a member.
bool MayUseGroup(gid_t gid) {
  if (geteuid() == 0 || getegid() == gid) return true;
  int n = getgroups(0, nullptr);
  if (n <= 0) return false;
  std::vector<gid_t> groups(static_cast<size_t>(n));
  n = getgroups(n, groups.data());
  for (int i = 0; i < n; ++i) {
    if (groups[size_t(i)] == gid) return true;
  }
  return false;
}

int Openat2(int dirfd, const char* path, int flags, mode_t mode,
            uint64_t resolve) {
  struct open_how how = {};
  how.flags = uint64_t(flags);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = resolve;
  for (int i = 0; i < 8; ++i) {  // EAGAIN: a concurrent rename; try again
    int fd = int(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
    if (fd >= 0 || errno != EAGAIN) return fd;
  }
  return -1;
}

}  // namespace

Result<std::unique_ptr<Exports>> Exports::Open(
    std::vector<ExportSpec> specs, uid_t uid, bool namespace_checks,
    std::vector<AbsentExport>* absent) {
  std::vector<Root> roots;
  for (ExportSpec& s : specs) {
    // Walked from "/" without following a link the user could have put in
    // place of the root or above it (hostpath.h): what is checked here is
    // what Landlock is given, through the same fd.
    Result<HostFile> root = OpenHostPath(s.path, O_PATH | O_DIRECTORY);
    if (!root && absent != nullptr && root.error().starts_with("absent: ")) {
      absent->push_back({s.name, root.error()});
      continue;
    }
    if (!root) return Error{"export " + s.name + ": " + root.error()};
    roots.push_back(
        Root{std::move(s), std::move(root->real), std::move(root->fd)});
  }
  if (roots.empty() && absent != nullptr && !absent->empty()) {
    std::string why;
    for (const AbsentExport& a : *absent) {
      why += (why.empty() ? "" : ", ") + a.name + ": " + a.why;
    }
    return Error{"no export is available (" + why + ")"};
  }
  if (roots.empty()) return Error{"no exports"};
  // A read-only tree inside a writable one could be changed through the
  // writable export (and Landlock rights add up along a path): refuse.
  for (const Root& ro : roots) {
    if (ro.spec.access != Access::kReadOnly) continue;
    for (const Root& rw : roots) {
      if (rw.spec.access == Access::kReadWrite && Under(ro.real, rw.real)) {
        return Error{"read-only export " + ro.spec.name + " (" + ro.real +
                     ") lies inside read-write export " + rw.spec.name + " (" +
                     rw.real + ")"};
      }
    }
  }
  for (Root& r : roots) {
    if (r.spec.group != ExportSpec::kNoGroup) {
      r.group_member = MayUseGroup(r.spec.group);
    }
  }
  return std::unique_ptr<Exports>(
      new Exports(std::move(roots), uid, namespace_checks));
}

Result<std::unique_ptr<Exports>> OpenGranted(
    std::span<const Export* const> granted, const std::string& user,
    const std::string& home, uid_t uid, bool namespace_checks,
    std::vector<AbsentExport>* absent) {
  std::vector<ExportSpec> specs;
  for (const Export* e : granted) {
    Result<std::string> path = ExpandPath(e->path, user, home);
    if (!path) {
      return Error{"export " + e->name + " path " + e->path +
                   " does not expand to a safe absolute path"};
    }
    specs.push_back(ExportSpec::Of(*e, *path));
  }
  return Exports::Open(std::move(specs), uid, namespace_checks, absent);
}

std::string AbsentNotice(std::span<const AbsentExport> absent) {
  if (absent.empty()) return "";
  std::string names;
  for (const AbsentExport& a : absent) {
    names += (names.empty() ? "" : ", ") + a.name;
  }
  const bool one = absent.size() == 1;
  return std::string("sftpd: your ") + (one ? "export " : "exports ") + names +
         (one ? " is not available: its directory does not exist"
              : " are not available: their directories do not exist") +
         "; ask the administrator\n";
}

Exports::Exports(std::vector<Root> roots, uid_t uid, bool namespace_checks)
    : roots_(std::move(roots)),
      uid_(uid),
      checks_(namespace_checks),
      start_("/" + roots_[0].spec.name),
      started_(time(nullptr)) {}

FsResult<Location> Exports::Locate(std::string_view client_path,
                                   Effect effect) const {
  Location loc;
  loc.vpath = vpath::Normalize(client_path, start_);
  vpath::Split split = vpath::SplitExport(loc.vpath);
  if (split.export_name.empty()) {
    Outcome gate = Gate(-1, effect);
    return {gate, std::move(loc)};
  }
  for (size_t i = 0; i < roots_.size(); ++i) {
    if (roots_[i].spec.name == split.export_name) {
      loc.index = int(i);
      loc.rel = std::string(split.rest);
      Outcome gate = Gate(loc.index, effect);
      return {gate, std::move(loc)};
    }
  }
  return {Errno(ENOENT), std::move(loc)};
}

Outcome Exports::Gate(int index, Effect effect) const {
  if (effect != Effect::kWrite) return {};
  if (index < 0) return Refuse(kRuleVirtualRoot);
  if (checks_ && roots_[index].spec.access == Access::kReadOnly) {
    return Refuse(kRuleReadOnly);
  }
  return {};
}

FsResult<Fd> Exports::Resolve(const Root& root, std::string_view rel, int flags,
                              mode_t mode, bool follow_last) const {
  std::string path = rel.empty() ? std::string(".") : std::string(rel);
  // openat2 refuses O_PATH with any flag but O_DIRECTORY/O_NOFOLLOW/O_CLOEXEC.
  int f = flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY) |
          (follow_last ? 0 : O_NOFOLLOW);
  int fd = Openat2(root.fd.get(), path.c_str(), f, mode,
                   checks_ ? RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS : 0);
  if (fd >= 0) return {{}, Fd(fd)};
  // EXDEV: the path or a symlink in it left the tree, or a symlink is
  // absolute. The walk follows absolute symlinks that point back inside the
  // export and refuses everything else.
  if (errno == EXDEV) return Walk(root, rel, flags, mode, follow_last);
  return {LastErrno(), {}};
}

FsResult<Fd> Exports::Walk(const Root& root, std::string_view rel, int flags,
                           mode_t mode, bool follow_last) const {
  std::vector<Fd> stack;  // directories entered below the root
  std::deque<std::string> todo = PathComponents(rel);
  int hops = 0;
  auto top = [&] { return stack.empty() ? root.fd.get() : stack.back().get(); };
  int final_flags =
      flags | O_CLOEXEC | O_NOFOLLOW | ((flags & O_PATH) ? 0 : O_NOCTTY);
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c == ".") continue;
    if (c == "..") {
      if (stack.empty()) return {Refuse(kRuleOutside), {}};
      stack.pop_back();
      continue;
    }
    bool last = todo.empty();
    Fd fd(openat(top(), c.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
      if (last && errno == ENOENT && (flags & O_CREAT)) {
        Fd made(openat(top(), c.c_str(), final_flags, mode));
        if (!made.valid()) return {LastErrno(), {}};
        return {{}, std::move(made)};
      }
      return {LastErrno(), {}};
    }
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return {LastErrno(), {}};
    if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
      if (last && (flags & O_EXCL)) return {Errno(EEXIST), {}};
      if (++hops > kMaxSymlinkHops) return {Errno(ELOOP), {}};
      if (Outcome o = FollowLink(root, fd.get(), stack, todo); !o.ok()) {
        return {o, {}};
      }
      continue;
    }
    if (last) {
      if ((flags & O_PATH) && !(flags & O_DIRECTORY))
        return {{}, std::move(fd)};
      Fd opened(openat(top(), c.c_str(), final_flags, mode));
      if (!opened.valid()) return {LastErrno(), {}};
      return {{}, std::move(opened)};
    }
    if (!S_ISDIR(st.st_mode)) return {Errno(ENOTDIR), {}};
    stack.push_back(std::move(fd));
  }
  // Nothing left (the path ended in ".." or "."): the directory we are in.
  Fd here(openat(top(), ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC));
  if (!here.valid()) return {LastErrno(), {}};
  return {{}, std::move(here)};
}

Outcome Exports::FollowLink(const Root& root, int link, std::vector<Fd>& stack,
                            std::deque<std::string>& todo) const {
  FsResult<std::string> target = ReadLinkAt(link, "");
  if (!target.ok()) return target.outcome;
  std::string_view t = target.value;
  if (!t.empty() && t[0] == '/') {
    // The export's real path, or its configured path when that runs
    // through a symlink (/srv/data -> /data: links may name either).
    const std::string* base = Under(t, root.real)        ? &root.real
                              : Under(t, root.spec.path) ? &root.spec.path
                                                         : nullptr;
    if (base == nullptr) return Refuse(kRuleOutside);
    stack.clear();
    t.remove_prefix(*base == "/" ? 0 : base->size());
  }
  std::deque<std::string> more = PathComponents(t);
  todo.insert(todo.begin(), more.begin(), more.end());
  return {};
}

FsResult<Exports::Entry> Exports::ResolveEntry(const Location& loc,
                                               Change change) const {
  if (loc.IsVirtualRoot() || loc.IsExportRoot()) {
    return {Refuse(kRuleExportRoot), {}};
  }
  const Root& root = roots_[loc.index];
  std::string_view dir = vpath::Dir(loc.rel);
  FsResult<Fd> parent = Resolve(root, dir, O_PATH | O_DIRECTORY, 0, true);
  if (!parent.ok()) return {parent.outcome, {}};
  if (change == Change::kAdd && checks_ && root.spec.owner_only &&
      !dir.empty()) {
    struct stat st;
    if (fstat(parent.value.get(), &st) != 0) return {LastErrno(), {}};
    if (Outcome o = CheckOwner(loc.index, st); !o.ok()) return {o, {}};
  }
  return {{},
          Entry{std::move(parent.value), std::string(vpath::Base(loc.rel))}};
}

mode_t Exports::ClientMode(const Root& root, mode_t mode, bool dir,
                           bool create) {
  // Setuid and setgid files are not made over SFTP (a setgid directory
  // comes only from a group share, below).
  mode &= 01777;
  if (create) mode &= ~root.spec.umask;
  if (root.spec.group != ExportSpec::kNoGroup) {
    mode |= dir ? (S_ISGID | S_IRWXG) : (S_IRGRP | S_IWGRP);
  }
  return mode;
}

Outcome Exports::CheckGroupMember(const Root& root) {
  if (root.spec.group == ExportSpec::kNoGroup || root.group_member) return {};
  return Refuse(kRuleGroupMember);
}

Outcome Exports::ForceGroup(const Root& root, int fd, bool dir) {
  const gid_t group = root.spec.group;
  if (group == ExportSpec::kNoGroup) return {};
  struct stat st;
  if (fstat(fd, &st) != 0) return LastErrno();
  if (st.st_gid != group) {
    // Not inherited (the parent is not setgid to the group).
    if (fchown(fd, uid_t(-1), group) != 0) return LastErrno();
    if (fstat(fd, &st) != 0) return LastErrno();
  }
  const mode_t want = ClientMode(root, st.st_mode & 07777, dir, false);
  if ((st.st_mode & 07777) != want && fchmod(fd, want) != 0) {
    return LastErrno();
  }
  return {};
}

FsResult<struct stat> Exports::OwnedEntry(int index, const Entry& e) const {
  struct stat st;
  if (fstatat(e.parent.get(), e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return {LastErrno(), {}};
  }
  return {CheckOwner(index, st), st};
}

Outcome Exports::CheckOwner(int index, const struct stat& st) const {
  if (checks_ && index >= 0 && roots_[index].spec.owner_only &&
      st.st_uid != uid_) {
    // Refused, and answered as if absent: another user's name is no more
    // visible to a request than to a listing.
    return {ENOENT, kRuleOwnerOnly};
  }
  return {};
}

}  // namespace sftpd
