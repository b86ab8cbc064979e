// FileIo: the system calls on a client's open file (pread, pwrite, write,
// fsync, fstat) behind one interface, so that tests can put faults in them
// (fake_file_io.h) and see what the engine answers. Exports makes every such
// call through one (file_io.cc); the engine makes none. Posix() is stateless
// and thread-safe; a fake need not be.
#ifndef SFTPD_SFTPD_VFS_FILE_IO_H_
#define SFTPD_SFTPD_VFS_FILE_IO_H_

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "sftpd/vfs/outcome.h"

namespace sftpd {

class FileIo {
 public:
  virtual ~FileIo() = default;

  // One call each, as the syscall of the same name: a count (which may be
  // short) or its errno, EINTR included; callers retry and continue.
  // REQUIRES: offset <= INT64_MAX.
  virtual FsResult<size_t> Pread(int fd, std::span<uint8_t> dst,
                                 uint64_t offset) = 0;
  virtual FsResult<size_t> Pwrite(int fd, std::span<const uint8_t> src,
                                  uint64_t offset) = 0;
  // write(2) on an O_APPEND fd: the kernel puts the bytes at the end.
  virtual FsResult<size_t> Append(int fd, std::span<const uint8_t> src) = 0;
  virtual Outcome Fsync(int fd) = 0;
  virtual FsResult<struct stat> Fstat(int fd) = 0;

  // The real system calls.
  static FileIo& Posix();
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_VFS_FILE_IO_H_
