// The PROXY protocol header a TCP balancer (HAProxy's send-proxy and
// send-proxy-v2) puts in front of a connection it relays, naming the client
// it relays for: version 1 (one text line) and version 2 (binary), as
// haproxy.org's proxy-protocol.txt specifies them. A pure parser, so that
// the listener (which reads the bytes from connections of [server]
// proxy_from only) and the tests share it; thread-compatible.
#ifndef SFTPD_SFTPD_DAEMON_PROXY_HEADER_H_
#define SFTPD_SFTPD_DAEMON_PROXY_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "config/result.h"
#include "sftpd/frontdoor/identity.h"

namespace sftpd {

// The longest header taken: version 1's limit (107 bytes) and version 2's
// 16 bytes plus addresses (at most 216, for UNIX) and the TLVs a balancer
// adds (HAProxy's unique id, ALPN, SSL details), within 1 KiB.
inline constexpr size_t kMaxProxyHeader = 16 + 1024;

struct ProxyHeader {
  size_t size = 0;  // the header's bytes; what follows is the client's
  // The balancer's own connection, relaying no client (version 2 LOCAL:
  // HAProxy's health checks of a server with send-proxy-v2).
  bool local = false;
  // The client the balancer relays for; nullopt when local, or when the
  // header does not say (version 1 UNKNOWN, an unspecified family).
  std::optional<Peer> client;
};

// Why a connection that starts with a PROXY header from an address not in
// [server] proxy_from is refused (the listener's audit line and the
// connection's, whichever sees the header).
inline constexpr const char* kProxyHeaderNotTrusted =
    "PROXY header from an address not in [server] proxy_from";

// Whether `bytes` start like a PROXY header of either version (the first
// bytes of one, however few).
bool LooksLikeProxyHeader(std::span<const uint8_t> bytes);

// Whether `bytes`, the first a connection sent, are enough to tell (six)
// and start a PROXY header: for refusing one from any other address. A
// client's SSH version line ("SSH-2.0-...") never does.
bool SendsProxyHeader(std::span<const uint8_t> bytes);

// Parses the PROXY header at the front of `bytes`. nullopt: `bytes` are the
// start of a header that is not complete yet (every one of them belongs to
// it). An error says what is wrong: not a PROXY header, a bad version,
// command, family or protocol (only TCP over IPv4 or IPv6 is relayed), an
// address or port that does not parse or does not match the family, a
// version 1 line without its CRLF within 107 bytes, a version 2 header over
// kMaxProxyHeader or with less room than its addresses need.
Result<std::optional<ProxyHeader>> ParseProxyHeader(
    std::span<const uint8_t> bytes);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_PROXY_HEADER_H_
