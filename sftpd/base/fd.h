// Fd: the one owner of a file descriptor (closes it once). Move-only; not
// thread-safe.
#ifndef SFTPD_SFTPD_BASE_FD_H_
#define SFTPD_SFTPD_BASE_FD_H_

#include <unistd.h>

#include <utility>

namespace sftpd {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_BASE_FD_H_
