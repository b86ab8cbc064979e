// The PROXY protocol parser: both versions as HAProxy sends them, every
// prefix of a header (more is needed), and what is refused.
#include "sftpd/daemon/proxy_header.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace sftpd {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// A version 2 header: the signature, version 2 with `command`, `family`,
// the length of `rest`, then `rest`.
std::vector<uint8_t> V2(uint8_t command, uint8_t family,
                        const std::vector<uint8_t>& rest) {
  std::vector<uint8_t> h = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                            0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  h.push_back(uint8_t(0x20 | command));
  h.push_back(family);
  h.push_back(uint8_t(rest.size() >> 8));
  h.push_back(uint8_t(rest.size() & 0xFF));
  h.insert(h.end(), rest.begin(), rest.end());
  return h;
}

// Every proper prefix of `header` asks for more; the whole parses.
ProxyHeader Whole(const std::vector<uint8_t>& header) {
  for (size_t n = 0; n < header.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    auto r = ParseProxyHeader({header.data(), n});
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
    if (n > 0) CHECK(LooksLikeProxyHeader({header.data(), n}));
  }
  // The client's bytes after the header are not the header's.
  std::vector<uint8_t> more = header;
  const std::vector<uint8_t> ssh = Bytes("SSH-2.0-OpenSSH_9.2\r\n");
  more.insert(more.end(), ssh.begin(), ssh.end());
  auto r = ParseProxyHeader(more);
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  CHECK((*r)->size == header.size());
  return **r;
}

std::string Refused(const std::vector<uint8_t>& bytes) {
  auto r = ParseProxyHeader(bytes);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

TEST_CASE("proxy header: version 1, TCP4, TCP6 and UNKNOWN") {
  ProxyHeader h =
      Whole(Bytes("PROXY TCP4 192.0.2.7 10.0.0.1 51022 22\r\n"));
  REQUIRE(h.client);
  CHECK(h.client->address->ToString() == "192.0.2.7");
  CHECK(h.client->port == 51022);
  CHECK(h.client->text == "192.0.2.7:51022");

  h = Whole(Bytes("PROXY TCP6 2001:db8::7 2001:db8::1 65535 22\r\n"));
  REQUIRE(h.client);
  CHECK(h.client->text == "[2001:db8::7]:65535");

  h = Whole(Bytes("PROXY UNKNOWN\r\n"));
  CHECK_FALSE(h.local);
  CHECK_FALSE(h.client);
  h = Whole(Bytes("PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n"));
  CHECK_FALSE(h.client);
}

TEST_CASE("proxy header: version 1 refusals") {
  CHECK(Refused(Bytes("SSH-2.0-OpenSSH_9.2\r\n")) ==
        "not a PROXY protocol header");
  CHECK_FALSE(LooksLikeProxyHeader(Bytes("SSH-2.0-x")));
  CHECK_FALSE(LooksLikeProxyHeader({}));
  // Refusing one from elsewhere takes six bytes to tell.
  CHECK(SendsProxyHeader(Bytes("PROXY ")));
  CHECK_FALSE(SendsProxyHeader(Bytes("PROXY")));
  CHECK_FALSE(SendsProxyHeader(Bytes("SSH-2.0-x")));
  CHECK(Refused(Bytes("PROXY TCP4 192.0.2.7 10.0.0.1 51022 22\n")) ==
        "PROXY v1 line ends without CR");
  CHECK(Refused(Bytes("PROXY TCP5 192.0.2.7 10.0.0.1 1 22\r\n"))
            .find("not TCP4, TCP6 or UNKNOWN") != std::string::npos);
  for (const char* bad : {
           "PROXY TCP4 192.0.2.7 10.0.0.1 51022\r\n",       // a field short
           "PROXY TCP4 192.0.2.7 10.0.0.1 51022 22 x\r\n",  // one too many
           "PROXY TCP4 192.0.2.7  10.0.0.1 51022 22\r\n",   // two spaces
           "PROXY TCP4 2001:db8::7 10.0.0.1 51022 22\r\n",  // family
           "PROXY TCP6 192.0.2.7 2001:db8::1 51022 22\r\n",
           "PROXY TCP4 192.0.2.777 10.0.0.1 51022 22\r\n",
           "PROXY TCP4 192.0.2.7 10.0.0.1 65536 22\r\n",  // ports
           "PROXY TCP4 192.0.2.7 10.0.0.1 051022 22\r\n",
           "PROXY TCP4 192.0.2.7 10.0.0.1 -1 22\r\n",
           "PROXY TCP4 192.0.2.7 10.0.0.1 0 22\r\n",
           "PROXY TCP4 192.0.2.7 10.0.0.1 51022 \r\n",
       }) {
    INFO(bad);
    CHECK_FALSE(ParseProxyHeader(Bytes(bad)).ok());
  }
  // No CRLF within 107 bytes: refused, not waited for.
  const std::string longer = "PROXY TCP4 " + std::string(96, '1');
  CHECK(longer.size() == 107);
  CHECK(Refused(Bytes(longer)).find("107") != std::string::npos);
  auto r = ParseProxyHeader(Bytes(longer.substr(0, 106)));
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_value());
}

