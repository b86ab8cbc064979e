// SFTP v3 status codes and the one map from errno values to them. Every
// failure a client sees goes through StatusFromErrno, so the same errno always
// gives the same code and message. Pure functions; thread-safe.
#ifndef SFTPD_SFTPD_ENGINE_STATUS_H_
#define SFTPD_SFTPD_ENGINE_STATUS_H_

#include <cstdint>
#include <string_view>

namespace sftpd {

enum class StatusCode : uint32_t {
  kOk = 0,
  kEof = 1,
  kNoSuchFile = 2,
  kPermissionDenied = 3,
  kFailure = 4,
  kBadMessage = 5,
  kNoConnection = 6,
  kConnectionLost = 7,
  kOpUnsupported = 8,
};

struct Status {
  StatusCode code;
  std::string_view message;  // static text, safe to keep
};

// The SFTP status and message for an errno value (0 gives kOk "Success").
// Unknown values give kFailure with a generic message.
Status StatusFromErrno(int err);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_ENGINE_STATUS_H_
