// Exports, part three: what a request does to an entry by its path: STAT,
// SETSTAT (and FSETSTAT's attributes), REMOVE, MKDIR, RMDIR, RENAME, links,
// statvfs.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include "sftpd/vfs/exports.h"
#include "sftpd/vfs/exports_internal.h"
#include "sftpd/vfs/vpath.h"

namespace sftpd {

using exports_internal::Errno;
using exports_internal::kRuleGroupShare;
using exports_internal::kRuleVirtualRoot;
using exports_internal::LastErrno;
using exports_internal::ProcPath;
using exports_internal::ReadLinkAt;
using exports_internal::Refuse;
using exports_internal::SameEntry;
using exports_internal::Under;

FsResult<struct stat> Exports::Stat(const Location& loc, bool follow) {
  if (loc.IsVirtualRoot()) return {{}, RootEntries()[0].st};
  struct stat st;
  FsResult<Fd> r = Resolve(roots_[loc.index], loc.rel, O_PATH, 0, follow);
  if (!r.ok()) return {r.outcome, {}};
  if (fstat(r.value.get(), &st) != 0) return {LastErrno(), {}};
  if (!loc.IsExportRoot()) {
    if (Outcome o = CheckOwner(loc.index, st); !o.ok()) return {o, {}};
  }
  return {{}, st};
}

Outcome Exports::ApplyAttrs(const Root& root, int fd, const struct stat& st,
                            bool path_only, const Attrs& a,
                            std::optional<mode_t>* mode_set) const {
  const bool is_link = S_ISLNK(st.st_mode);
  if (a.Has(Attrs::kUidGid) && root.spec.group != ExportSpec::kNoGroup &&
      a.gid != root.spec.group && a.gid != st.st_gid) {
    return Refuse(kRuleGroupShare);  // before anything is changed
  }
  // An O_PATH fd cannot be written through; /proc/self/fd/N reaches the
  // same inode without a second path walk (it names our own open file).
  std::string proc = ProcPath(fd);
  if (a.Has(Attrs::kSize)) {
    if (a.size > uint64_t(INT64_MAX)) return Errno(EINVAL);
    int rc = path_only ? truncate(proc.c_str(), off_t(a.size))
                       : ftruncate(fd, off_t(a.size));
    if (rc != 0) return LastErrno();
  }
  if (a.Has(Attrs::kPermissions)) {
    if (is_link) return Errno(ENOTSUP);
    mode_t m = ClientMode(root, a.permissions, S_ISDIR(st.st_mode), false);
    int rc = path_only ? fchmodat(AT_FDCWD, proc.c_str(), m, 0) : fchmod(fd, m);
    if (rc != 0) return LastErrno();
    if (mode_set != nullptr) *mode_set = m;
  }
  if (a.Has(Attrs::kAcModTime)) {
    struct timespec ts[2] = {{time_t(a.atime), 0}, {time_t(a.mtime), 0}};
    int rc =
        path_only ? utimensat(fd, "", ts, AT_EMPTY_PATH) : futimens(fd, ts);
    if (rc != 0) return LastErrno();
  }
  if (a.Has(Attrs::kUidGid)) {
    if (fchownat(fd, "", a.uid, a.gid, AT_EMPTY_PATH) != 0) return LastErrno();
  }
  return {};
}

Outcome Exports::SetStat(const Location& loc, const Attrs& attrs, bool follow,
                         std::optional<mode_t>* mode_set) {
  if (loc.IsVirtualRoot()) return Refuse(kRuleVirtualRoot);
  FsResult<Fd> r = Resolve(roots_[loc.index], loc.rel, O_PATH, 0, follow);
  if (!r.ok()) return r.outcome;
  struct stat st;
  if (fstat(r.value.get(), &st) != 0) return LastErrno();
  if (Outcome o = CheckOwner(loc.index, st); !o.ok()) return o;
  return ApplyAttrs(roots_[loc.index], r.value.get(), st, true, attrs,
                    mode_set);
}

Outcome Exports::SetStatFd(int index, int fd, const Attrs& attrs,
                           std::optional<mode_t>* mode_set) {
  if (index < 0) return Refuse(kRuleVirtualRoot);
  struct stat st;
  if (fstat(fd, &st) != 0) return LastErrno();
  if (Outcome o = CheckOwner(index, st); !o.ok()) return o;
  return ApplyAttrs(roots_[index], fd, st, false, attrs, mode_set);
}

Outcome Exports::Remove(const Location& loc) { return Unlink(loc, false); }

Outcome Exports::RemoveDir(const Location& loc) { return Unlink(loc, true); }

Outcome Exports::Unlink(const Location& loc, bool dir) {
  FsResult<Entry> e = ResolveEntry(loc, Change::kNone);
  if (!e.ok()) return e.outcome;
  FsResult<struct stat> st = OwnedEntry(loc.index, e.value);
  if (!st.ok()) return st.outcome;
  if (!dir && S_ISDIR(st.value.st_mode)) return Errno(EISDIR);
  if (unlinkat(e.value.parent.get(), e.value.name.c_str(),
               dir ? AT_REMOVEDIR : 0) != 0) {
    return LastErrno();
  }
  return {};
}

Outcome Exports::MakeDir(const Location& loc, mode_t mode) {
  if (loc.IsVirtualRoot() || loc.IsExportRoot()) return Errno(EEXIST);
  FsResult<Entry> e = ResolveEntry(loc, Change::kAdd);
  if (!e.ok()) return e.outcome;
  const Root& root = roots_[loc.index];
  if (Outcome o = CheckGroupMember(root); !o.ok()) return o;
  int dir = e.value.parent.get();
  const char* name = e.value.name.c_str();
  // mkdir ignores setgid in the mode (a new directory inherits it from its
  // parent); ForceGroup sets it where it was not inherited.
  if (mkdirat(dir, name, ClientMode(root, mode, true, true)) != 0) {
    return LastErrno();
  }
  if (root.spec.group == ExportSpec::kNoGroup) return {};
  Fd fd(openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  Outcome o = fd.valid() ? ForceGroup(root, fd.get(), true) : LastErrno();
  if (!o.ok() && fd.valid() && SameEntry(dir, name, fd.get())) {
    unlinkat(dir, name, AT_REMOVEDIR);
  }
  return o;
}

Outcome Exports::Rename(const Location& from, const Location& to,
                        bool replace) {
  FsResult<Entry> src = ResolveEntry(from, Change::kNone);
  if (!src.ok()) return src.outcome;
  FsResult<Entry> dst = ResolveEntry(to, Change::kAdd);
  if (!dst.ok()) return dst.outcome;
  int sp = src.value.parent.get(), dp = dst.value.parent.get();
  const char* sn = src.value.name.c_str();
  const char* dn = dst.value.name.c_str();
  if (FsResult<struct stat> st = OwnedEntry(from.index, src.value); !st.ok()) {
    return st.outcome;
  }
  // Something already at the target (ours, or refused as another's).
  FsResult<struct stat> there = OwnedEntry(to.index, dst.value);
  if (there.ok() || there.outcome.refused()) {
    if (!replace) return Errno(EEXIST);
    if (!there.ok()) return there.outcome;
  }
  unsigned flags = replace ? 0 : RENAME_NOREPLACE;
  if (renameat2(sp, sn, dp, dn, flags) == 0) return {};
  // Filesystems without RENAME_NOREPLACE: the fstatat above already checked.
  if (errno == EINVAL && !replace && renameat(sp, sn, dp, dn) == 0) return {};
  return LastErrno();
}

Outcome Exports::Link(const Location& from, const Location& to) {
  FsResult<Entry> src = ResolveEntry(from, Change::kNone);
  if (!src.ok()) return src.outcome;
  FsResult<Entry> dst = ResolveEntry(to, Change::kAdd);
  if (!dst.ok()) return dst.outcome;
  if (FsResult<struct stat> st = OwnedEntry(from.index, src.value); !st.ok()) {
    return st.outcome;
  }
  if (linkat(src.value.parent.get(), src.value.name.c_str(),
             dst.value.parent.get(), dst.value.name.c_str(), 0) != 0) {
    return LastErrno();
  }
  return {};
}

Outcome Exports::Symlink(std::string_view target, const Location& loc) {
  FsResult<Entry> e = ResolveEntry(loc, Change::kAdd);
  if (!e.ok()) return e.outcome;
  std::string stored(target);
  if (!target.empty() && target[0] == '/') {
    std::string v = vpath::Normalize(target, "/");
    vpath::Split split = vpath::SplitExport(v);
    for (const Root& r : roots_) {
      if (r.spec.name == split.export_name) {
        stored = r.real == "/" ? "/" + std::string(split.rest)
                               : r.real + (split.rest.empty() ? "" : "/") +
                                     std::string(split.rest);
        break;
      }
    }
  }
  if (symlinkat(stored.c_str(), e.value.parent.get(), e.value.name.c_str()) !=
      0) {
    return LastErrno();
  }
  return {};
}

FsResult<std::string> Exports::ReadLink(const Location& loc) {
  FsResult<Entry> e = ResolveEntry(loc, Change::kNone);
  if (!e.ok()) {
    // An export root is no link; other refusals (a path leaving the export)
    // keep their rule for the audit trail.
    if (loc.IsExportRoot()) return {Errno(EINVAL), {}};
    return {e.outcome, {}};
  }
  if (FsResult<struct stat> st = OwnedEntry(loc.index, e.value); !st.ok()) {
    return {st.outcome, {}};
  }
  FsResult<std::string> r =
      ReadLinkAt(e.value.parent.get(), e.value.name.c_str());
  if (!r.ok() || r.value.empty() || r.value[0] != '/') return r;
  // Show a real path inside one of our exports as the client's path to it.
  const Root* best = nullptr;
  for (const Root& root : roots_) {
    if (Under(r.value, root.real) &&
        (best == nullptr || root.real.size() > best->real.size())) {
      best = &root;
    }
  }
  if (best != nullptr) {
    std::string_view rest = std::string_view(r.value).substr(
        best->real == "/" ? 0 : best->real.size());
    r.value = "/" + best->spec.name + std::string(rest);
  }
  return r;
}

FsResult<struct statvfs> Exports::StatVfs(const Location& loc) {
  if (loc.IsVirtualRoot()) return StatVfsFd(0, roots_[0].fd.get());
  FsResult<Fd> r = Resolve(roots_[loc.index], loc.rel, O_PATH, 0, true);
  if (!r.ok()) return {r.outcome, {}};
  return StatVfsFd(loc.index, r.value.get());
}

FsResult<struct statvfs> Exports::StatVfsFd(int index, int fd) const {
  struct statvfs v;
  if (fstatvfs(fd, &v) != 0) return {LastErrno(), {}};
  if (roots_[index].spec.access == Access::kReadOnly) v.f_flag |= ST_RDONLY;
  return {{}, v};
}

}  // namespace sftpd
