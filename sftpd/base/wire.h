// Wire: bounds-checked reading and writing of SFTP's big-endian fields. All
// packet parsing goes through Reader and all replies through Writer. Reader
// views bytes it does not own; Writer appends to a buffer it does not own.
// Neither is thread-safe.
#ifndef SFTPD_SFTPD_BASE_WIRE_H_
#define SFTPD_SFTPD_BASE_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sftpd {

using Bytes = std::vector<uint8_t>;

// Reads fields from a byte span. A read past the end sets a sticky failure;
// from then on every read returns zero or empty, so a parser reads all its
// fields and checks ok() once. Each read may name its field ("path",
// "handle"; a string literal: it is kept as a view), so Why() can say what
// was wrong with a malformed input.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}

  uint8_t U8(std::string_view field = {});
  uint32_t U32(std::string_view field = {});
  uint64_t U64(std::string_view field = {});
  // A uint32 length and that many bytes, viewed in place.
  std::string_view String(std::string_view field = {});
  // A String() that must also be free of NUL bytes and no longer than `max`
  // (paths, names); otherwise the reader fails.
  std::string_view Text(size_t max, std::string_view field = {});

  // Marks the input malformed: a value the parser cannot accept, `why`
  // saying which ("unknown flag bits 0x00000010"). The first failure's
  // reason is kept.
  void Fail(std::string why);
  bool ok() const { return ok_; }
  // True when every byte was consumed and no read failed.
  bool Done() const { return ok_ && pos_ == data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }
  // Why the input is not Done(): "the packet ends inside the path", "the
  // path is longer than 4096 bytes", "the path holds a NUL byte", Fail()'s
  // reason, or "3 bytes left after the handle"; "" when it is Done().
  std::string Why() const;

 private:
  bool Take(size_t n, const uint8_t** out, std::string_view field);

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
  std::string_view field_;  // the field read last, or the one that failed
  std::string why_;         // the failure, when it was not a short input
};

// Appends fields to a buffer. Packets are framed with Begin/End, which fill
// in the length prefix.
class Writer {
 public:
  explicit Writer(Bytes& out) : out_(out) {}

  void U8(uint8_t v) { out_.push_back(v); }
  void U32(uint32_t v);
  void U64(uint64_t v);
  void String(std::string_view s);
  void String(std::span<const uint8_t> s);

  // Starts a packet of `type`; returns its start for End().
  size_t Begin(uint8_t type);
  void End(size_t start);

  // Makes room for up to `n` raw bytes and returns where to put them; Commit
  // keeps the first `used` of them. For READ replies, so data lands in the
  // output buffer without another copy.
  uint8_t* Reserve(size_t n);
  void Commit(size_t reserved, size_t used);

  Bytes& buffer() { return out_; }

 private:
  Bytes& out_;
};

// Reads a big-endian uint32 at p (REQUIRES: 4 readable bytes).
inline uint32_t LoadU32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 |
         uint32_t{p[3]};
}

}  // namespace sftpd

#endif  // SFTPD_SFTPD_BASE_WIRE_H_
