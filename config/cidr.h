// Addresses and CIDR blocks, IPv4 and IPv6, for [users.*] allow_from and peer
// checks. Plain values; IPv4 is stored as an IPv4-mapped IPv6 address so one
// comparison serves both (an IPv4 peer seen as ::ffff:a.b.c.d
// matches 10.0.0.0/8).
#ifndef SFTPD_CONFIG_CIDR_H_
#define SFTPD_CONFIG_CIDR_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/result.h"

namespace sftpd {

struct Address {
  std::array<uint8_t, 16> bytes{};  // IPv4 as ::ffff:a.b.c.d

  // Accepts "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1", "[2001:db8::1]";
  // nullopt for anything else.
  static std::optional<Address> Parse(std::string_view text);
  bool IsV4() const;
  std::string ToString() const;  // dotted quad for IPv4, RFC 5952 for IPv6
  bool operator==(const Address&) const = default;
};

struct Cidr {
  Address base;    // host bits cleared
  int prefix = 0;  // 0..128 over the 16 bytes (IPv4 /n is stored as 96+n)

  // Accepts an address ("192.0.2.7", "::1": a single host) or
  // "address/prefix" with prefix 0..32 for IPv4, 0..128 for IPv6. Host bits
  // set beyond the prefix are an error ("10.1.2.3/8"), so typos do not widen
  // or narrow a rule silently. Otherwise an error saying what is wrong.
  static Result<Cidr> Parse(std::string_view text);
  bool Contains(const Address& a) const;
  std::string ToString() const;  // as an admin would write it
  bool operator==(const Cidr&) const = default;
};

}  // namespace sftpd

#endif  // SFTPD_CONFIG_CIDR_H_
