#include "sftpd/base/wire.h"

#include <catch2/catch.hpp>
#include <string>

namespace sftpd {
namespace {

Bytes Of(std::initializer_list<uint8_t> b) { return Bytes(b); }

Bytes Of(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace

TEST_CASE("wire: reader over an exact buffer consumes everything") {
  Bytes b =
      Of({0x07, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x02, 'h', 'i'});
  Reader r(b);
  CHECK(r.U8() == 0x07);
  CHECK(r.U32() == 0x01020304u);
  CHECK_FALSE(r.Done());  // bytes left
  CHECK(r.String() == "hi");
  CHECK(r.ok());
  CHECK(r.remaining() == 0);
  CHECK(r.Done());
}

TEST_CASE("wire: U64 is big-endian") {
  Bytes b = Of({0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08});
  Reader r(b);
  CHECK(r.U64() == 0x0102030405060708ull);
  CHECK(r.Done());

  Bytes high = Of({0xFF, 0, 0, 0, 0, 0, 0, 0x01});
  Reader r2(high);
  CHECK(r2.U64() == 0xFF00000000000001ull);
}

TEST_CASE("wire: a short read fails and the failure is sticky") {
  Bytes b = Of({0x00, 0x00, 0x01});  // 3 bytes: not a U32
  Reader r(b);
  CHECK(r.U32() == 0);
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.Done());
  // Every later read returns zero or empty, even ones that would fit.
  CHECK(r.U8() == 0);
  CHECK(r.U64() == 0);
  CHECK(r.String().empty());
  CHECK(r.Text(100).empty());
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.Done());
  // The failed read consumed nothing.
  CHECK(r.remaining() == 3);
}

TEST_CASE("wire: an empty buffer is Done until something is read") {
  Bytes b;
  Reader r(b);
  CHECK(r.ok());
  CHECK(r.Done());
  CHECK(r.remaining() == 0);
  CHECK(r.U8() == 0);
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.Done());
}

TEST_CASE("wire: Done is false while bytes remain, and after Fail") {
  Bytes b = Of({1, 2});
  Reader r(b);
  CHECK(r.U8() == 1);
  CHECK(r.ok());
  CHECK_FALSE(r.Done());
  CHECK(r.U8() == 2);
  CHECK(r.Done());
  r.Fail("a value out of range");
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.Done());
  CHECK(r.Why() == "a value out of range");
}

TEST_CASE("wire: Why says which field the input ended inside, or after") {
  Bytes b = Of({0, 0, 0, 2, 'h', 'i', 0, 0, 0, 9, 'x'});
  SECTION("bytes left after the last field read") {
    Reader r(b);
    CHECK(r.Why() == "11 bytes left after nothing");
    r.String("handle");
    CHECK(r.Why() == "5 bytes left after the handle");
    r.U32("count");
    CHECK(r.Why() == "1 byte left after the count");
    r.U8();
    CHECK(r.Done());
    CHECK(r.Why().empty());
  }
  SECTION("the field a short input ends inside") {
    Reader r(b);
    r.String("handle");
    r.String("path");
    CHECK(r.Why() == "the packet ends inside the path");
    r.U64("offset");  // after a failure: the first one is kept
    CHECK(r.Why() == "the packet ends inside the path");
    Reader unnamed(b);
    unnamed.U64();
    unnamed.U64();
    CHECK(unnamed.Why() == "the packet ends inside a field");
  }
  SECTION("a value Text refuses, and the first failure is kept") {
    Reader r(b);
    r.Text(1, "name");
    CHECK(r.Why() == "the name is longer than 1 bytes");
    r.Fail("later");
    CHECK(r.Why() == "the name is longer than 1 bytes");
    Bytes nul = Of({0, 0, 0, 2, 'a', 0});
    Reader n(nul);
    n.Text(10, "path");
    CHECK(n.Why() == "the path holds a NUL byte");
  }
}

