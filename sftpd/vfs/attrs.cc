#include "sftpd/vfs/attrs.h"

#include <time.h>

#include <cstdio>

#include "sftpd/base/limits.h"

namespace sftpd {

Attrs AttrsFromStat(const struct stat& st) {
  Attrs a;
  a.flags =
      Attrs::kSize | Attrs::kUidGid | Attrs::kPermissions | Attrs::kAcModTime;
  a.size = uint64_t(st.st_size);
  a.uid = st.st_uid;
  a.gid = st.st_gid;
  a.permissions = st.st_mode;
  a.atime = uint32_t(st.st_atim.tv_sec);
  a.mtime = uint32_t(st.st_mtim.tv_sec);
  return a;
}

Attrs ReadAttrs(Reader& r) {
  Attrs a;
  a.flags = r.U32("attrs flags");
  if (uint32_t unknown = a.flags & ~Attrs::kKnownFlags; unknown != 0) {
    char why[64];
    snprintf(why, sizeof why, "attrs: unknown flag bits 0x%08x", unknown);
    r.Fail(why);
    return a;
  }
  if (a.Has(Attrs::kSize)) a.size = r.U64("attrs size");
  if (a.Has(Attrs::kUidGid)) {
    a.uid = r.U32("attrs uid");
    a.gid = r.U32("attrs gid");
  }
  if (a.Has(Attrs::kPermissions)) a.permissions = r.U32("attrs permissions");
  if (a.Has(Attrs::kAcModTime)) {
    a.atime = r.U32("attrs atime");
    a.mtime = r.U32("attrs mtime");
  }
  if (a.Has(Attrs::kExtended)) {
    uint32_t n = r.U32("attrs extension count");
    if (n > kMaxAttrExtensions) {
      r.Fail("attrs: " + std::to_string(n) + " extension pairs, more than " +
             std::to_string(kMaxAttrExtensions));
      return a;
    }
    for (uint32_t i = 0; i < n && r.ok(); ++i) {
      r.String("attrs extension name");
      r.String("attrs extension data");
    }
  }
  return a;
}

void WriteAttrs(Writer& w, const Attrs& a) {
  uint32_t flags = a.flags & ~Attrs::kExtended;
  w.U32(flags);
  if (a.Has(Attrs::kSize)) w.U64(a.size);
  if (a.Has(Attrs::kUidGid)) {
    w.U32(a.uid);
    w.U32(a.gid);
  }
  if (a.Has(Attrs::kPermissions)) w.U32(a.permissions);
  if (a.Has(Attrs::kAcModTime)) {
    w.U32(a.atime);
    w.U32(a.mtime);
  }
}

namespace {

char TypeChar(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFDIR:
      return 'd';
    case S_IFLNK:
      return 'l';
    case S_IFCHR:
      return 'c';
    case S_IFBLK:
      return 'b';
    case S_IFIFO:
      return 'p';
    case S_IFSOCK:
      return 's';
    default:
      return '-';
  }
}

}  // namespace

std::string LongName(std::string_view name, const struct stat& st,
                     std::string_view user, std::string_view group,
                     time_t now) {
  mode_t m = st.st_mode;
  char mode[11] = {
      TypeChar(m),
      m & S_IRUSR ? 'r' : '-',
      m & S_IWUSR ? 'w' : '-',
      m & S_ISUID ? (m & S_IXUSR ? 's' : 'S') : (m & S_IXUSR ? 'x' : '-'),
      m & S_IRGRP ? 'r' : '-',
      m & S_IWGRP ? 'w' : '-',
      m & S_ISGID ? (m & S_IXGRP ? 's' : 'S') : (m & S_IXGRP ? 'x' : '-'),
      m & S_IROTH ? 'r' : '-',
      m & S_IWOTH ? 'w' : '-',
      m & S_ISVTX ? (m & S_IXOTH ? 't' : 'T') : (m & S_IXOTH ? 'x' : '-'),
      '\0'};
  time_t mtime = st.st_mtim.tv_sec;
  constexpr time_t kSixMonths = 182 * 24 * 3600;
  bool recent = mtime <= now && now - mtime < kSixMonths;
  struct tm tm_buf;
  char date[32] = "?";
  if (localtime_r(&mtime, &tm_buf) != nullptr) {
    strftime(date, sizeof date, recent ? "%b %e %H:%M" : "%b %e  %Y", &tm_buf);
  }
  std::string u(user.substr(0, 8)), g(group.substr(0, 8));
  char head[128];
  snprintf(head, sizeof head, "%s %4lu %-8s %-8s %8llu %s ", mode,
           static_cast<unsigned long>(st.st_nlink), u.c_str(), g.c_str(),
           static_cast<unsigned long long>(st.st_size), date);
  std::string out(head);
  out += name;
  return out;
}

}  // namespace sftpd
