// SFTP v3 file attributes: the ATTRS structure on the wire, and its source,
// struct stat. Pure functions; thread-safe.
#ifndef SFTPD_SFTPD_VFS_ATTRS_H_
#define SFTPD_SFTPD_VFS_ATTRS_H_

#include <sys/stat.h>

#include <cstdint>
#include <string>

#include "sftpd/base/wire.h"

namespace sftpd {

struct Attrs {
  static constexpr uint32_t kSize = 0x1;
  static constexpr uint32_t kUidGid = 0x2;
  static constexpr uint32_t kPermissions = 0x4;
  static constexpr uint32_t kAcModTime = 0x8;
  static constexpr uint32_t kExtended = 0x80000000;
  // Every bit SFTP v3 defines; a request with any other is malformed.
  static constexpr uint32_t kKnownFlags =
      kSize | kUidGid | kPermissions | kAcModTime | kExtended;

  uint32_t flags = 0;
  uint64_t size = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t permissions = 0;  // st_mode bits, file type included on replies
  uint32_t atime = 0;
  uint32_t mtime = 0;

  bool Has(uint32_t f) const { return (flags & f) != 0; }
};

Attrs AttrsFromStat(const struct stat& st);

// Reads an ATTRS; extension pairs (at most kMaxAttrExtensions) are skipped.
// On malformed input (a flag bit v3 does not define, more pairs, a short
// field) the reader fails, saying why.
Attrs ReadAttrs(Reader& r);
void WriteAttrs(Writer& w, const Attrs& a);

// An `ls -l` line as OpenSSH's client shows it for READDIR long names:
// "-rw-r--r--    1 alice    staff        1234 Nov 23 14:36 name". Dates older
// than six months (or in the future) show the year instead of the time.
std::string LongName(std::string_view name, const struct stat& st,
                     std::string_view user, std::string_view group, time_t now);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_VFS_ATTRS_H_
