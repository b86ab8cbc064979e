#include "sftpd/vfs/exports.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <vector>

#include "sftpd/base/limits.h"
#include "sftpd/vfs/hostpath.h"
#include "sftpd/vfs/vpath.h"

namespace sftpd {

namespace {

constexpr std::string_view kRuleReadOnly = "read-only export";
constexpr std::string_view kRuleVirtualRoot = "virtual root is read-only";
constexpr std::string_view kRuleOutside = "path leaves the export";
constexpr std::string_view kRuleOwnerOnly = "owner_only: not the user's file";
constexpr std::string_view kRuleExportRoot = "export root cannot be changed";
constexpr std::string_view kRuleNotRegular = "not a regular file";
constexpr std::string_view kRuleGroupMember =
    "group share: not a member of its group";
constexpr std::string_view kRuleGroupShare =
    "group share: the group is the export's";

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

Outcome Errno(int err) { return {err, {}}; }
Outcome Refuse(std::string_view rule) { return {EACCES, rule}; }
Outcome LastErrno() { return Errno(errno); }

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

std::string ProcPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

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

// True when the entry `name` in `dir` is still the file open on `fd`.
bool SameEntry(int dir, const char* name, int fd) {
  struct stat there, mine;
  return fstat(fd, &mine) == 0 &&
         fstatat(dir, name, &there, AT_SYMLINK_NOFOLLOW) == 0 &&
         there.st_dev == mine.st_dev && there.st_ino == mine.st_ino;
}

FsResult<std::string> ReadLinkAt(int dirfd, const char* name) {
  std::string buf(PATH_MAX, '\0');
  ssize_t n = readlinkat(dirfd, name, buf.data(), buf.size());
  if (n < 0) return {LastErrno(), {}};
  buf.resize(size_t(n));
  return {{}, std::move(buf)};
}

bool Under(std::string_view path, std::string_view root) {
  if (root == "/") return true;
  return path.substr(0, root.size()) == root &&
         (path.size() == root.size() || path[root.size()] == '/');
}

}  // namespace

DirStream::~DirStream() {
  if (dir_ != nullptr) closedir(dir_);
}

int DirStream::fd() const { return dirfd(dir_); }

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
      FsResult<std::string> target = ReadLinkAt(fd.get(), "");
      if (!target.ok()) return {target.outcome, {}};
      std::string_view t = target.value;
      if (!t.empty() && t[0] == '/') {
        // The export's real path, or its configured path when that runs
        // through a symlink (/srv/data -> /data: links may name either).
        const std::string* base = Under(t, root.real)        ? &root.real
                                  : Under(t, root.spec.path) ? &root.spec.path
                                                             : nullptr;
        if (base == nullptr) return {Refuse(kRuleOutside), {}};
        stack.clear();
        t.remove_prefix(*base == "/" ? 0 : base->size());
      }
      std::deque<std::string> more = PathComponents(t);
      todo.insert(todo.begin(), more.begin(), more.end());
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

FsResult<std::unique_ptr<DirStream>> Exports::OpenDir(const Location& loc) {
  if (loc.IsVirtualRoot()) return {Errno(EINVAL), {}};  // see RootEntries()
  const Root& root = roots_[loc.index];
  FsResult<Fd> r = Resolve(root, loc.rel, O_RDONLY | O_DIRECTORY, 0, true);
  if (!r.ok()) return {r.outcome, {}};
  if (!loc.IsExportRoot()) {
    struct stat st;
    if (fstat(r.value.get(), &st) != 0) return {LastErrno(), {}};
    if (Outcome o = CheckOwner(loc.index, st); !o.ok()) return {o, {}};
  }
  DIR* d = fdopendir(r.value.get());
  if (d == nullptr) return {LastErrno(), {}};
  r.value.Release();
  return {{}, std::make_unique<DirStream>(d, loc.index)};
}

FsResult<std::vector<DirEntry>> Exports::ReadDir(DirStream& dir,
                                                 size_t max_entries,
                                                 size_t max_bytes) {
  std::vector<DirEntry> out;
  size_t bytes = 0;
  bool owner_only = checks_ && roots_[dir.index()].spec.owner_only;
  while (out.size() < max_entries && bytes < max_bytes) {
    errno = 0;
    struct dirent* e = readdir(dir.dir());
    if (e == nullptr) {
      if (errno != 0 && out.empty()) return {LastErrno(), {}};
      break;
    }
    DirEntry entry;
    entry.name = e->d_name;
    // Gone since readdir (a race with unlink): leave it out.
    if (fstatat(dir.fd(), e->d_name, &entry.st, AT_SYMLINK_NOFOLLOW) != 0) {
      continue;
    }
    bool dots = entry.name == "." || entry.name == "..";
    if (owner_only && !dots && entry.st.st_uid != uid_) continue;
    bytes += 2 * entry.name.size() + 96;  // name, long name, attrs
    out.push_back(std::move(entry));
  }
  return {{}, std::move(out)};
}

std::vector<DirEntry> Exports::RootEntries() const {
  struct stat self = {};
  self.st_mode = S_IFDIR | 0555;
  self.st_nlink = 2 + roots_.size();
  self.st_mtim.tv_sec = started_;
  self.st_atim.tv_sec = started_;
  std::vector<DirEntry> out = {{".", self}, {"..", self}};
  for (const Root& r : roots_) {
    DirEntry e{r.spec.name, {}};
    if (fstat(r.fd.get(), &e.st) != 0) continue;
    out.push_back(std::move(e));
  }
  return out;
}

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

FsResult<struct stat> Exports::StatFd(int fd) const {
  struct stat st;
  if (fstat(fd, &st) != 0) return {LastErrno(), {}};
  return {{}, st};
}

Outcome Exports::ApplyAttrs(const Root& root, int fd, const struct stat& st,
                            bool path_only, const Attrs& a) const {
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

Outcome Exports::SetStat(const Location& loc, const Attrs& attrs, bool follow) {
  if (loc.IsVirtualRoot()) return Refuse(kRuleVirtualRoot);
  FsResult<Fd> r = Resolve(roots_[loc.index], loc.rel, O_PATH, 0, follow);
  if (!r.ok()) return r.outcome;
  struct stat st;
  if (fstat(r.value.get(), &st) != 0) return LastErrno();
  if (Outcome o = CheckOwner(loc.index, st); !o.ok()) return o;
  return ApplyAttrs(roots_[loc.index], r.value.get(), st, true, attrs);
}

Outcome Exports::SetStatFd(int index, int fd, const Attrs& attrs) {
  if (index < 0) return Refuse(kRuleVirtualRoot);
  struct stat st;
  if (fstat(fd, &st) != 0) return LastErrno();
  if (Outcome o = CheckOwner(index, st); !o.ok()) return o;
  return ApplyAttrs(roots_[index], fd, st, false, attrs);
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

namespace {

// A bounded cache: a client asking about many ids (users-groups-by-id) must
// not grow it without end, so a full cache starts over.
template <typename Id, typename Lookup>
const std::string& Cached(std::unordered_map<Id, std::string>& cache, Id id,
                          Lookup lookup) {
  auto it = cache.find(id);
  if (it != cache.end()) return it->second;
  if (cache.size() >= kMaxCachedNames) cache.clear();
  return cache.emplace(id, lookup(id)).first->second;
}

}  // namespace

const std::string& Exports::UserName(uid_t uid) {
  return Cached(users_, uid, [](uid_t id) {
    struct passwd pw, *found = nullptr;
    char buf[4096];
    bool ok = getpwuid_r(id, &pw, buf, sizeof buf, &found) == 0 && found;
    return ok ? std::string(found->pw_name) : std::string();
  });
}

const std::string& Exports::GroupName(gid_t gid) {
  return Cached(groups_, gid, [](gid_t id) {
    struct group gr, *found = nullptr;
    char buf[8192];
    bool ok = getgrgid_r(id, &gr, buf, sizeof buf, &found) == 0 && found;
    return ok ? std::string(found->gr_name) : std::string();
  });
}

}  // namespace sftpd
