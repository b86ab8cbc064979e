#include "sftpd/engine/handles.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "sftpd/base/wire.h"

namespace sftpd {
namespace {

OpenHandle Named(std::string vpath) {
  OpenHandle h;
  h.kind = OpenHandle::Kind::kVirtualRoot;
  h.vpath = std::move(vpath);
  return h;
}

std::string Wire(uint32_t slot, uint32_t generation) {
  Bytes b;
  Writer w(b);
  w.U32(slot);
  w.U32(generation);
  return std::string(b.begin(), b.end());
}

uint32_t SlotOf(const std::string& wire) {
  return LoadU32(reinterpret_cast<const uint8_t*>(wire.data()));
}

bool FdOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

}  // namespace

TEST_CASE("handles: add, find and remove") {
  HandleTable t;
  CHECK(t.open() == 0);
  std::optional<std::string> a = t.Add(Named("/home/a"));
  std::optional<std::string> b = t.Add(Named("/home/b"));
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a != *b);
  CHECK(a->size() == HandleTable::kHandleBytes);
  CHECK(a->size() == 8);
  CHECK(t.open() == 2);

  OpenHandle* fa = t.Find(*a);
  REQUIRE(fa != nullptr);
  CHECK(fa->vpath == "/home/a");
  REQUIRE(t.Find(*b) != nullptr);
  CHECK(t.Find(*b)->vpath == "/home/b");
  // Find hands out the stored handle, not a copy.
  fa->bytes_read = 42;
  CHECK(t.Find(*a)->bytes_read == 42);

  std::optional<OpenHandle> removed = t.Remove(*a);
  REQUIRE(removed);
  CHECK(removed->vpath == "/home/a");
  CHECK(removed->bytes_read == 42);
  CHECK(t.open() == 1);
  CHECK(t.Find(*a) == nullptr);
  CHECK_FALSE(t.Remove(*a));  // twice is not allowed
  CHECK(t.open() == 1);
  CHECK(t.Find(*b) != nullptr);
}

TEST_CASE("handles: a removed handle stays stale after its slot is reused") {
  HandleTable t;
  std::optional<std::string> old = t.Add(Named("/home/old"));
  REQUIRE(old);
  REQUIRE(t.Remove(*old));
  std::optional<std::string> fresh = t.Add(Named("/home/new"));
  REQUIRE(fresh);
  // The same slot (the table's only free one at the front) ...
  CHECK(SlotOf(*fresh) == SlotOf(*old));
  // ... but another generation, so the old wire string reaches nothing.
  CHECK(*fresh != *old);
  CHECK(t.Find(*old) == nullptr);
  CHECK_FALSE(t.Remove(*old));
  REQUIRE(t.Find(*fresh) != nullptr);
  CHECK(t.Find(*fresh)->vpath == "/home/new");

  // Many more rounds through the same slot: no earlier handle ever comes back.
  std::vector<std::string> seen = {*old, *fresh};
  REQUIRE(t.Remove(*fresh));
  for (int i = 0; i < 50; ++i) {
    std::optional<std::string> h = t.Add(Named("/home/r"));
    REQUIRE(h);
    CHECK(SlotOf(*h) == SlotOf(*old));
    for (const std::string& s : seen) CHECK(t.Find(s) == nullptr);
    seen.push_back(*h);
    REQUIRE(t.Remove(*h));
  }
  CHECK(t.open() == 0);
}

