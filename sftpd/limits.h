// Every protocol limit of the engine, in one place. limits@openssh.com
// reports the first four; the rest bound what a client can make us hold.
#ifndef SFTPD_SFTPD_LIMITS_H_
#define SFTPD_SFTPD_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace sftpd {

// Largest packet accepted or sent, counted without its 4-byte length field.
inline constexpr uint32_t kMaxPacket = 256 * 1024;
// READ replies carry at most this many data bytes (fits kMaxPacket with room).
inline constexpr uint32_t kMaxReadLength = 255 * 1024;
// WRITE requests may carry this much data (the rest of a packet is headers).
inline constexpr uint32_t kMaxWriteLength = 255 * 1024;
// Open file and directory handles per session.
inline constexpr size_t kMaxHandles = 256;

// Client paths longer than this are refused as malformed.
inline constexpr size_t kMaxPathLength = 4096;
// Extended attribute pairs accepted in one ATTRS (they are parsed and ignored).
inline constexpr uint32_t kMaxAttrExtensions = 64;
// One READDIR reply holds at most this many entries and stays below
// kReaddirReplyBytes, so big directories stream in bounded batches.
inline constexpr size_t kReaddirMaxEntries = 512;
inline constexpr size_t kReaddirReplyBytes = 128 * 1024;
// Symbolic links followed while resolving one path.
inline constexpr int kMaxSymlinkHops = 32;
// users-groups-by-id@openssh.com: ids per request.
inline constexpr size_t kMaxIdsPerLookup = 1024;
// User and group names remembered per session (each map).
inline constexpr size_t kMaxCachedNames = 4096;

static_assert(kMaxReadLength + 64 <= kMaxPacket);
static_assert(kMaxWriteLength + 64 + 256 <= kMaxPacket);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_LIMITS_H_
