// FakeFileIo: a FileIo for tests that makes the real calls but can be told
// to fail them (EIO, ENOSPC... as the errno) or to cut reads and writes
// short, so tests can show what a client is told when the disk misbehaves.
// Test code only: header-only, never linked into the server. A test installs
// it with Exports::UseFileIo and must keep it alive as long as the Exports.
// Not thread-safe.
#ifndef SFTPD_SFTPD_VFS_FAKE_FILE_IO_H_
#define SFTPD_SFTPD_VFS_FAKE_FILE_IO_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "sftpd/vfs/file_io.h"

namespace sftpd::testing {

class FakeFileIo final : public FileIo {
 public:
  // An errno to fail every such call with, until set back to 0.
  int read_error = 0;
  int write_error = 0;  // Pwrite and Append
  int fsync_error = 0;
  int fstat_error = 0;
  // At most this many bytes per read or write call (short ones); 0: no cap.
  size_t max_read = 0;
  size_t max_write = 0;
  // write_error fails writes only once this many bytes have gone through
  // the fake (a disk filling up in the middle of a request); 0: at once.
  size_t write_budget = 0;
  // Calls made, faulty or not.
  int reads = 0;
  int writes = 0;
  int fsyncs = 0;

  FsResult<size_t> Pread(int fd, std::span<uint8_t> dst,
                         uint64_t offset) override {
    ++reads;
    if (read_error != 0) return {{read_error, {}}, 0};
    if (max_read != 0) dst = dst.first(std::min(dst.size(), max_read));
    return real_.Pread(fd, dst, offset);
  }
  FsResult<size_t> Pwrite(int fd, std::span<const uint8_t> src,
                          uint64_t offset) override {
    if (FsResult<size_t> no = Refused(src); !no.ok()) return no;
    FsResult<size_t> n = real_.Pwrite(fd, src, offset);
    written_ += n.value;
    return n;
  }
  FsResult<size_t> Append(int fd, std::span<const uint8_t> src) override {
    if (FsResult<size_t> no = Refused(src); !no.ok()) return no;
    FsResult<size_t> n = real_.Append(fd, src);
    written_ += n.value;
    return n;
  }
  Outcome Fsync(int fd) override {
    ++fsyncs;
    if (fsync_error != 0) return {fsync_error, {}};
    return real_.Fsync(fd);
  }
  FsResult<struct stat> Fstat(int fd) override {
    if (fstat_error != 0) return {{fstat_error, {}}, {}};
    return real_.Fstat(fd);
  }

 private:
  // Counts the call; fails it (write_error, once the budget is spent) or
  // cuts `src` to what may be written.
  FsResult<size_t> Refused(std::span<const uint8_t>& src) {
    ++writes;
    if (write_error != 0 && written_ >= write_budget) {
      return {{write_error, {}}, 0};
    }
    if (write_error != 0) {
      src = src.first(std::min(src.size(), write_budget - written_));
    }
    if (max_write != 0) src = src.first(std::min(src.size(), max_write));
    return {};
  }

  FileIo& real_ = FileIo::Posix();
  size_t written_ = 0;
};

}  // namespace sftpd::testing

#endif  // SFTPD_SFTPD_VFS_FAKE_FILE_IO_H_
