#include "config/result.h"

#include <catch2/catch.hpp>
#include <string>

namespace sftpd {
namespace {

Result<void> Check(int n) {
  if (n < 0) return Error{"negative: " + std::to_string(n)};
  return {};
}

TEST_CASE("Result<void> is success or an error message", "[result]") {
  Result<void> good = Check(1);
  CHECK(good.ok());
  CHECK(static_cast<bool>(good));
  Result<void> bad = Check(-2);
  CHECK_FALSE(bad.ok());
  CHECK(bad.error() == "negative: -2");
}

TEST_CASE("Result holds a value or an error message", "[result]") {
  Result<int> v = 7;
  REQUIRE(v.ok());
  CHECK(*v == 7);
  Result<int> e = Error{"no"};
  CHECK_FALSE(e.ok());
  CHECK(e.error() == "no");
}

}  // namespace
}  // namespace sftpd
