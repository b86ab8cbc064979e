#include "sftpd/daemon/proxy_header.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "sftpd/daemon/listen.h"

namespace sftpd {

namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr size_t kV1MaxLine = 107;  // "PROXY" to CRLF, both included
constexpr uint8_t kV2Signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr size_t kV2Fixed = 16;  // signature, version and command, family,
                                 // length

// Whether the first min(size) bytes of `bytes` and `want` agree.
bool StartsLike(std::span<const uint8_t> bytes,
                std::span<const uint8_t> want) {
  const size_t n = std::min(bytes.size(), want.size());
  return std::equal(bytes.begin(), bytes.begin() + n, want.begin());
}

std::span<const uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// A version 1 port: decimal, no leading zero, 0..65535.
std::optional<int> V1Port(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text[0] == '0' && text.size() > 1) ||
      !std::all_of(text.begin(), text.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const int port = std::stoi(std::string(text));
  if (port > 65535) return std::nullopt;
  return port;
}

// The client of a header, from its source address (network order, 4 or 16
// bytes) and port.
Result<Peer> Client(int family, const void* address, int port) {
  if (port == 0) return Error{"source port 0"};
  sockaddr_storage ss{};
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    memcpy(&in->sin_addr, address, 4);
    in->sin_port = htons(uint16_t(port));
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    memcpy(&in6->sin6_addr, address, 16);
    in6->sin6_port = htons(uint16_t(port));
  }
  return PeerOf(ss);
}

Result<std::optional<ProxyHeader>> ParseV1(std::span<const uint8_t> bytes) {
  const auto* text = reinterpret_cast<const char*>(bytes.data());
  const size_t scan = std::min(bytes.size(), kV1MaxLine);
  const auto* nl = static_cast<const char*>(memchr(text, '\n', scan));
  if (nl == nullptr) {
    if (bytes.size() >= kV1MaxLine) {
      return Error{"PROXY v1 line without CRLF within 107 bytes"};
    }
    return std::optional<ProxyHeader>();
  }
  const size_t end = size_t(nl - text);  // the '\n'
  if (end == 0 || text[end - 1] != '\r') {
    return Error{"PROXY v1 line ends without CR"};
  }
  std::string_view line(text + kV1Prefix.size(),
                        end - 1 - kV1Prefix.size());
  std::vector<std::string_view> words;
  for (size_t from = 0;;) {
    const size_t space = line.find(' ', from);
    words.push_back(line.substr(from, space - from));
    if (space == std::string_view::npos) break;
    from = space + 1;
  }
  ProxyHeader header{.size = end + 1, .local = false, .client = std::nullopt};
  // The sender knows nothing of the client: the connection stands for
  // itself, whatever follows the word.
  if (words[0] == "UNKNOWN") return std::optional<ProxyHeader>(header);
  if (words[0] != "TCP4" && words[0] != "TCP6") {
    return Error{"PROXY v1 protocol is not TCP4, TCP6 or UNKNOWN"};
  }
  if (words.size() != 5) {
    return Error{"PROXY v1 line is not PROTOCOL SRC DST SRCPORT DSTPORT"};
  }
  const int family = words[0] == "TCP4" ? AF_INET : AF_INET6;
  uint8_t source[16], destination[16];
  const std::string src(words[1]), dst(words[2]);
  if (inet_pton(family, src.c_str(), source) != 1 ||
      inet_pton(family, dst.c_str(), destination) != 1) {
    return Error{"PROXY v1 address is not an " +
                 std::string(family == AF_INET ? "IPv4" : "IPv6") +
                 " address"};
  }
  const std::optional<int> sport = V1Port(words[3]);
  if (!sport || !V1Port(words[4])) return Error{"PROXY v1 port is not a port"};
  Result<Peer> client = Client(family, source, *sport);
  if (!client) return Error{"PROXY v1 " + client.error()};
  header.client = std::move(*client);
  return std::optional<ProxyHeader>(header);
}

Result<std::optional<ProxyHeader>> ParseV2(std::span<const uint8_t> bytes) {
  if (bytes.size() > sizeof kV2Signature) {
    const uint8_t version = bytes[12] >> 4, command = bytes[12] & 0x0F;
    if (version != 2) return Error{"PROXY v2 header of version " +
                                   std::to_string(version)};
    if (command > 1) {
      return Error{"PROXY v2 command " + std::to_string(command) +
                   " is neither LOCAL nor PROXY"};
    }
  }
  if (bytes.size() < kV2Fixed) return std::optional<ProxyHeader>();
  const size_t length = size_t(bytes[14]) << 8 | bytes[15];
  if (kV2Fixed + length > kMaxProxyHeader) {
    return Error{"PROXY v2 header of " + std::to_string(kV2Fixed + length) +
                 " bytes exceeds the limit of " +
                 std::to_string(kMaxProxyHeader)};
  }
  if (bytes.size() < kV2Fixed + length) return std::optional<ProxyHeader>();
  ProxyHeader header{.size = kV2Fixed + length,
                     .local = (bytes[12] & 0x0F) == 0,
                     .client = std::nullopt};
  const uint8_t family = bytes[13];
  if (header.local || family == 0x00) return std::optional<ProxyHeader>(header);
  const uint8_t* a = bytes.data() + kV2Fixed;
  Result<Peer> client = Error{""};
  if (family == 0x11) {  // TCP over IPv4: source, destination, their ports
    if (length < 12) return Error{"PROXY v2 header too short for IPv4"};
    client = Client(AF_INET, a, a[8] << 8 | a[9]);
  } else if (family == 0x21) {  // TCP over IPv6
    if (length < 36) return Error{"PROXY v2 header too short for IPv6"};
    client = Client(AF_INET6, a, a[32] << 8 | a[33]);
  } else {
    return Error{"PROXY v2 family and protocol 0x" +
                 std::string(1, "0123456789abcdef"[family >> 4]) +
                 std::string(1, "0123456789abcdef"[family & 0x0F]) +
                 " is not TCP over IPv4 or IPv6"};
  }
  if (!client) return Error{"PROXY v2 " + client.error()};
  header.client = std::move(*client);
  return std::optional<ProxyHeader>(header);
}

}  // namespace

bool LooksLikeProxyHeader(std::span<const uint8_t> bytes) {
  return !bytes.empty() &&
         (StartsLike(bytes, AsBytes(kV1Prefix)) ||
          StartsLike(bytes, kV2Signature));
}

bool SendsProxyHeader(std::span<const uint8_t> bytes) {
  return bytes.size() >= kV1Prefix.size() && LooksLikeProxyHeader(bytes);
}

Result<std::optional<ProxyHeader>> ParseProxyHeader(
    std::span<const uint8_t> bytes) {
  if (bytes.empty()) return std::optional<ProxyHeader>();
  if (StartsLike(bytes, kV2Signature)) return ParseV2(bytes);
  if (!StartsLike(bytes, AsBytes(kV1Prefix))) {
    return Error{"not a PROXY protocol header"};
  }
  if (bytes.size() < kV1Prefix.size()) return std::optional<ProxyHeader>();
  return ParseV1(bytes);
}

}  // namespace sftpd
