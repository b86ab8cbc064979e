// Exports, part two: OPEN, and the uploads atomic_uploads stages under a
// temporary name until CLOSE gives them their final one (or removes them).
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string>

#include "sftpd/vfs/exports.h"
#include "sftpd/vfs/exports_internal.h"

namespace sftpd {

using exports_internal::Errno;
using exports_internal::kRuleNotRegular;
using exports_internal::LastErrno;
using exports_internal::ProcPath;
using exports_internal::Refuse;
using exports_internal::SameEntry;

namespace {

// 16 random hex digits (time and pid where getrandom fails: the name need
// only be new, and O_EXCL checks that).
std::string RandomHex() {
  uint64_t v = 0;
  if (getrandom(&v, sizeof v, GRND_NONBLOCK) != ssize_t(sizeof v)) {
    v = uint64_t(time(nullptr)) * 0x9E3779B97F4A7C15u ^ uint64_t(getpid()) ^
        uint64_t(clock());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (char& c : out) {
    c = kHex[v & 0xF];
    v >>= 4;
  }
  return out;
}

}  // namespace

FsResult<Fd> Exports::CreateFile(const Location& loc, int flags,
                                 mode_t mode) const {
  if (loc.IsExportRoot()) return {Errno(EEXIST), {}};
  FsResult<Entry> e = ResolveEntry(loc, Change::kAdd);
  if (!e.ok()) return {e.outcome, {}};
  const Root& root = roots_[loc.index];
  if (Outcome o = CheckGroupMember(root); !o.ok()) return {o, {}};
  int dir = e.value.parent.get();
  const char* name = e.value.name.c_str();
  Fd fd(openat(dir, name,
               flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
               mode));
  if (!fd.valid()) return {LastErrno(), {}};
  if (Outcome o = ForceGroup(root, fd.get(), false); !o.ok()) {
    if (SameEntry(dir, name, fd.get())) unlinkat(dir, name, 0);
    return {o, {}};
  }
  return {{}, std::move(fd)};
}

FsResult<Fd> Exports::OpenFile(const Location& loc, int flags, mode_t mode,
                               bool* created, Upload* upload) {
  *created = false;
  if (loc.IsVirtualRoot()) return {Errno(EISDIR), {}};
  const Root& root = roots_[loc.index];
  mode = ClientMode(root, mode, false, true);
  bool replaces_all =
      (flags & O_TRUNC) || ((flags & O_CREAT) && (flags & O_EXCL));
  if (upload != nullptr && root.spec.atomic_uploads && !loc.IsExportRoot() &&
      (flags & O_ACCMODE) != O_RDONLY && replaces_all) {
    FsResult<Fd> staged = StageUpload(loc, flags, mode, upload);
    if (!staged.ok() || upload->staged()) return staged;
  }
  int access = flags & ~(O_TRUNC | O_CREAT | O_EXCL);
  // An existing file is looked at (O_PATH) before it is opened: a device or
  // FIFO is refused before opening could have any effect, and owner_only
  // before anything is truncated. Only a new file needs the parent's owner
  // (owner_only) and O_EXCL, which also tells us we made it.
  bool create = flags & O_CREAT, excl = create && (flags & O_EXCL);
  FsResult<Fd> r{};
  if (!excl) r = Resolve(root, loc.rel, O_PATH, 0, true);
  if (create && (excl || r.outcome.err == ENOENT)) {
    // Made in the very directory whose owner was checked: a second walk of
    // the path could meet a link swapped in meanwhile.
    r = CreateFile(loc, access, mode);
    *created = r.ok();
    if (r.outcome.err == EEXIST && !excl) {  // lost a race
      r = Resolve(root, loc.rel, O_PATH, 0, true);
    }
  }
  if (!r.ok() || *created) return r;
  struct stat st;
  if (fstat(r.value.get(), &st) != 0) return {LastErrno(), {}};
  if (!S_ISREG(st.st_mode)) {
    return {S_ISDIR(st.st_mode) ? Errno(EISDIR) : Refuse(kRuleNotRegular), {}};
  }
  if (Outcome o = CheckOwner(loc.index, st); !o.ok()) return {o, {}};
  // Reopen the inode just checked, not the path: nothing can be swapped in.
  Fd fd(open(ProcPath(r.value.get()).c_str(), access | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return {LastErrno(), {}};
  if ((flags & O_TRUNC) && ftruncate(fd.get(), 0) != 0)
    return {LastErrno(), {}};
  return {{}, std::move(fd)};
}

FsResult<Fd> Exports::StageUpload(const Location& loc, int flags, mode_t mode,
                                  Upload* upload) const {
  FsResult<Entry> e = ResolveEntry(loc, Change::kAdd);
  if (!e.ok()) return {e.outcome, {}};
  int dir = e.value.parent.get();
  const char* name = e.value.name.c_str();
  struct stat st;
  if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (flags & O_EXCL) return {Errno(EEXIST), {}};
    if (S_ISLNK(st.st_mode)) return {};  // opened in place by the caller
    if (S_ISDIR(st.st_mode)) return {Errno(EISDIR), {}};
    if (!S_ISREG(st.st_mode)) return {Refuse(kRuleNotRegular), {}};
    if (Outcome o = CheckOwner(loc.index, st); !o.ok()) return {o, {}};
    // Replacing the file must not be allowed where writing into it is not.
    if (faccessat(dir, name, W_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) != 0) {
      return {LastErrno(), {}};
    }
    mode = ClientMode(roots_[loc.index], st.st_mode & 0777, false, false);
  } else if (errno != ENOENT) {
    return {LastErrno(), {}};
  } else if (!(flags & O_CREAT)) {
    return {Errno(ENOENT), {}};
  }
  if (Outcome o = CheckGroupMember(roots_[loc.index]); !o.ok()) return {o, {}};
  int access = flags & (O_ACCMODE | O_APPEND);
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string temp = std::string(Upload::kPrefix) + RandomHex();
    Fd fd(openat(dir, temp.c_str(),
                 access | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                 mode));
    if (!fd.valid() && errno == EEXIST) continue;
    if (!fd.valid()) return {LastErrno(), {}};
    if (Outcome o = ForceGroup(roots_[loc.index], fd.get(), false); !o.ok()) {
      if (SameEntry(dir, temp.c_str(), fd.get()))
        unlinkat(dir, temp.c_str(), 0);
      return {o, {}};
    }
    upload->dir = std::move(e.value.parent);
    upload->temp = std::move(temp);
    upload->name = std::move(e.value.name);
    upload->index = loc.index;
    upload->exclusive = flags & O_EXCL;
    return {{}, std::move(fd)};
  }
  return {Errno(EEXIST), {}};
}

Outcome Exports::CommitUpload(Upload& up, int fd) {
  if (!up.staged()) return Errno(EBADF);
  int dir = up.dir.get();
  const char* temp = up.temp.c_str();
  const char* name = up.name.c_str();
  Outcome o;
  struct stat st;
  if (!SameEntry(dir, temp, fd)) {
    o = Errno(ENOENT);  // the staged file was renamed or removed meanwhile
  } else if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (up.exclusive) {
      o = Errno(EEXIST);
    } else if (S_ISDIR(st.st_mode)) {
      o = Errno(EISDIR);
    } else {
      o = CheckOwner(up.index, st);
    }
  }
  if (o.ok()) {
    unsigned flags = up.exclusive ? RENAME_NOREPLACE : 0;
    if (renameat2(dir, temp, dir, name, flags) == 0 ||
        // Filesystems without RENAME_NOREPLACE: checked free just above.
        (errno == EINVAL && up.exclusive &&
         renameat(dir, temp, dir, name) == 0)) {
      up.dir.Reset();
      return {};
    }
    o = LastErrno();
  }
  DiscardUpload(up, fd);
  return o;
}

void Exports::DiscardUpload(Upload& up, int fd) {
  if (!up.staged()) return;
  if (SameEntry(up.dir.get(), up.temp.c_str(), fd)) {
    unlinkat(up.dir.get(), up.temp.c_str(), 0);
  }
  up.dir.Reset();
}

void Exports::UndoCreate(const Location& loc, int fd) {
  FsResult<Entry> e = ResolveEntry(loc, Change::kNone);
  if (e.ok() && SameEntry(e.value.parent.get(), e.value.name.c_str(), fd)) {
    unlinkat(e.value.parent.get(), e.value.name.c_str(), 0);
  }
}

}  // namespace sftpd
