// What a client is told, and what the audit trail keeps, when the disk
// fails under a request on an open file: the session runs over real exports
// whose file I/O goes through a FakeFileIo that fails or cuts short the
// calls a test chooses.
#include <catch2/catch.hpp>
#include <string>

#include "sftpd/engine/session.h"
#include "sftpd/engine/session_testing.h"
#include "sftpd/vfs/fake_file_io.h"

namespace sftpd {
namespace {

using testing::FakeFileIo;
using testing::Harness;
using testing::ReadFile;
using testing::Reply;
using testing::WriteFile;

constexpr uint32_t kWriteNew =
    fxp::kOpenWrite | fxp::kOpenCreate | fxp::kOpenTruncate;

// The audit entries for `op`, in order.
std::vector<RecordingAudit::Entry> Lines(Harness& h, std::string_view op) {
  std::vector<RecordingAudit::Entry> out;
  for (const RecordingAudit::Entry& e : h.audit().entries) {
    if (e.op == op) out.push_back(e);
  }
  return out;
}

TEST_CASE("io faults: EIO on READ is a FAILURE with its message") {
  FakeFileIo io;  // outlives the harness's Exports
  Harness h;
  h.exports().UseFileIo(io);
  WriteFile(h.Real("home", "f"), "0123456789");
  std::string fh = h.OpenOk("/home/f", fxp::kOpenRead);

  io.read_error = EIO;
  Reply r = h.Call(h.Read(fh, 0, 10));
  CHECK(r.Is(StatusCode::kFailure));
  CHECK(r.message == "Input/output error");
  CHECK(io.reads == 1);

  // The disk recovers: the same handle reads again.
  io.read_error = 0;
  r = h.Call(h.Read(fh, 0, 10));
  REQUIRE(r.type == fxp::kData);
  CHECK(r.data == "0123456789");

  REQUIRE(h.Call(h.Close(fh)).Is(StatusCode::kOk));
  std::vector<RecordingAudit::Entry> close = Lines(h, "close");
  REQUIRE(close.size() == 1);
  CHECK(close[0].result == "ok");
  CHECK(close[0].detail == "read: Input/output error");
  CHECK(close[0].bytes_read == 10);
}

TEST_CASE("io faults: a short read is sent as short DATA, and continues") {
  FakeFileIo io;
  Harness h;
  h.exports().UseFileIo(io);
  WriteFile(h.Real("home", "f"), "abcdefgh");
  std::string fh = h.OpenOk("/home/f", fxp::kOpenRead);

  io.max_read = 3;
  Reply r = h.Call(h.Read(fh, 0, 8));
  REQUIRE(r.type == fxp::kData);
  CHECK(r.data == "abc");  // the length field says 3: nothing padded
  r = h.Call(h.Read(fh, 3, 8));
  REQUIRE(r.type == fxp::kData);
  CHECK(r.data == "def");
  CHECK(h.session().progress().bytes_read == 6);
}

TEST_CASE("io faults: ENOSPC on WRITE is a FAILURE naming it") {
  FakeFileIo io;
  Harness h;
  h.exports().UseFileIo(io);
  std::string fh = h.OpenOk("/home/f", kWriteNew);

  io.write_error = ENOSPC;
  Reply r = h.Call(h.Write(fh, 0, "0123456789"));
  CHECK(r.Is(StatusCode::kFailure));
  CHECK(r.message == "No space left on device");
  CHECK(ReadFile(h.Real("home", "f")).empty());

  REQUIRE(h.Call(h.Close(fh)).Is(StatusCode::kOk));
  std::vector<RecordingAudit::Entry> close = Lines(h, "close");
  REQUIRE(close.size() == 1);
  CHECK(close[0].detail == "write: No space left on device");
  CHECK(close[0].bytes_written == 0);
}

TEST_CASE("io faults: short writes are continued until all is written") {
  FakeFileIo io;
  Harness h;
  h.exports().UseFileIo(io);
  std::string fh = h.OpenOk("/home/f", kWriteNew);

  io.max_write = 3;
  Reply r = h.Call(h.Write(fh, 0, "0123456789"));
  CHECK(r.Is(StatusCode::kOk));
  CHECK(io.writes == 4);  // 3 + 3 + 3 + 1
  CHECK(ReadFile(h.Real("home", "f")) == "0123456789");

  SECTION("appending too") {
    std::string ah = h.OpenOk("/home/f", fxp::kOpenAppend);
    REQUIRE(h.Call(h.Write(ah, 0, "abcde")).Is(StatusCode::kOk));
    CHECK(ReadFile(h.Real("home", "f")) == "0123456789abcde");
  }
  REQUIRE(h.Call(h.Close(fh)).Is(StatusCode::kOk));
  CHECK(Lines(h, "close").front().bytes_written == 10);
}

TEST_CASE("io faults: a disk that fills mid-WRITE is reported, not hidden") {
  FakeFileIo io;
  Harness h;
  h.exports().UseFileIo(io);
  std::string fh = h.OpenOk("/home/f", kWriteNew);

  // Four bytes go through (a short write), then the disk is full.
  io.write_error = ENOSPC;
  io.write_budget = 4;
  Reply r = h.Call(h.Write(fh, 0, "0123456789"));
  CHECK(r.Is(StatusCode::kFailure));
  CHECK(r.message == "No space left on device");
  CHECK(ReadFile(h.Real("home", "f")) == "0123");
  CHECK(h.session().progress().bytes_written == 4);

  REQUIRE(h.Call(h.Close(fh)).Is(StatusCode::kOk));
  std::vector<RecordingAudit::Entry> close = Lines(h, "close");
  REQUIRE(close.size() == 1);
  CHECK(close[0].bytes_written == 4);
  CHECK(close[0].detail == "write: No space left on device");
}

TEST_CASE("io faults: a failed WRITE keeps a staged upload from its name") {
  FakeFileIo io;
  Harness h(true, /*atomic_uploads=*/true);
  h.exports().UseFileIo(io);
  WriteFile(h.Real("home", "f"), "old");
  std::string fh = h.OpenOk("/home/f", kWriteNew);

  io.write_error = ENOSPC;
  io.write_budget = 2;
  CHECK(h.Call(h.Write(fh, 0, "new content")).Is(StatusCode::kFailure));
  Reply r = h.Call(h.Close(fh));
  CHECK(r.Is(StatusCode::kFailure));
  CHECK(r.message == "Upload incomplete: discarded");
  CHECK(ReadFile(h.Real("home", "f")) == "old");

  std::vector<RecordingAudit::Entry> close = Lines(h, "close");
  REQUIRE(close.size() == 1);
  CHECK(close[0].result == "Upload incomplete: discarded");
  CHECK(close[0].detail == "upload discarded: a write failed");
  CHECK(close[0].bytes_written == 2);
}

TEST_CASE("io faults: fsync failure is reported and kept for the close") {
  FakeFileIo io;
  Harness h;
  h.exports().UseFileIo(io);
  std::string fh = h.OpenOk("/home/f", kWriteNew);
  REQUIRE(h.Call(h.Write(fh, 0, "data")).Is(StatusCode::kOk));

  io.fsync_error = EIO;
  Reply r = h.Call(h.Fsync(fh));
  CHECK(r.Is(StatusCode::kFailure));
  CHECK(r.message == "Input/output error");
  CHECK(io.fsyncs == 1);

  // A later failure does not replace the first in the close line.
  io.write_error = ENOSPC;
  CHECK(h.Call(h.Write(fh, 4, "more")).Is(StatusCode::kFailure));
  REQUIRE(h.Call(h.Close(fh)).Is(StatusCode::kOk));
  std::vector<RecordingAudit::Entry> close = Lines(h, "close");
  REQUIRE(close.size() == 1);
  CHECK(close[0].detail == "fsync: Input/output error");
}

TEST_CASE("io faults: copy-data reports a failed write and what it copied") {
  FakeFileIo io;
  Harness h;
  h.exports().UseFileIo(io);
  WriteFile(h.Real("home", "src"), std::string(100, 'x'));
  std::string from = h.OpenOk("/home/src", fxp::kOpenRead);
  std::string to = h.OpenOk("/home/dst", kWriteNew);

  io.write_error = ENOSPC;
  io.write_budget = 40;
  Reply r = h.Call(h.CopyData(from, 0, 0, to, 0));
  CHECK(r.Is(StatusCode::kFailure));
  CHECK(r.message == "No space left on device");
  CHECK(ReadFile(h.Real("home", "dst")) == std::string(40, 'x'));

  std::vector<RecordingAudit::Entry> copy = Lines(h, "copy");
  REQUIRE(copy.size() == 1);
  CHECK(copy[0].result == "No space left on device");
  CHECK(copy[0].detail == "bytes=40");
  CHECK(copy[0].path == "/home/src");
  CHECK(copy[0].target == "/home/dst");
}

TEST_CASE("io faults: copy-data reports a failed read") {
  FakeFileIo io;
  Harness h;
  h.exports().UseFileIo(io);
  WriteFile(h.Real("home", "src"), "abc");
  std::string from = h.OpenOk("/home/src", fxp::kOpenRead);
  std::string to = h.OpenOk("/home/dst", kWriteNew);

  io.read_error = EIO;
  Reply r = h.Call(h.CopyData(from, 0, 0, to, 0));
  CHECK(r.Is(StatusCode::kFailure));
  CHECK(r.message == "Input/output error");
  std::vector<RecordingAudit::Entry> copy = Lines(h, "copy");
  REQUIRE(copy.size() == 1);
  CHECK(copy[0].result == "Input/output error");
  CHECK(copy[0].detail == "bytes=0");
}

TEST_CASE("io faults: FSTAT's failure is the reply") {
  FakeFileIo io;
  Harness h;
  h.exports().UseFileIo(io);
  std::string fh = h.OpenOk("/home/f", kWriteNew);
  io.fstat_error = EIO;
  CHECK(h.Call(h.Fstat(fh)).Is(StatusCode::kFailure));
  io.fstat_error = 0;
  CHECK(h.Call(h.Fstat(fh)).type == fxp::kAttrs);
}

}  // namespace
}  // namespace sftpd
