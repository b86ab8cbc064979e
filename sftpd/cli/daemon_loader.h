// The daemon (`sftpd serve`) lives in a module, sftpd-daemon.so, that only
// `sftpd serve` loads. The processes that run once per login or command
// (`--stdio`, which OpenSSH starts for every session, and the tools) then
// never map libssh, libcrypto or PAM, which cost them most of their start.
// The module belongs in lib/sftpd/ beside the binary's bin directory:
// /usr/sbin/sftpd loads /usr/lib/sftpd/sftpd-daemon.so, and the build tree's
// build/sftpd/sftpd loads build/lib/sftpd/sftpd-daemon.so.
#ifndef SFTPD_SFTPD_CLI_DAEMON_LOADER_H_
#define SFTPD_SFTPD_CLI_DAEMON_LOADER_H_

#include <string>

#include "config/result.h"
#include "sftpd/daemon/module.h"

namespace sftpd {

// Where the module of the binary at `exe` (an absolute, resolved path) is:
// <exe's directory>/../lib/sftpd/sftpd-daemon.so, normalised.
std::string DaemonModulePath(const std::string& exe);

// Loads the module at `path` and returns its entry. Refuses, with the
// reason, a module that is missing or not a regular file, and one that
// someone other than root or the caller could change: the file or any
// directory above it owned by another user, or writable by group or others
// (a root-owned sticky directory excepted), or a symlink on the way that
// OpenHostPath would not follow. The file checked is the file loaded (by
// its fd). The daemon runs as root and would run that code. The module
// stays loaded for the process's life.
Result<DaemonEntry> LoadDaemonModule(const std::string& path);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_CLI_DAEMON_LOADER_H_
