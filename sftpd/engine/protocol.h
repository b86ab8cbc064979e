// SFTP version 3 numbers (draft-ietf-secsh-filexfer-02 and OpenSSH's
// PROTOCOL file): packet types and open flags. Constants only.
#ifndef SFTPD_SFTPD_ENGINE_PROTOCOL_H_
#define SFTPD_SFTPD_ENGINE_PROTOCOL_H_

#include <cstdint>

namespace sftpd::fxp {

inline constexpr uint32_t kVersion = 3;

inline constexpr uint8_t kInit = 1;
inline constexpr uint8_t kVersionReply = 2;
inline constexpr uint8_t kOpen = 3;
inline constexpr uint8_t kClose = 4;
inline constexpr uint8_t kRead = 5;
inline constexpr uint8_t kWrite = 6;
inline constexpr uint8_t kLstat = 7;
inline constexpr uint8_t kFstat = 8;
inline constexpr uint8_t kSetstat = 9;
inline constexpr uint8_t kFsetstat = 10;
inline constexpr uint8_t kOpendir = 11;
inline constexpr uint8_t kReaddir = 12;
inline constexpr uint8_t kRemove = 13;
inline constexpr uint8_t kMkdir = 14;
inline constexpr uint8_t kRmdir = 15;
inline constexpr uint8_t kRealpath = 16;
inline constexpr uint8_t kStat = 17;
inline constexpr uint8_t kRename = 18;
inline constexpr uint8_t kReadlink = 19;
inline constexpr uint8_t kSymlink = 20;
inline constexpr uint8_t kStatus = 101;
inline constexpr uint8_t kHandle = 102;
inline constexpr uint8_t kData = 103;
inline constexpr uint8_t kName = 104;
inline constexpr uint8_t kAttrs = 105;
inline constexpr uint8_t kExtended = 200;
inline constexpr uint8_t kExtendedReply = 201;

// OPEN pflags.
inline constexpr uint32_t kOpenRead = 0x01;
inline constexpr uint32_t kOpenWrite = 0x02;
inline constexpr uint32_t kOpenAppend = 0x04;
inline constexpr uint32_t kOpenCreate = 0x08;
inline constexpr uint32_t kOpenTruncate = 0x10;
inline constexpr uint32_t kOpenExclusive = 0x20;

// statvfs@openssh.com flag bits.
inline constexpr uint64_t kStatvfsReadOnly = 0x1;
inline constexpr uint64_t kStatvfsNoSuid = 0x2;

}  // namespace sftpd::fxp

#endif  // SFTPD_SFTPD_ENGINE_PROTOCOL_H_
