#include "sftpd/base/wire.h"

#include <cstring>
#include <string>
#include <utility>

namespace sftpd {

namespace {

// "the path", or "a field" for a read that did not name its field.
std::string The(std::string_view field) {
  return field.empty() ? std::string("a field") : "the " + std::string(field);
}

}  // namespace

bool Reader::Take(size_t n, const uint8_t** out, std::string_view field) {
  if (!ok_) return false;
  field_ = field;
  if (n > data_.size() - pos_) {
    ok_ = false;
    return false;
  }
  *out = data_.data() + pos_;
  pos_ += n;
  return true;
}

uint8_t Reader::U8(std::string_view field) {
  const uint8_t* p;
  return Take(1, &p, field) ? p[0] : 0;
}

uint32_t Reader::U32(std::string_view field) {
  const uint8_t* p;
  return Take(4, &p, field) ? LoadU32(p) : 0;
}

uint64_t Reader::U64(std::string_view field) {
  const uint8_t* p;
  if (!Take(8, &p, field)) return 0;
  return uint64_t{LoadU32(p)} << 32 | LoadU32(p + 4);
}

std::string_view Reader::String(std::string_view field) {
  uint32_t n = U32(field);
  const uint8_t* p;
  if (!Take(n, &p, field)) return {};
  return {reinterpret_cast<const char*>(p), n};
}

std::string_view Reader::Text(size_t max, std::string_view field) {
  std::string_view s = String(field);
  if (s.size() > max) {
    Fail(The(field) + " is longer than " + std::to_string(max) + " bytes");
    return {};
  }
  if (s.find('\0') != std::string_view::npos) {
    Fail(The(field) + " holds a NUL byte");
    return {};
  }
  return s;
}

void Reader::Fail(std::string why) {
  if (!ok_) return;
  ok_ = false;
  why_ = std::move(why);
}

std::string Reader::Why() const {
  if (!ok_) {
    return why_.empty() ? "the packet ends inside " + The(field_) : why_;
  }
  const size_t left = data_.size() - pos_;
  if (left == 0) return {};
  return std::to_string(left) + (left == 1 ? " byte" : " bytes") +
         " left after " + (pos_ == 0 ? std::string("nothing") : The(field_));
}

void Writer::U32(uint32_t v) {
  uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8),
                  uint8_t(v)};
  out_.insert(out_.end(), b, b + 4);
}

void Writer::U64(uint64_t v) {
  U32(uint32_t(v >> 32));
  U32(uint32_t(v));
}

void Writer::String(std::string_view s) {
  U32(uint32_t(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
}

void Writer::String(std::span<const uint8_t> s) {
  U32(uint32_t(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
}

size_t Writer::Begin(uint8_t type) {
  size_t start = out_.size();
  U32(0);
  U8(type);
  return start;
}

void Writer::End(size_t start) {
  uint32_t n = uint32_t(out_.size() - start - 4);
  uint8_t b[4] = {uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8),
                  uint8_t(n)};
  std::memcpy(out_.data() + start, b, 4);
}

uint8_t* Writer::Reserve(size_t n) {
  size_t at = out_.size();
  out_.resize(at + n);
  return out_.data() + at;
}

void Writer::Commit(size_t reserved, size_t used) {
  out_.resize(out_.size() - (reserved - used));
}

}  // namespace sftpd
