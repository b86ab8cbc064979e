#include "config/cidr.h"

#include <catch2/catch.hpp>

namespace sftpd {
namespace {

Address Addr(const char* text) {
  std::optional<Address> a = Address::Parse(text);
  REQUIRE(a.has_value());
  return *a;
}

Cidr Block(const char* text) {
  Result<Cidr> c = Cidr::Parse(text);
  INFO(text << ": " << (c.ok() ? "" : c.error()));
  REQUIRE(c.ok());
  return *c;
}

std::string ParseError(const char* text) {
  Result<Cidr> c = Cidr::Parse(text);
  REQUIRE_FALSE(c.ok());
  return c.error();
}

TEST_CASE("cidr: addresses parse, IPv4 is stored IPv4-mapped") {
  const Address v4 = Addr("127.0.0.1");
  CHECK(v4.IsV4());
  CHECK(v4.bytes[10] == 0xff);
  CHECK(v4.bytes[11] == 0xff);
  CHECK(v4.bytes[12] == 127);
  CHECK(v4.bytes[15] == 1);
  CHECK(v4.ToString() == "127.0.0.1");
  CHECK(Addr("::ffff:127.0.0.1") == v4);

  const Address v6 = Addr("[::1]");
  CHECK_FALSE(v6.IsV4());
  CHECK(v6.bytes[15] == 1);
  CHECK(v6.ToString() == "::1");
  CHECK(Addr("2001:0DB8:0:0:0:0:0:1").ToString() == "2001:db8::1");

  for (const char* junk : {"", "[]", "localhost", "127.0.0.256", "1.2.3",
                           "::1%lo", "[::1", "::1]", " 127.0.0.1", "::g"}) {
    INFO(junk);
    CHECK_FALSE(Address::Parse(junk).has_value());
  }
  // An embedded NUL must not cut the text short.
  CHECK_FALSE(Address::Parse(std::string_view("127.0.0.1\0x", 11)));
}

TEST_CASE("cidr: IPv4 blocks match IPv4 peers, also as ::ffff: addresses") {
  const Cidr net = Block("127.0.0.0/8");
  CHECK(net.prefix == 104);
  CHECK(net.ToString() == "127.0.0.0/8");
  CHECK(net.Contains(Addr("127.0.0.1")));
  CHECK(net.Contains(Addr("127.255.255.255")));
  CHECK(net.Contains(Addr("::ffff:127.1.2.3")));
  CHECK_FALSE(net.Contains(Addr("128.0.0.1")));
  CHECK_FALSE(net.Contains(Addr("126.255.255.255")));
  CHECK_FALSE(net.Contains(Addr("::1")));
  // The same block written as IPv6 is the same block.
  const Cidr mapped = Block("::ffff:127.0.0.0/104");
  CHECK(mapped.base == net.base);
  CHECK(mapped.prefix == net.prefix);

  const Cidr odd = Block("127.0.0.128/25");
  CHECK(odd.Contains(Addr("127.0.0.200")));
  CHECK_FALSE(odd.Contains(Addr("127.0.0.127")));
}

TEST_CASE("cidr: /0, /32 and bare addresses") {
  const Cidr all_v4 = Block("0.0.0.0/0");
  CHECK(all_v4.ToString() == "0.0.0.0/0");
  CHECK(all_v4.Contains(Addr("127.0.0.1")));
  CHECK(all_v4.Contains(Addr("255.255.255.255")));
  CHECK_FALSE(all_v4.Contains(Addr("::1")));

  const Cidr host = Block("127.0.0.1/32");
  CHECK(host.Contains(Addr("127.0.0.1")));
  CHECK_FALSE(host.Contains(Addr("127.0.0.2")));
  const Cidr bare = Block("127.0.0.1");
  CHECK(bare.prefix == host.prefix);
  CHECK(bare.base == host.base);
  CHECK(bare.ToString() == "127.0.0.1/32");
}

TEST_CASE("cidr: IPv6 blocks, /0 and /128") {
  const Cidr net = Block("2001:db8::/32");
  CHECK(net.ToString() == "2001:db8::/32");
  CHECK(net.Contains(Addr("2001:db8:ffff::1")));
  CHECK_FALSE(net.Contains(Addr("2001:db9::1")));
  CHECK_FALSE(net.Contains(Addr("127.0.0.1")));

  const Cidr all = Block("::/0");
  CHECK(all.Contains(Addr("::1")));
  CHECK(all.Contains(Addr("127.0.0.1")));  // every address, mapped IPv4 too

  const Cidr loopback = Block("::1/128");
  CHECK(loopback.Contains(Addr("::1")));
  CHECK_FALSE(loopback.Contains(Addr("::2")));
  CHECK(Block("[::1]").ToString() == "::1/128");
  CHECK(Block("::1").prefix == 128);

  const Cidr nibble = Block("fe80::/10");
  CHECK(nibble.Contains(Addr("febf::1")));
  CHECK_FALSE(nibble.Contains(Addr("fec0::1")));
}

TEST_CASE("cidr: host bits beyond the prefix are an error with a suggestion") {
  CHECK(ParseError("10.1.2.3/8") ==
        "10.1.2.3/8 has host bits set; did you mean 10.0.0.0/8?");
  CHECK(ParseError("127.0.0.1/31") ==
        "127.0.0.1/31 has host bits set; did you mean 127.0.0.0/31?");
  CHECK(ParseError("2001:db8::1/32") ==
        "2001:db8::1/32 has host bits set; did you mean 2001:db8::/32?");
}

TEST_CASE("cidr: bad prefixes and junk say what is wrong") {
  CHECK(ParseError("127.0.0.0/33").find("out of range for IPv4 (0..32)") !=
        std::string::npos);
  CHECK(ParseError("::/129").find("out of range for IPv6 (0..128)") !=
        std::string::npos);
  for (const char* bad :
       {"127.0.0.0/", "127.0.0.0/-1", "127.0.0.0/+8", "127.0.0.0/8/8",
        "127.0.0.0/ 8", "127.0.0.0/0x8", "127.0.0.0/0008"}) {
    INFO(bad);
    CHECK(ParseError(bad).find("is not a number") != std::string::npos);
  }
  CHECK(ParseError("") == "empty address");
  CHECK(ParseError("localhost/8") ==
        "'localhost' is not an IPv4 or IPv6 address");
  CHECK(ParseError("127.0.0.1.5") ==
        "'127.0.0.1.5' is not an IPv4 or IPv6 address");
  CHECK(ParseError("/8").find("is not an IPv4 or IPv6 address") !=
        std::string::npos);
}

}  // namespace
}  // namespace sftpd
