// The one error type of the project, as values (C++20 has no
// std::expected): Result<T> is a value or an error message; Result<void>
// is success or an error message. Both must be looked at ([[nodiscard]]). Cheap
// to move; not thread-safe to share while being moved from.
#ifndef SFTPD_CONFIG_RESULT_H_
#define SFTPD_CONFIG_RESULT_H_

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sftpd {

struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::move(v)) {}              // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // REQUIRES: ok()
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // REQUIRES: !ok()
  const std::string& error() const { return std::get<1>(v_).message; }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;                                        // success
  Result(Error error) : error_(std::move(error.message)) {}  // NOLINT

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  // REQUIRES: !ok()
  const std::string& error() const { return *error_; }

 private:
  std::optional<std::string> error_;
};

}  // namespace sftpd

#endif  // SFTPD_CONFIG_RESULT_H_