TEST_CASE("handles: a full table refuses more") {
  HandleTable t;
  std::vector<std::string> all;
  for (size_t i = 0; i < kMaxHandles; ++i) {
    std::optional<std::string> h = t.Add(Named("/h/" + std::to_string(i)));
    REQUIRE(h);
    all.push_back(*h);
  }
  CHECK(t.open() == kMaxHandles);
  CHECK_FALSE(t.Add(Named("/h/one-too-many")));
  CHECK(t.open() == kMaxHandles);
  // Every handle still finds its own entry.
  for (size_t i = 0; i < all.size(); ++i) {
    REQUIRE(t.Find(all[i]) != nullptr);
    CHECK(t.Find(all[i])->vpath == "/h/" + std::to_string(i));
  }
  // Freeing one makes room for exactly one.
  REQUIRE(t.Remove(all[100]));
  std::optional<std::string> again = t.Add(Named("/h/again"));
  REQUIRE(again);
  CHECK(SlotOf(*again) == 100);
  CHECK_FALSE(t.Add(Named("/h/still-full")));
}

TEST_CASE("handles: malformed wire handles find nothing") {
  HandleTable t;
  std::optional<std::string> h = t.Add(Named("/home/a"));
  REQUIRE(h);
  CHECK(t.Find(h->substr(0, 7)) == nullptr);
  CHECK(t.Find(*h + "x") == nullptr);
  CHECK(t.Find("") == nullptr);
  CHECK(t.Find(Wire(uint32_t(kMaxHandles), 0)) == nullptr);
  CHECK(t.Find(Wire(0xFFFFFFFF, 0)) == nullptr);
  CHECK(t.Find(Wire(SlotOf(*h), 1)) == nullptr);      // a future generation
  CHECK(t.Find(Wire(SlotOf(*h) + 1, 0)) == nullptr);  // an unused slot
  CHECK_FALSE(t.Remove(h->substr(0, 7)));
  CHECK_FALSE(t.Remove(Wire(uint32_t(kMaxHandles), 0)));
  CHECK(t.open() == 1);
  CHECK(t.Find(*h) != nullptr);
}

TEST_CASE("handles: CloseAll visits each open handle once and frees it") {
  HandleTable t;
  std::vector<std::string> wires;
  for (int i = 0; i < 5; ++i) {
    std::optional<std::string> h = t.Add(Named("/h/" + std::to_string(i)));
    REQUIRE(h);
    wires.push_back(*h);
  }
  REQUIRE(t.Remove(wires[2]));  // a hole: not visited
  std::map<std::string, int> visits;
  t.CloseAll([&](OpenHandle& h) { ++visits[h.vpath]; });
  CHECK(visits.size() == 4);
  for (const auto& [name, n] : visits) {
    INFO(name);
    CHECK(n == 1);
  }
  CHECK(visits.count("/h/2") == 0);
  CHECK(t.open() == 0);
  for (const std::string& w : wires) CHECK(t.Find(w) == nullptr);

  int again = 0;
  t.CloseAll([&](OpenHandle&) { ++again; });
  CHECK(again == 0);
}

TEST_CASE("handles: the table owns its file descriptors") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  int rd = p[0], wr = p[1];
  {
    HandleTable t;
    OpenHandle a;
    a.kind = OpenHandle::Kind::kFile;
    a.file = Fd(rd);
    OpenHandle b;
    b.kind = OpenHandle::Kind::kFile;
    b.file = Fd(wr);
    std::optional<std::string> ha = t.Add(std::move(a));
    std::optional<std::string> hb = t.Add(std::move(b));
    REQUIRE(ha);
    REQUIRE(hb);
    REQUIRE(t.Find(*ha) != nullptr);
    CHECK(t.Find(*ha)->fd() == rd);
    CHECK(FdOpen(rd));
    {
      std::optional<OpenHandle> out = t.Remove(*ha);
      REQUIRE(out);
      CHECK(FdOpen(rd));  // ownership moved to the caller
    }
    CHECK_FALSE(FdOpen(rd));
    CHECK(FdOpen(wr));
    t.CloseAll([](OpenHandle&) {});
    CHECK_FALSE(FdOpen(wr));
  }
}

TEST_CASE("handles: the virtual root has no fd") {
  OpenHandle h = Named("/");
  CHECK(h.fd() == -1);
}

}  // namespace sftpd
