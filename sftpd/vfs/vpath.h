// Virtual paths: the names a client sees ("/", "/home", "/home/a/b"). Pure
// string functions, no filesystem access; thread-safe. Normalizing is lexical,
// so ".." can never climb above "/" and the first component always names the
// export; anything after it is resolved by Exports beneath the export root.
#ifndef SFTPD_SFTPD_VFS_VPATH_H_
#define SFTPD_SFTPD_VFS_VPATH_H_

#include <string>
#include <string_view>

namespace sftpd::vpath {

// An absolute, normalized virtual path: "/" or "/a/b", no "." or ".."
// components, no repeated or trailing slashes. A relative `path` (and "")
// starts at `start`, itself normalized.
std::string Normalize(std::string_view path, std::string_view start);

// "/home/a/b" -> {"home", "a/b"}; "/home" -> {"home", ""}; "/" -> {"", ""}.
// REQUIRES: `normalized` came from Normalize().
struct Split {
  std::string_view export_name;
  std::string_view rest;
};
Split SplitExport(std::string_view normalized);

// The last component of a relative path ("a/b" -> "b") and what is before it
// ("a/b" -> "a", "b" -> "").
std::string_view Base(std::string_view rel);
std::string_view Dir(std::string_view rel);

// "a" + "b" -> "a/b", "" + "b" -> "b".
std::string Join(std::string_view dir, std::string_view name);

}  // namespace sftpd::vpath

#endif  // SFTPD_SFTPD_VFS_VPATH_H_
