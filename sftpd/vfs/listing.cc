// Exports, part four: listing directories (OPENDIR, READDIR, the virtual
// root's entries) and the user and group names listings show.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <vector>

#include "sftpd/base/limits.h"
#include "sftpd/vfs/exports.h"
#include "sftpd/vfs/exports_internal.h"

namespace sftpd {

using exports_internal::Errno;
using exports_internal::LastErrno;

DirStream::~DirStream() {
  if (dir_ != nullptr) closedir(dir_);
}

int DirStream::fd() const { return dirfd(dir_); }

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
