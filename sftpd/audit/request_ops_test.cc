// kRequestOps is a copy, for the tools that must not link the engine: it
// must say what the engine's request table says, row for row.
#include "sftpd/audit/request_ops.h"

#include <catch2/catch.hpp>
#include <iterator>
#include <span>
#include <string>

#include "sftpd/engine/session.h"

namespace sftpd {
namespace {

TEST_CASE("request ops: the same rows as the engine's request table") {
  // The effects compare as numbers below, so the enumerators line up.
  STATIC_REQUIRE(int(OpEffect::kNone) == int(TableEffect::kNone));
  STATIC_REQUIRE(int(OpEffect::kRead) == int(TableEffect::kRead));
  STATIC_REQUIRE(int(OpEffect::kWrite) == int(TableEffect::kWrite));
  STATIC_REQUIRE(int(OpEffect::kByFlags) == int(TableEffect::kByFlags));
  const auto& engine = Session::Requests();
  REQUIRE(std::size(kRequestOps) == std::size(engine));
  size_t i = 0;
  for (const RequestInfo& row : engine) {
    const RequestOp& op = kRequestOps[i++];
    INFO(std::string(row.name));
    CHECK(op.name == row.name);
    CHECK(op.audit_op == row.audit_op);
    CHECK(static_cast<int>(op.effect) == static_cast<int>(row.effect));
  }
}

}  // namespace
}  // namespace sftpd
