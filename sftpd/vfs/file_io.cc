// Exports, part five: I/O on the files a session holds open (READ, WRITE,
// copy-data, fsync, FSTAT), every system call made through the FileIo, and
// FileIo::Posix, the real calls. Retrying interrupted calls and continuing
// short writes happen here, once, so a fake FileIo can test them.
#include "sftpd/vfs/file_io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "sftpd/vfs/exports.h"
#include "sftpd/vfs/exports_internal.h"

namespace sftpd {

using exports_internal::Errno;
using exports_internal::LastErrno;

namespace {

class PosixFileIo final : public FileIo {
 public:
  FsResult<size_t> Pread(int fd, std::span<uint8_t> dst,
                         uint64_t offset) override {
    return Count(pread(fd, dst.data(), dst.size(), off_t(offset)));
  }
  FsResult<size_t> Pwrite(int fd, std::span<const uint8_t> src,
                          uint64_t offset) override {
    return Count(pwrite(fd, src.data(), src.size(), off_t(offset)));
  }
  FsResult<size_t> Append(int fd, std::span<const uint8_t> src) override {
    return Count(write(fd, src.data(), src.size()));
  }
  Outcome Fsync(int fd) override {
    return fsync(fd) == 0 ? Outcome{} : LastErrno();
  }
  FsResult<struct stat> Fstat(int fd) override {
    struct stat st;
    if (fstat(fd, &st) != 0) return {LastErrno(), {}};
    return {{}, st};
  }

 private:
  static FsResult<size_t> Count(ssize_t n) {
    if (n < 0) return {LastErrno(), 0};
    return {{}, size_t(n)};
  }
};

// Writes all of `data` (see Exports::WriteFile); `value` is how much got
// through, on failure too.
FsResult<size_t> WriteAll(FileIo& io, int fd, uint64_t offset, bool append,
                          std::span<const uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    std::span<const uint8_t> rest = data.subspan(done);
    FsResult<size_t> n =
        append ? io.Append(fd, rest) : io.Pwrite(fd, rest, offset + done);
    if (n.outcome.err == EINTR) continue;
    if (!n.ok()) return {n.outcome, done};
    // A write that makes no progress would loop forever; the kernel says
    // ENOSPC or EIO for a full or failing disk, so this is a broken one.
    if (n.value == 0) return {Errno(EIO), done};
    done += std::min(n.value, rest.size());
  }
  return {{}, done};
}

}  // namespace

FileIo& FileIo::Posix() {
  static PosixFileIo posix;
  return posix;
}

FsResult<size_t> Exports::ReadFile(int fd, uint64_t offset,
                                   std::span<uint8_t> dst) {
  for (;;) {
    FsResult<size_t> n = io_->Pread(fd, dst, offset);
    if (n.outcome.err != EINTR) return n;
  }
}

FsResult<size_t> Exports::WriteFile(int fd, uint64_t offset, bool append,
                                    std::string_view data) {
  return WriteAll(*io_, fd, offset, append,
                  {reinterpret_cast<const uint8_t*>(data.data()), data.size()});
}

FsResult<uint64_t> Exports::CopyFile(int from, uint64_t from_offset,
                                     uint64_t length, int to,
                                     uint64_t to_offset) {
  uint8_t buf[64 * 1024];
  uint64_t copied = 0;
  while (copied < length) {
    size_t want = size_t(std::min<uint64_t>(sizeof buf, length - copied));
    FsResult<size_t> n =
        ReadFile(from, from_offset + copied, std::span(buf, want));
    if (!n.ok()) return {n.outcome, copied};
    if (n.value == 0) break;  // the source ended early
    FsResult<size_t> put =
        WriteAll(*io_, to, to_offset + copied, false, std::span(buf, n.value));
    copied += put.value;
    if (!put.ok()) return {put.outcome, copied};
  }
  return {{}, copied};
}

Outcome Exports::SyncFile(int fd) { return io_->Fsync(fd); }

FsResult<struct stat> Exports::StatFd(int fd) const { return io_->Fstat(fd); }

}  // namespace sftpd
