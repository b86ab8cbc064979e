// The capabilities a root process keeps: the daemon's connection process,
// before and during authentication, keeps only what authentication and the
// drop to the user need (daemon/listener.cc). Not thread-safe: call from
// the only thread.
#ifndef SFTPD_SFTPD_SANDBOX_CAPABILITIES_H_
#define SFTPD_SFTPD_SANDBOX_CAPABILITIES_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "config/result.h"

namespace sftpd::sandbox {

// The capability bits of `caps` (CAP_SETUID...), as /proc/PID/status shows
// them in CapEff.
uint64_t CapabilityMask(std::initializer_list<int> caps);

// Drops every capability not in `keep` from the bounding set (so no
// execve can give it back, even of a setuid-root program), the ambient
// and inheritable sets, and the effective and permitted sets, which become
// `keep` (those of it the process had). A process with no CAP_SETPCAP
// (not root) only lowers what it has. Errors: a failing prctl or capset.
Result<void> KeepOnly(std::initializer_list<int> keep);

}  // namespace sftpd::sandbox

#endif  // SFTPD_SFTPD_SANDBOX_CAPABILITIES_H_