TEST_CASE("proxy header: version 2, PROXY over IPv4 and IPv6, and LOCAL") {
  // 192.0.2.7:51022 -> 10.0.0.1:22
  ProxyHeader h = Whole(V2(1, 0x11, {192, 0, 2, 7, 10, 0, 0, 1, 0xC7, 0x4E,
                                     0, 22}));
  REQUIRE(h.client);
  CHECK(h.client->text == "192.0.2.7:51022");

  std::vector<uint8_t> six(36, 0);
  six[0] = 0x20, six[1] = 0x01, six[2] = 0x0d, six[3] = 0xb8, six[15] = 7;
  six[32] = 0x01, six[33] = 0x02;  // port 258
  h = Whole(V2(1, 0x21, six));
  REQUIRE(h.client);
  CHECK(h.client->text == "[2001:db8::7]:258");

  // TLVs after the addresses are the header's too (HAProxy's unique id).
  std::vector<uint8_t> tlv = {192, 0, 2, 7, 10, 0, 0, 1, 0xC7, 0x4E, 0, 22,
                              0x05, 0x00, 0x03, 'a', 'b', 'c'};
  h = Whole(V2(1, 0x11, tlv));
  REQUIRE(h.client);
  CHECK(h.client->text == "192.0.2.7:51022");

  CHECK_FALSE(h.local);
  // LOCAL (a health check): no client, whatever addresses it carries.
  h = Whole(V2(0, 0x00, {}));
  CHECK(h.local);
  CHECK_FALSE(h.client);
  h = Whole(V2(0, 0x11, {192, 0, 2, 7, 10, 0, 0, 1, 0xC7, 0x4E, 0, 22}));
  CHECK(h.local);
  CHECK_FALSE(h.client);
  // PROXY with an unspecified family: relayed, but for no address known.
  h = Whole(V2(1, 0x00, {}));
  CHECK_FALSE(h.local);
  CHECK_FALSE(h.client);
}

TEST_CASE("proxy header: version 2 refusals") {
  std::vector<uint8_t> v3 = V2(1, 0x11, std::vector<uint8_t>(12, 1));
  v3[12] = 0x31;
  CHECK(Refused(v3) == "PROXY v2 header of version 3");
  // Refused as soon as the byte is there.
  CHECK_FALSE(ParseProxyHeader({v3.data(), 13}).ok());
  std::vector<uint8_t> cmd = V2(2, 0x11, std::vector<uint8_t>(12, 1));
  CHECK(Refused(cmd).find("neither LOCAL nor PROXY") != std::string::npos);
  CHECK(Refused(V2(1, 0x12, std::vector<uint8_t>(12, 1)))
            .find("0x12 is not TCP over IPv4 or IPv6") != std::string::npos);
  CHECK_FALSE(ParseProxyHeader(V2(1, 0x31, std::vector<uint8_t>(216, 1))).ok());
  CHECK(Refused(V2(1, 0x11, std::vector<uint8_t>(11, 1))) ==
        "PROXY v2 header too short for IPv4");
  CHECK(Refused(V2(1, 0x21, std::vector<uint8_t>(35, 1))) ==
        "PROXY v2 header too short for IPv6");
  CHECK(Refused(V2(1, 0x11, {192, 0, 2, 7, 10, 0, 0, 1, 0, 0, 0, 22})) ==
        "PROXY v2 source port 0");
  // Longer than the limit: refused from its fixed part on, not read.
  std::vector<uint8_t> big = V2(1, 0x11, std::vector<uint8_t>(1025, 1));
  CHECK(Refused({big.begin(), big.begin() + 16}).find("exceeds the limit") !=
        std::string::npos);
  CHECK(Whole(V2(1, 0x11, std::vector<uint8_t>(1024, 1))).size ==
        kMaxProxyHeader);
  // Not the signature.
  std::vector<uint8_t> sig = V2(1, 0x11, std::vector<uint8_t>(12, 1));
  sig[5] = 0;
  CHECK(Refused(sig) == "not a PROXY protocol header");
}

}  // namespace
}  // namespace sftpd
