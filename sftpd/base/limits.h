// Every protocol limit of the engine, in one place. limits@openssh.com
// reports the first four; the rest bound what a client can make us hold,
// and, last, what it can make us write to the audit trail.
#ifndef SFTPD_SFTPD_BASE_LIMITS_H_
#define SFTPD_SFTPD_BASE_LIMITS_H_

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
// Extension names (of EXTENDED requests) and the user names home-directory
// asks for longer than this are refused as malformed.
inline constexpr size_t kMaxExtensionName = 256;
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

// Each string of an audit line is cut to this many bytes of escaped text,
// so one hostile path cannot make a line (or a syslog message) unboundedly
// long: a line is at most a few times this.
inline constexpr size_t kMaxAuditField = 4096;
// Repeated refusals on the audit trail (audit/limit.h). Of one session's
// events that are not "ok", at most kAuditBurst of one kind (op, result,
// rule, detail) are written at once, and one more every kAuditRefillSeconds;
// of all its kinds together kAuditSessionBurst, and one more every
// kAuditSessionRefillMillis. The rest are counted, and one summary line per
// kind carries the count at most kAuditWindowSeconds after the first of them
// (at logout at the latest). kAuditMaxKinds kinds are counted apart; past
// them, one count holds the others.
inline constexpr int kAuditBurst = 10;
inline constexpr int kAuditRefillSeconds = 6;
inline constexpr int kAuditSessionBurst = 50;
inline constexpr int kAuditSessionRefillMillis = 500;
inline constexpr int kAuditWindowSeconds = 60;
inline constexpr size_t kAuditMaxKinds = 64;
// The daemon's drops before key exchange, per source address and rule: one
// line, then one a minute, the rest counted alike; kDropAllBurst lines of
// all sources at once, one more a second; kDropMaxSources tracked apart.
inline constexpr int kDropBurst = 1;
inline constexpr int kDropRefillSeconds = 60;
inline constexpr int kDropAllBurst = 32;
inline constexpr int kDropAllRefillMillis = 1000;
inline constexpr size_t kDropMaxSources = 4096;

static_assert(kMaxReadLength + 64 <= kMaxPacket);
static_assert(kMaxWriteLength + 64 + 256 <= kMaxPacket);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_BASE_LIMITS_H_