TEST_CASE("wire: a string longer than the buffer fails") {
  SECTION("one byte short") {
    Bytes b = Of({0, 0, 0, 5, 'a', 'b', 'c', 'd'});
    Reader r(b);
    CHECK(r.String().empty());
    CHECK_FALSE(r.ok());
    CHECK(r.U8() == 0);  // 'a' is still there but the reader has failed
  }
  SECTION("length 0xFFFFFFFF") {
    Bytes b = Of({0xFF, 0xFF, 0xFF, 0xFF, 'x'});
    Reader r(b);
    CHECK(r.String().empty());
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.Done());
  }
  SECTION("length field itself truncated") {
    Bytes b = Of({0, 0});
    Reader r(b);
    CHECK(r.String().empty());
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("wire: an empty string is a valid string") {
  Bytes b = Of({0, 0, 0, 0});
  Reader r(b);
  CHECK(r.String().empty());
  CHECK(r.ok());
  CHECK(r.Done());
}

TEST_CASE("wire: Text rejects NUL bytes and over-long values") {
  SECTION("plain text within the limit") {
    Bytes b = Of({0, 0, 0, 3, 'a', 'b', 'c'});
    Reader r(b);
    CHECK(r.Text(3) == "abc");
    CHECK(r.Done());
  }
  SECTION("NUL inside") {
    Bytes b = Of({0, 0, 0, 3, 'a', 0, 'c'});
    Reader r(b);
    CHECK(r.Text(100).empty());
    CHECK_FALSE(r.ok());
  }
  SECTION("NUL at the end") {
    Bytes b = Of({0, 0, 0, 2, 'a', 0});
    Reader r(b);
    CHECK(r.Text(100).empty());
    CHECK_FALSE(r.ok());
  }
  SECTION("one byte over the limit") {
    Bytes b = Of({0, 0, 0, 4, 'a', 'b', 'c', 'd'});
    Reader r(b);
    CHECK(r.Text(3).empty());
    CHECK_FALSE(r.ok());
    CHECK(r.U8() == 0);
  }
  SECTION("String accepts what Text refuses") {
    Bytes b = Of({0, 0, 0, 3, 'a', 0, 'c'});
    Reader r(b);
    CHECK(r.String() == std::string_view("a\0c", 3));
    CHECK(r.Done());
  }
}

TEST_CASE("wire: writer output reads back") {
  Bytes out;
  Writer w(out);
  w.U8(0xAB);
  w.U32(0xDEADBEEF);
  w.U64(0x0123456789ABCDEFull);
  w.String(std::string_view("path/with/bytes"));
  const uint8_t raw[] = {0, 1, 2, 0xFF};
  w.String(std::span<const uint8_t>(raw));
  w.String(std::string_view());

  CHECK(out.size() == 1 + 4 + 8 + (4 + 15) + (4 + 4) + 4);
  // The encoding itself, not only the round trip.
  CHECK(out[1] == 0xDE);
  CHECK(out[4] == 0xEF);
  CHECK(out[5] == 0x01);
  CHECK(out[12] == 0xEF);

  Reader r(out);
  CHECK(r.U8() == 0xAB);
  CHECK(r.U32() == 0xDEADBEEF);
  CHECK(r.U64() == 0x0123456789ABCDEFull);
  CHECK(r.Text(100) == "path/with/bytes");
  CHECK(r.String() == std::string_view("\0\1\2\xFF", 4));
  CHECK(r.String().empty());
  CHECK(r.Done());
}

TEST_CASE("wire: Begin and End fill in the packet length") {
  Bytes out = Of("prefix");  // packets append after what is there
  Writer w(out);
  size_t start = w.Begin(101);
  CHECK(start == 6);
  w.U32(7);
  w.String(std::string_view("ok"));
  w.End(start);

  Reader r(std::span<const uint8_t>(out).subspan(start));
  uint32_t len = r.U32();
  CHECK(len == 1 + 4 + 4 + 2);
  CHECK(len == r.remaining());
  CHECK(r.U8() == 101);
  CHECK(r.U32() == 7);
  CHECK(r.String() == "ok");
  CHECK(r.Done());
  CHECK(std::string(out.begin(), out.begin() + 6) == "prefix");

  SECTION("two packets back to back") {
    size_t second = w.Begin(102);
    w.End(second);
    Reader r2(std::span<const uint8_t>(out).subspan(second));
    CHECK(r2.U32() == 1);
    CHECK(r2.U8() == 102);
    CHECK(r2.Done());
  }
}

TEST_CASE("wire: Reserve and Commit keep only the used bytes") {
  Bytes out;
  Writer w(out);
  size_t start = w.Begin(103);
  w.U32(4);  // a data length the caller patches later
  uint8_t* p = w.Reserve(16);
  CHECK(out.size() == 4 + 1 + 4 + 16);
  p[0] = 'a';
  p[1] = 'b';
  p[2] = 'c';
  w.Commit(16, 3);
  CHECK(out.size() == 4 + 1 + 4 + 3);
  w.End(start);

  Reader r(out);
  CHECK(r.U32() == 1 + 4 + 3);
  CHECK(r.U8() == 103);
  CHECK(r.U32() == 4);
  CHECK(r.U8() == 'a');
  CHECK(r.U8() == 'b');
  CHECK(r.U8() == 'c');
  CHECK(r.Done());

  SECTION("committing all of it and none of it") {
    Bytes o2;
    Writer w2(o2);
    w2.Reserve(5);
    w2.Commit(5, 5);
    CHECK(o2.size() == 5);
    w2.Reserve(8);
    w2.Commit(8, 0);
    CHECK(o2.size() == 5);
  }
}

TEST_CASE("wire: LoadU32 reads big-endian") {
  const uint8_t b[] = {0x80, 0x00, 0x00, 0x01};
  CHECK(LoadU32(b) == 0x80000001u);
}

}  // namespace sftpd
