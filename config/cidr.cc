#include "config/cidr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sftpd {
namespace {

// Longest textual IPv6 address with brackets, plus slack; anything longer is
// junk and never reaches inet_pton.
constexpr size_t kMaxAddressText = 64;
constexpr int kV4MappedPrefix = 96;

constexpr std::array<uint8_t, 12> kV4MappedHead = {0, 0, 0, 0, 0,    0,
                                                   0, 0, 0, 0, 0xff, 0xff};

// Clears every bit of `a` past the first `prefix` bits.
Address Masked(const Address& a, int prefix) {
  Address out = a;
  for (int i = 0; i < 16; ++i) {
    const int bits_here = std::clamp(prefix - i * 8, 0, 8);
    const auto mask =
        static_cast<uint8_t>(bits_here == 0 ? 0 : 0xff << (8 - bits_here));
    out.bytes[i] = static_cast<uint8_t>(out.bytes[i] & mask);
  }
  return out;
}

}  // namespace

std::optional<Address> Address::Parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  // A NUL would end the C string early and let "10.0.0.1\0junk" through.
  if (text.empty() || text.size() > kMaxAddressText ||
      text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string s(text);
  Address a;
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    std::copy(kV4MappedHead.begin(), kV4MappedHead.end(), a.bytes.begin());
    std::memcpy(a.bytes.data() + 12, &v4, 4);
    return a;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(a.bytes.data(), &v6, 16);
    return a;
  }
  return std::nullopt;
}

bool Address::IsV4() const {
  return std::equal(kV4MappedHead.begin(), kV4MappedHead.end(), bytes.begin());
}

std::string Address::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (IsV4()) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
  }
  return buf;
}

Result<Cidr> Cidr::Parse(std::string_view text) {
  if (text.empty()) return Error{"empty address"};
  const size_t slash = text.find('/');
  const std::string_view addr_text = text.substr(0, slash);
  const std::optional<Address> addr = Address::Parse(addr_text);
  if (!addr) {
    return Error{"'" + std::string(addr_text) +
                 "' is not an IPv4 or IPv6 address"};
  }
  // The family follows the text: "::ffff:10.0.0.0/104" is an IPv6 prefix
  // even though the address is IPv4-mapped.
  const bool v4_text = addr_text.find(':') == std::string_view::npos;
  Cidr c;
  if (slash == std::string_view::npos) {
    c.base = *addr;
    c.prefix = 128;
    return c;
  }
  const std::string_view len_text = text.substr(slash + 1);
  const int max_len = v4_text ? 32 : 128;
  int len = -1;
  const bool digits_only =
      !len_text.empty() && len_text.size() <= 3 &&
      std::all_of(len_text.begin(), len_text.end(),
                  [](char ch) { return ch >= '0' && ch <= '9'; });
  if (!digits_only) {
    return Error{"prefix length '" + std::string(len_text) + "' in '" +
                 std::string(text) + "' is not a number"};
  }
  std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (len < 0 || len > max_len) {
    return Error{"prefix length " + std::string(len_text) + " in '" +
                 std::string(text) + "' is out of range for " +
                 (v4_text ? "IPv4 (0..32)" : "IPv6 (0..128)")};
  }
  c.prefix = v4_text ? kV4MappedPrefix + len : len;
  c.base = Masked(*addr, c.prefix);
  if (c.base != *addr) {
    return Error{std::string(text) + " has host bits set; did you mean " +
                 c.ToString() + "?"};
  }
  return c;
}

bool Cidr::Contains(const Address& a) const {
  return Masked(a, prefix) == base;
}

std::string Cidr::ToString() const {
  if (base.IsV4() && prefix >= kV4MappedPrefix) {
    return base.ToString() + "/" + std::to_string(prefix - kV4MappedPrefix);
  }
  if (base.IsV4()) {
    // A prefix shorter than the mapped head: only IPv6 notation says it.
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, base.bytes.data(), buf, sizeof(buf));
    return std::string(buf) + "/" + std::to_string(prefix);
  }
  return base.ToString() + "/" + std::to_string(prefix);
}

}  // namespace sftpd
