#include "sftpd/engine/status.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>

namespace sftpd {

TEST_CASE("status: zero is OK") {
  Status s = StatusFromErrno(0);
  CHECK(s.code == StatusCode::kOk);
  CHECK_FALSE(s.message.empty());
}

TEST_CASE("status: missing files are NO_SUCH_FILE") {
  CHECK(StatusFromErrno(ENOENT).code == StatusCode::kNoSuchFile);
  CHECK(StatusFromErrno(ENOTDIR).code == StatusCode::kNoSuchFile);
}

TEST_CASE("status: access errors are PERMISSION_DENIED") {
  for (int e : {EACCES, EPERM, EROFS}) {
    INFO("errno " << e);
    CHECK(StatusFromErrno(e).code == StatusCode::kPermissionDenied);
  }
}

TEST_CASE("status: unsupported operations are OP_UNSUPPORTED") {
  CHECK(StatusFromErrno(ENOTSUP).code == StatusCode::kOpUnsupported);
  CHECK(StatusFromErrno(ENOSYS).code == StatusCode::kOpUnsupported);
}

TEST_CASE("status: EXDEV is a FAILURE that talks about filesystems") {
  Status s = StatusFromErrno(EXDEV);
  CHECK(s.code == StatusCode::kFailure);
  CHECK(std::string(s.message).find("filesystem") != std::string::npos);
}

TEST_CASE("status: errors without a code of their own are FAILURE") {
  for (int e : {EEXIST, ENOTEMPTY, EISDIR, ENOSPC, ELOOP, EINVAL}) {
    INFO("errno " << e);
    CHECK(StatusFromErrno(e).code == StatusCode::kFailure);
  }
  // Different errnos keep different messages, so the client can tell them
  // apart even under one code.
  CHECK(StatusFromErrno(EEXIST).message != StatusFromErrno(ENOTEMPTY).message);
}

TEST_CASE("status: unknown errno values are FAILURE") {
  for (int e : {-1, 9999, INT32_MAX, EHWPOISON}) {
    INFO("errno " << e);
    Status s = StatusFromErrno(e);
    CHECK(s.code == StatusCode::kFailure);
    CHECK_FALSE(s.message.empty());
  }
}

TEST_CASE("status: every errno has a non-empty message and a v3 code") {
  // Every value the kernel can give, and a margin beyond.
  for (int e = 0; e < 200; ++e) {
    INFO("errno " << e);
    Status s = StatusFromErrno(e);
    CHECK_FALSE(s.message.empty());
    CHECK(uint32_t(s.code) <= uint32_t(StatusCode::kOpUnsupported));
    // Only errno 0 is success; EOF is a protocol state, never an errno.
    CHECK((s.code == StatusCode::kOk) == (e == 0));
    CHECK(s.code != StatusCode::kEof);
  }
}

}  // namespace sftpd
