// What the audit tools know of the SFTP requests, without the engine: each
// request's name, its effect and the op its audit line carries, as the
// engine's request table (engine/session.cc) has them. A unit test
// (request_ops_test.cc) keeps the two the same. Constant data; thread-safe.
#ifndef SFTPD_SFTPD_AUDIT_REQUEST_OPS_H_
#define SFTPD_SFTPD_AUDIT_REQUEST_OPS_H_

#include <cstdint>
#include <string_view>

namespace sftpd {

// As engine's TableEffect, which it mirrors.
enum class OpEffect : uint8_t {
  kNone,     // touches no file
  kRead,     // reads or lists
  kWrite,    // changes something
  kByFlags,  // OPEN: a read or a write, by its flags
};

struct RequestOp {
  std::string_view name;  // "open", or the extension name
  OpEffect effect;
  std::string_view audit_op;  // "" when success is not audited
};

// One row per row of the engine's table, in its order.
inline constexpr RequestOp kRequestOps[] = {
    {"init", OpEffect::kNone, ""},
    {"open", OpEffect::kByFlags, "open"},
    {"close", OpEffect::kNone, "close"},
    {"read", OpEffect::kRead, ""},
    {"write", OpEffect::kWrite, ""},
    {"lstat", OpEffect::kRead, ""},
    {"fstat", OpEffect::kRead, ""},
    {"setstat", OpEffect::kWrite, "setstat"},
    {"fsetstat", OpEffect::kWrite, "setstat"},
    {"opendir", OpEffect::kRead, "opendir"},
    {"readdir", OpEffect::kRead, ""},
    {"remove", OpEffect::kWrite, "remove"},
    {"mkdir", OpEffect::kWrite, "mkdir"},
    {"rmdir", OpEffect::kWrite, "rmdir"},
    {"realpath", OpEffect::kNone, ""},
    {"stat", OpEffect::kRead, ""},
    {"rename", OpEffect::kWrite, "rename"},
    {"readlink", OpEffect::kRead, ""},
    {"symlink", OpEffect::kWrite, "symlink"},
    {"posix-rename@openssh.com", OpEffect::kWrite, "rename"},
    {"statvfs@openssh.com", OpEffect::kRead, ""},
    {"fstatvfs@openssh.com", OpEffect::kRead, ""},
    {"hardlink@openssh.com", OpEffect::kWrite, "link"},
    {"fsync@openssh.com", OpEffect::kRead, ""},
    {"lsetstat@openssh.com", OpEffect::kWrite, "setstat"},
    {"limits@openssh.com", OpEffect::kNone, ""},
    {"expand-path@openssh.com", OpEffect::kNone, ""},
    {"copy-data", OpEffect::kWrite, "copy"},
    {"home-directory", OpEffect::kNone, ""},
    {"users-groups-by-id@openssh.com", OpEffect::kNone, ""},
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_AUDIT_REQUEST_OPS_H_
