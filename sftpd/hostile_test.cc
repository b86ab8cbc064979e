// Hostile input against the SFTP engine: a table of malformed, oversized and
// escaping requests, each sent to a fresh session, with the answer it must
// get (or the framing error that must end the session); then random packets
// with valid framing. Whatever comes in, every request gets exactly one
// reply with its id, the session stays usable, and nothing outside the
// exports is touched.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "sftpd/session_testing.h"

namespace sftpd {
namespace {

using testing::Harness;
using testing::Packet;
using testing::Reply;

constexpr uint64_t kInt64Max = uint64_t(INT64_MAX);
constexpr uint64_t kU64Max = ~uint64_t{0};

// What a row must produce.
struct Expect {
  bool framing_error = false;  // Process() must fail; no reply is checked
  uint8_t type = fxp::kStatus;
  StatusCode code = StatusCode::kOk;
  std::optional<uint32_t> id;  // unset: the id of the last built request
};

Expect Status(StatusCode c) { return {false, fxp::kStatus, c, std::nullopt}; }
Expect StatusWithId(StatusCode c, uint32_t id) {
  return {false, fxp::kStatus, c, id};
}
Expect Type(uint8_t t) { return {false, t, StatusCode::kOk, std::nullopt}; }
Expect Framing() { return {true, 0, StatusCode::kOk, std::nullopt}; }

struct Row {
  std::string name;
  std::function<Bytes(Harness&)> build;
  Expect expect;
};

void Raw(Writer& w, std::string_view bytes) {
  w.buffer().insert(w.buffer().end(), bytes.begin(), bytes.end());
}

Bytes Concat(std::initializer_list<std::string_view> parts) {
  Bytes b;
  for (std::string_view p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}

std::string U32Bytes(uint32_t v) {
  Bytes b;
  Writer(b).U32(v);
  return std::string(b.begin(), b.end());
}

// A wire handle {slot, generation} made up by the client.
std::string FakeHandle(uint32_t slot, uint32_t generation) {
  return U32Bytes(slot) + U32Bytes(generation);
}

// `packet` with its body cut by `cut` bytes (or grown by trailing bytes when
// `extra` is non-empty), re-framed.
Bytes Reframe(const Bytes& packet, size_t cut, std::string_view extra = {}) {
  Bytes b(packet.begin(), packet.end() - std::ptrdiff_t(cut));
  b.insert(b.end(), extra.begin(), extra.end());
  uint32_t len = uint32_t(b.size() - 4);
  b[0] = uint8_t(len >> 24), b[1] = uint8_t(len >> 16);
  b[2] = uint8_t(len >> 8), b[3] = uint8_t(len);
  return b;
}

// A well-formed request of the table row `name`, on a made-up handle.
Bytes ValidRequest(Harness& h, std::string_view name) {
  const std::string hd = FakeHandle(0, 0);
  if (name == "open") return h.Open("/home/f", fxp::kOpenRead);
  if (name == "close") return h.Close(hd);
  if (name == "read") return h.Read(hd, 0, 10);
  if (name == "write") return h.Write(hd, 0, "data");
  if (name == "lstat") return h.Lstat("/home");
  if (name == "fstat") return h.Fstat(hd);
  if (name == "setstat") return h.Setstat("/home/f", {});
  if (name == "fsetstat") return h.Fsetstat(hd, {});
  if (name == "opendir") return h.Opendir("/home");
  if (name == "readdir") return h.Readdir(hd);
  if (name == "remove") return h.Remove("/home/f");
  if (name == "mkdir") return h.Mkdir("/home/d");
  if (name == "rmdir") return h.Rmdir("/home/d");
  if (name == "realpath") return h.Realpath(".");
  if (name == "stat") return h.Stat("/home");
  if (name == "rename") return h.Rename("/home/a", "/home/b");
  if (name == "readlink") return h.Readlink("/home/l");
  if (name == "symlink") return h.Symlink("a", "/home/l");
  if (name == "posix-rename@openssh.com") {
    return h.PosixRename("/home/a", "/home/b");
  }
  if (name == "statvfs@openssh.com") return h.Statvfs("/home");
  if (name == "fstatvfs@openssh.com") return h.Fstatvfs(hd);
  if (name == "hardlink@openssh.com") return h.Hardlink("/home/a", "/home/b");
  if (name == "fsync@openssh.com") return h.Fsync(hd);
  if (name == "lsetstat@openssh.com") return h.Lsetstat("/home/f", {});
  if (name == "limits@openssh.com") return h.Limits();
  if (name == "expand-path@openssh.com") return h.ExpandPath("~");
  if (name == "copy-data") return h.CopyData(hd, 0, 0, hd, 0);
  if (name == "home-directory") return h.HomeDirectory("");
  if (name == "users-groups-by-id@openssh.com") {
    return h.UsersGroupsById({0}, {0});
  }
  FAIL("no valid request for " << name);
  return {};
}

// The bytes before a request's body: length, type, id and, for an extension,
// its name.
size_t HeaderBytes(std::string_view name, bool extended) {
  return 4 + 1 + 4 + (extended ? 4 + name.size() : 0);
}

std::vector<Row> HandWrittenRows() {
  using C = StatusCode;
  std::vector<Row> rows;
  auto add = [&](std::string name, std::function<Bytes(Harness&)> build,
                 Expect e) {
    rows.push_back({std::move(name), std::move(build), e});
  };
  auto path_req = [](uint8_t type, std::string path) {
    return [type, path](Harness& h) {
      return h.Build(type, [&](Writer& w) { w.String(path); });
    };
  };
  const std::string huge_slot = FakeHandle(0xFFFFFFFF, 0);

  // --- framing ---------------------------------------------------------
  add(
      "framing: length 0", [](Harness&) { return Concat({U32Bytes(0)}); },
      Framing());
  add(
      "framing: length kMaxPacket + 1",
      [](Harness&) {
        return Concat({U32Bytes(kMaxPacket + 1), "\x03"});
      },
      Framing());
  add(
      "framing: length 0xFFFFFFFF",
      [](Harness&) {
        return Concat({U32Bytes(0xFFFFFFFF), "\x01"});
      },
      Framing());
  add(
      "framing: length 0 after a good packet",
      [](Harness& h) {
        Bytes b = h.Realpath(".");
        Bytes z = Concat({U32Bytes(0)});
        b.insert(b.end(), z.begin(), z.end());
        return b;
      },
      Framing());
  add(
      "length 1: a type and no id",
      [](Harness&) {
        return Concat({U32Bytes(1), "\x11"});
      },
      StatusWithId(C::kBadMessage, 0));
  add(
      "truncated id",
      [](Harness&) {
        return Concat({U32Bytes(3), std::string("\x11\x00\x07", 3)});
      },
      StatusWithId(C::kBadMessage, 0));
  add(
      "a packet of exactly kMaxPacket bytes",
      [](Harness& h) {
        // WRITE to a handle that does not exist: framing is fine.
        std::string data(kMaxPacket - (1 + 4 + 4 + 8 + 8 + 4), 'w');
        return h.Write(FakeHandle(1, 0), 0, data);
      },
      Status(C::kFailure));

  // --- types and extension names ---------------------------------------
  for (uint8_t t : {uint8_t{99}, uint8_t{0}, uint8_t{255}, fxp::kVersionReply,
                    fxp::kStatus, fxp::kExtendedReply, uint8_t{21}}) {
    add(
        "unknown type " + std::to_string(t),
        [t](Harness& h) { return h.Build(t, [](Writer& w) { w.U32(1); }); },
        Status(C::kOpUnsupported));
  }
  add(
      "unknown extension name",
      [](Harness& h) { return h.Ext("nosuch@example.com", [](Writer&) {}); },
      Status(C::kOpUnsupported));
  add(
      "empty extension name",
      [](Harness& h) { return h.Ext("", [](Writer&) {}); },
      Status(C::kOpUnsupported));
  add(
      "extension name of 300 bytes",
      [](Harness& h) { return h.Ext(std::string(300, 'x'), [](Writer&) {}); },
      Status(C::kBadMessage));
  add(
      "extension name with a NUL",
      [](Harness& h) {
        return h.Ext(std::string("limits@openssh.com\0x", 20), [](Writer&) {});
      },
      Status(C::kBadMessage));
  add(
      "extension name length beyond the packet",
      [](Harness& h) {
        return h.Build(fxp::kExtended, [](Writer& w) {
          w.U32(50);
          Raw(w, "limits");
        });
      },
      Status(C::kBadMessage));

  // --- strings and paths -----------------------------------------------
  add(
      "string length larger than the packet",
      [](Harness& h) {
        return h.Build(fxp::kStat, [](Writer& w) {
          w.U32(1000);
          Raw(w, "abc");
        });
      },
      Status(C::kBadMessage));
  add(
      "string length 0xFFFFFFFF",
      [](Harness& h) {
        return h.Build(fxp::kStat, [](Writer& w) {
          w.U32(0xFFFFFFFF);
          Raw(w, "/home");
        });
      },
      Status(C::kBadMessage));
  add(
      "handle length 0xFFFFFFFF",
      [](Harness& h) {
        return h.Build(fxp::kClose, [](Writer& w) { w.U32(0xFFFFFFFF); });
      },
      Status(C::kBadMessage));
  add("STAT path with a NUL",
      path_req(fxp::kStat, std::string("/home\0/../ro", 12)),
      Status(C::kBadMessage));
  add(
      "OPEN path with a NUL",
      [](Harness& h) {
        return h.Open(std::string("/home/a\0b", 9),
                      fxp::kOpenWrite | fxp::kOpenCreate);
      },
      Status(C::kBadMessage));
  add("path longer than kMaxPathLength",
      path_req(fxp::kStat, "/home/" + std::string(kMaxPathLength, 'a')),
      Status(C::kBadMessage));
  {
    std::string p = "/home/x";
    while (p.size() + 2 <= kMaxPathLength) p += "/.";
    p.resize(kMaxPathLength, '/');
    add("path of exactly kMaxPathLength", path_req(fxp::kStat, p),
        Status(C::kNoSuchFile));
  }
  add("../../../../etc/passwd", path_req(fxp::kStat, "../../../../etc/passwd"),
      Status(C::kNoSuchFile));
  add(
      "OPEN /home/../../etc/passwd",
      [](Harness& h) {
        return h.Open("/home/../../etc/passwd", fxp::kOpenRead);
      },
      Status(C::kNoSuchFile));
  add("/etc/passwd", path_req(fxp::kStat, "/etc/passwd"),
      Status(C::kNoSuchFile));
  add(
      "OPEN /../outside/canary",
      [](Harness& h) { return h.Open("/../outside/canary", fxp::kOpenRead); },
      Status(C::kNoSuchFile));
  add("OPENDIR /home/../outside", path_req(fxp::kOpendir, "/home/../outside"),
      Status(C::kNoSuchFile));
  add(
      "OPEN through a relative symlink out of the export",
      [](Harness& h) {
        REQUIRE(symlink("../outside/canary", h.Real("home", "esc").c_str()) ==
                0);
        return h.Open("/home/esc", fxp::kOpenRead);
      },
      Status(C::kPermissionDenied));
  add(
      "STAT through an absolute symlink out of the export",
      [](Harness& h) {
        REQUIRE(symlink(h.Real("outside", "canary").c_str(),
                        h.Real("home", "abs").c_str()) == 0);
        return h.Stat("/home/abs");
      },
      Status(C::kPermissionDenied));
  add(
      "OPEN for write through a directory symlink to ..",
      [](Harness& h) {
        REQUIRE(symlink("..", h.Real("home", "up").c_str()) == 0);
        return h.Open("/home/up/outside/canary",
                      fxp::kOpenWrite | fxp::kOpenTruncate);
      },
      Status(C::kPermissionDenied));
  add(
      "STAT through a symlink to /",
      [](Harness& h) {
        REQUIRE(symlink("/", h.Real("home", "slash").c_str()) == 0);
        return h.Stat("/home/slash/etc/passwd");
      },
      Status(C::kPermissionDenied));
  add(
      "client-made SYMLINK to /etc/passwd, then OPEN",
      [](Harness& h) {
        REQUIRE(
            h.Call(h.Symlink("/etc/passwd", "/home/pw")).Is(StatusCode::kOk));
        return h.Open("/home/pw", fxp::kOpenRead);
      },
      Status(C::kPermissionDenied));
  add(
      "hardlink of a file outside by path",
      [](Harness& h) {
        return h.Hardlink("/home/../../outside/canary", "/home/mine");
      },
      Status(C::kNoSuchFile));
  add(
      "hardlink through a directory symlink out of the export",
      [](Harness& h) {
        REQUIRE(symlink("..", h.Real("home", "up").c_str()) == 0);
        return h.Hardlink("/home/up/outside/canary", "/home/mine");
      },
      Status(C::kPermissionDenied));
  add(
      "non-UTF-8 path bytes are a plain name",
      [](Harness& h) {
        return h.Open("/home/\xff\xfe\x80", fxp::kOpenWrite | fxp::kOpenCreate);
      },
      Type(fxp::kHandle));

  auto up_link = [](Harness& h) {
    REQUIRE(symlink("..", h.Real("home", "up").c_str()) == 0);
  };
  add(
      "OPEN CREAT through a directory symlink to ..",
      [up_link](Harness& h) {
        up_link(h);
        return h.Open("/home/up/outside/new",
                      fxp::kOpenWrite | fxp::kOpenCreate);
      },
      Status(C::kPermissionDenied));
  add(
      "MKDIR through a directory symlink to ..",
      [up_link](Harness& h) {
        up_link(h);
        return h.Mkdir("/home/up/outside/newdir");
      },
      Status(C::kPermissionDenied));
  add(
      "RENAME into a directory symlink to ..",
      [up_link](Harness& h) {
        up_link(h);
        testing::WriteFile(h.Real("home", "f"), "f");
        return h.Rename("/home/f", "/home/up/outside/moved");
      },
      Status(C::kPermissionDenied));
  add(
      "posix-rename over the canary through a directory symlink",
      [up_link](Harness& h) {
        up_link(h);
        testing::WriteFile(h.Real("home", "f"), "f");
        return h.PosixRename("/home/f", "/home/up/outside/canary");
      },
      Status(C::kPermissionDenied));
  add(
      "REMOVE the canary through a directory symlink",
      [up_link](Harness& h) {
        up_link(h);
        return h.Remove("/home/up/outside/canary");
      },
      Status(C::kPermissionDenied));
  add(
      "SYMLINK created through a directory symlink to ..",
      [up_link](Harness& h) {
        up_link(h);
        return h.Symlink("/etc/passwd", "/home/up/outside/evil");
      },
      Status(C::kPermissionDenied));
  add(
      "SETSTAT the canary through an absolute symlink",
      [](Harness& h) {
        REQUIRE(symlink(h.Real("outside").c_str(),
                        h.Real("home", "absdir").c_str()) == 0);
        return h.Setstat("/home/absdir/canary", testing::PermAttrs(0777));
      },
      Status(C::kPermissionDenied));

  add(
      "lsetstat size 0 on a symlink out of the export",
      [](Harness& h) {
        REQUIRE(symlink("../outside/canary", h.Real("home", "esc").c_str()) ==
                0);
        Attrs a;
        a.flags = Attrs::kSize;
        a.size = 0;
        return h.Lsetstat("/home/esc", a);
      },
      Status(C::kFailure));
  add(
      "lsetstat size 0 on an absolute symlink out of the export",
      [](Harness& h) {
        REQUIRE(symlink(h.Real("outside", "canary").c_str(),
                        h.Real("home", "abs").c_str()) == 0);
        Attrs a;
        a.flags = Attrs::kSize;
        a.size = 0;
        return h.Lsetstat("/home/abs", a);
      },
      Status(C::kFailure));

  // --- handles ---------------------------------------------------------
  add(
      "READ on a 7-byte handle",
      [](Harness& h) { return h.Read("1234567", 0, 10); }, Status(C::kFailure));
  add(
      "FSTAT on a 9-byte handle",
      [](Harness& h) { return h.Fstat(FakeHandle(0, 0) + "x"); },
      Status(C::kFailure));
  add(
      "CLOSE an empty handle", [](Harness& h) { return h.Close(""); },
      Status(C::kFailure));
  add(
      "READ on a handle with a huge slot",
      [huge_slot](Harness& h) { return h.Read(huge_slot, 0, 10); },
      Status(C::kFailure));
  add(
      "WRITE on slot kMaxHandles",
      [](Harness& h) {
        return h.Write(FakeHandle(uint32_t(kMaxHandles), 0), 0, "x");
      },
      Status(C::kFailure));
  add(
      "READ on a closed handle (stale generation)",
      [](Harness& h) {
        testing::WriteFile(h.Real("home", "f"), "data");
        std::string fh = h.OpenOk("/home/f", fxp::kOpenRead);
        REQUIRE(h.Call(h.Close(fh)).Is(StatusCode::kOk));
        return h.Read(fh, 0, 10);
      },
      Status(C::kFailure));
  add(
      "WRITE on a live slot with a forged generation",
      [](Harness& h) {
        std::string fh =
            h.OpenOk("/home/f", fxp::kOpenWrite | fxp::kOpenCreate);
        const auto* p = reinterpret_cast<const uint8_t*>(fh.data());
        return h.Write(FakeHandle(LoadU32(p), LoadU32(p + 4) + 1), 0, "x");
      },
      Status(C::kFailure));
  add(
      "READDIR on a file handle",
      [](Harness& h) {
        std::string fh =
            h.OpenOk("/home/f", fxp::kOpenWrite | fxp::kOpenCreate);
        return h.Readdir(fh);
      },
      Status(C::kFailure));
  add(
      "READ on a directory handle",
      [](Harness& h) { return h.Read(h.OpendirOk("/home"), 0, 10); },
      Status(C::kFailure));
  add(
      "WRITE on the virtual root's handle",
      [](Harness& h) { return h.Write(h.OpendirOk("/"), 0, "x"); },
      Status(C::kPermissionDenied));
  add(
      "fstatvfs on the virtual root's handle",
      [](Harness& h) { return h.Fstatvfs(h.OpendirOk("/")); },
      Status(C::kNoSuchFile));

  // --- offsets and lengths ---------------------------------------------
  auto with_file = [](Harness& h) {
    testing::WriteFile(h.Real("home", "f"), "0123456789");
    return h.OpenOk("/home/f", fxp::kOpenRead | fxp::kOpenWrite);
  };
  add(
      "READ at offset 2^63",
      [with_file](Harness& h) {
        return h.Read(with_file(h), kInt64Max + 1, 10);
      },
      Status(C::kFailure));
  add(
      "READ at offset 2^64-1",
      [with_file](Harness& h) { return h.Read(with_file(h), kU64Max, 10); },
      Status(C::kFailure));
  add(
      "READ at offset 2^63-1 (the end would overflow)",
      [with_file](Harness& h) { return h.Read(with_file(h), kInt64Max, 10); },
      Status(C::kFailure));
  add(
      "READ of length 0xFFFFFFFF is capped",
      [with_file](Harness& h) { return h.Read(with_file(h), 0, 0xFFFFFFFF); },
      Type(fxp::kData));
  add(
      "WRITE at offset 2^64-8",
      [with_file](Harness& h) {
        return h.Write(with_file(h), kU64Max - 7, "x");
      },
      Status(C::kFailure));
  add(
      "WRITE that would end past 2^63-1",
      [with_file](Harness& h) {
        return h.Write(with_file(h), kInt64Max - 2, "xyzw");
      },
      Status(C::kFailure));
  add(
      "copy-data with a length overflowing the source offset",
      [with_file](Harness& h) {
        std::string fh = with_file(h);
        return h.CopyData(fh, kInt64Max - 1, 4, fh, 0);
      },
      Status(C::kFailure));
  add(
      "copy-data from offset 2^64-1",
      [with_file](Harness& h) {
        std::string fh = with_file(h);
        return h.CopyData(fh, kU64Max, 1, fh, 0);
      },
      Status(C::kFailure));
  add(
      "copy-data of length 2^64-1",
      [with_file](Harness& h) {
        std::string fh = with_file(h);
        return h.CopyData(fh, 0, kU64Max, fh, 20);
      },
      Status(C::kFailure));
  add(
      "copy-data to an offset near 2^63",
      [with_file](Harness& h) {
        std::string fh = with_file(h);
        return h.CopyData(fh, 0, 0, fh, kInt64Max - 3);
      },
      Status(C::kFailure));

  // --- attrs -----------------------------------------------------------
  add(
      "SETSTAT attrs flags 0xFFFFFFFF with a short body",
      [](Harness& h) {
        return h.Build(fxp::kSetstat, [](Writer& w) {
          w.String("/home");
          w.U32(0xFFFFFFFF);
          w.U64(1);
        });
      },
      Status(C::kBadMessage));
  add(
      "MKDIR attrs extended count 2^31",
      [](Harness& h) {
        return h.Build(fxp::kMkdir, [](Writer& w) {
          w.String("/home/d");
          w.U32(Attrs::kExtended);
          w.U32(0x80000000);
        });
      },
      Status(C::kBadMessage));
  add(
      "OPEN attrs extended count 65",
      [](Harness& h) {
        return h.Build(fxp::kOpen, [](Writer& w) {
          w.String("/home/f");
          w.U32(fxp::kOpenWrite | fxp::kOpenCreate);
          w.U32(Attrs::kExtended);
          w.U32(kMaxAttrExtensions + 1);
          for (uint32_t i = 0; i <= kMaxAttrExtensions; ++i) {
            w.String("k");
            w.String("v");
          }
        });
      },
      Status(C::kBadMessage));
  add(
      "SETSTAT attrs extension pair cut short",
      [](Harness& h) {
        return h.Build(fxp::kSetstat, [](Writer& w) {
          w.String("/home");
          w.U32(Attrs::kExtended);
          w.U32(1);
          w.String("name");
        });
      },
      Status(C::kBadMessage));
  add(
      "SETSTAT size 2^64-1",
      [](Harness& h) {
        testing::WriteFile(h.Real("home", "f"), "x");
        Attrs a;
        a.flags = Attrs::kSize;
        a.size = kU64Max;
        return h.Setstat("/home/f", a);
      },
      Status(C::kFailure));

  // --- files that are not regular files --------------------------------
  add(
      "OPEN a directory",
      [](Harness& h) {
        REQUIRE(mkdir(h.Real("home", "d").c_str(), 0755) == 0);
        return h.Open("/home/d", fxp::kOpenRead);
      },
      Status(C::kFailure));
  add(
      "OPENDIR a file",
      [](Harness& h) {
        testing::WriteFile(h.Real("home", "f"), "x");
        return h.Opendir("/home/f");
      },
      Status(C::kNoSuchFile));
  add(
      "OPEN a FIFO for reading does not hang and is refused",
      [](Harness& h) {
        REQUIRE(mkfifo(h.Real("home", "fifo").c_str(), 0666) == 0);
        return h.Open("/home/fifo", fxp::kOpenRead);
      },
      Status(C::kPermissionDenied));
  add(
      "OPEN a FIFO for writing does not hang and is refused",
      [](Harness& h) {
        REQUIRE(mkfifo(h.Real("home", "fifo").c_str(), 0666) == 0);
        return h.Open("/home/fifo", fxp::kOpenWrite | fxp::kOpenCreate);
      },
      // Refused by type before it is opened (opening a FIFO with no reader
      // would otherwise block or fail with ENXIO).
      Status(C::kPermissionDenied));
  add(
      "OPEN a character device is refused",
      [](Harness& h) {
        // /dev/null's numbers; where mknod is not allowed a FIFO stands in.
        std::string p = h.Real("home", "dev");
        if (mknod(p.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
          REQUIRE(mkfifo(p.c_str(), 0666) == 0);
        }
        return h.Open("/home/dev", fxp::kOpenRead);
      },
      Status(C::kPermissionDenied));
  add(
      "STAT a symlink loop a -> b -> a",
      [](Harness& h) {
        REQUIRE(symlink("b", h.Real("home", "a").c_str()) == 0);
        REQUIRE(symlink("a", h.Real("home", "b").c_str()) == 0);
        return h.Stat("/home/a");
      },
      Status(C::kFailure));
  add(
      "STAT an absolute symlink loop",
      [](Harness& h) {
        REQUIRE(symlink(h.Real("home", "b").c_str(),
                        h.Real("home", "a").c_str()) == 0);
        REQUIRE(symlink(h.Real("home", "a").c_str(),
                        h.Real("home", "b").c_str()) == 0);
        return h.Stat("/home/a");
      },
      Status(C::kFailure));
  add(
      "OPEN a symlink to itself",
      [](Harness& h) {
        REQUIRE(symlink("s", h.Real("home", "s").c_str()) == 0);
        return h.Open("/home/s", fxp::kOpenRead);
      },
      Status(C::kFailure));

  // --- export roots and the virtual root -------------------------------
  add("REMOVE \"\" (the first export's root)", path_req(fxp::kRemove, ""),
      Status(C::kPermissionDenied));
  add(
      "RENAME an export root",
      [](Harness& h) { return h.Rename("/home", "/shared/x"); },
      Status(C::kPermissionDenied));
  add(
      "SYMLINK onto /", [](Harness& h) { return h.Symlink("/home", "/"); },
      Status(C::kPermissionDenied));
  add(
      "MKDIR a new export name",
      [](Harness& h) { return h.Mkdir("/newexport"); }, Status(C::kNoSuchFile));
  add(
      "statvfs of /", [](Harness& h) { return h.Statvfs("/"); },
      Status(C::kNoSuchFile));

  // --- protocol state and extensions -----------------------------------
  add(
      "INIT twice",
      [](Harness&) { return Packet(fxp::kInit, 3, [](Writer&) {}); },
      StatusWithId(C::kFailure, 3));
  add(
      "users-groups-by-id with an id blob of 3 bytes",
      [](Harness& h) {
        return h.Ext("users-groups-by-id@openssh.com", [](Writer& w) {
          w.String("abc");
          w.String("");
        });
      },
      Status(C::kBadMessage));
  add(
      "users-groups-by-id with too many ids",
      [](Harness& h) {
        return h.UsersGroupsById(std::vector<uint32_t>(kMaxIdsPerLookup + 1, 0),
                                 {});
      },
      Status(C::kBadMessage));
  add(
      "expand-path of another user's home",
      [](Harness& h) { return h.ExpandPath("~nobody-else/x"); },
      Status(C::kNoSuchFile));
  add(
      "home-directory with a 300-byte name",
      [](Harness& h) { return h.HomeDirectory(std::string(300, 'u')); },
      Status(C::kBadMessage));
  return rows;
}

// For every request of the table: its body empty, cut by one byte, and
// followed by one byte too many. All malformed.
std::vector<Row> GeneratedRows() {
  std::vector<Row> rows;
  for (const RequestInfo& info : Session::Requests()) {
    if (info.type == fxp::kInit) continue;  // its "id" is the whole body
    std::string name(info.name);
    bool ext = info.type == fxp::kExtended;
    if (name != "limits@openssh.com") {
      rows.push_back({name + ": empty body",
                      [name, ext](Harness& h) {
                        Bytes b = ValidRequest(h, name);
                        return Reframe(b, b.size() - HeaderBytes(name, ext));
                      },
                      Status(StatusCode::kBadMessage)});
      rows.push_back(
          {name + ": body one byte short",
           [name](Harness& h) { return Reframe(ValidRequest(h, name), 1); },
           Status(StatusCode::kBadMessage)});
    }
    rows.push_back(
        {name + ": trailing garbage",
         [name](Harness& h) { return Reframe(ValidRequest(h, name), 0, "!"); },
         Status(StatusCode::kBadMessage)});
  }
  return rows;
}

// After a row: the session still answers, and nothing outside was touched.
void CheckUsable(Harness& h) {
  Reply r = h.Call(h.Realpath("."));
  CHECK(r.id == h.last_id());
  REQUIRE(r.type == fxp::kName);
  CHECK(r.names.at(0).name == "/home");
  CHECK(testing::ReadFile(h.Real("outside", "canary")) == "canary");
  struct stat st = testing::LStat(h.Real("outside", "canary"));
  CHECK((st.st_mode & 07777) == 0644);
  CHECK(st.st_nlink == 1);
  // Nothing was made next to it.
  std::vector<std::string> names;
  if (DIR* d = opendir(h.Real("outside").c_str())) {
    while (struct dirent* e = readdir(d)) names.emplace_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{".", "..", "canary"});
}

void RunRow(Row& row) {
  INFO("row: " << row.name);
  Harness h;
  Bytes in = row.build(h);
  size_t audit_before = h.audit().entries.size();
  testing::Deadline(30);
  Result<size_t> n = h.Feed(in);
  testing::Deadline(0);
  if (row.expect.framing_error) {
    CHECK_FALSE(n.ok());
    if (!n.ok()) CHECK_FALSE(n.error().empty());
    return;
  }
  REQUIRE(n.ok());
  CHECK(*n == in.size());
  std::vector<Reply> replies = h.TakeReplies();
  REQUIRE(replies.size() == 1);
  const Reply& r = replies[0];
  INFO("reply type " << int(r.type) << " code " << int(r.code) << " \""
                     << r.message << "\"");
  CHECK(r.well_formed);
  CHECK(r.type == row.expect.type);
  CHECK(r.id == row.expect.id.value_or(h.last_id()));
  if (r.type == fxp::kStatus) CHECK(r.code == row.expect.code);
  // A refusal by policy is on the audit trail with its rule.
  if (r.Is(StatusCode::kPermissionDenied)) {
    REQUIRE(h.audit().entries.size() > audit_before);
    CHECK_FALSE(h.audit().entries.back().rule.empty());
  }
  CheckUsable(h);
}

TEST_CASE("hostile: the table of hostile inputs") {
  std::vector<Row> hand = HandWrittenRows();
  CHECK(hand.size() >= 45);
  for (Row& row : hand) RunRow(row);
}

TEST_CASE("hostile: every request with a malformed body is BAD_MESSAGE") {
  std::vector<Row> rows = GeneratedRows();
  // Three rows for most of the table's rows: none was left out.
  CHECK(rows.size() >= 3 * (Session::Requests().size() - 2));
  for (Row& row : rows) RunRow(row);
}

// The fields of each request's body, for random requests of the right shape:
// p path, h handle, 4 uint32, 8 uint64, a attrs, s string.
std::string_view Shape(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kShapes[] = {
      {"open", "p4a"},
      {"close", "h"},
      {"read", "h84"},
      {"write", "h8s"},
      {"lstat", "p"},
      {"fstat", "h"},
      {"setstat", "pa"},
      {"fsetstat", "ha"},
      {"opendir", "p"},
      {"readdir", "h"},
      {"remove", "p"},
      {"mkdir", "pa"},
      {"rmdir", "p"},
      {"realpath", "p"},
      {"stat", "p"},
      {"rename", "pp"},
      {"readlink", "p"},
      {"symlink", "pp"},
      {"posix-rename@openssh.com", "pp"},
      {"statvfs@openssh.com", "p"},
      {"fstatvfs@openssh.com", "h"},
      {"hardlink@openssh.com", "pp"},
      {"fsync@openssh.com", "h"},
      {"lsetstat@openssh.com", "pa"},
      {"limits@openssh.com", ""},
      {"expand-path@openssh.com", "p"},
      {"copy-data", "h88h8"},
      {"home-directory", "s"},
      {"users-groups-by-id@openssh.com", "ss"},
  };
  for (const auto& [n, shape] : kShapes) {
    if (n == name) return shape;
  }
  return "";
}

TEST_CASE("hostile: random packets with valid framing each get one reply") {
  Harness h;
  testing::WriteFile(h.Real("home", "f"), "0123456789");
  testing::WriteFile(h.Real("ro", "f"), "ro");
  REQUIRE(mkdir(h.Real("shared", "d").c_str(), 0755) == 0);
  std::vector<std::string> handles = {
      h.OpenOk("/home/f", fxp::kOpenRead | fxp::kOpenWrite),
      h.OpenOk("/ro/f", fxp::kOpenRead),
      h.OpendirOk("/home"),
      h.OpendirOk("/"),
      FakeHandle(3, 0),
      FakeHandle(0, 1)};
  const std::vector<std::string> paths = {
      ".",         "",           "/",           "/home",
      "/home/f",   "/home/g",    "/ro/f",       "/own/x",
      "/shared/d", "f",          "../..",       "/home/../..",
      "x/y/z",     "~",          "~/f",         "/outside/canary",
      "\xff\xfe",  "/home/f/..", "/shared/d/e", "/ro"};
  std::vector<const RequestInfo*> table;
  for (const RequestInfo& info : Session::Requests()) {
    if (info.type != fxp::kInit) table.push_back(&info);
  }

  std::mt19937 rng(20261123);
  auto pick = [&](size_t n) {
    return size_t(std::uniform_int_distribution<size_t>(0, n - 1)(rng));
  };
  auto small = [&] { return uint32_t(pick(2) ? pick(64) : rng()); };
  auto junk = [&](size_t max) {
    std::string s(pick(max + 1), '\0');
    for (char& c : s) c = char(rng());
    return s;
  };
  // Fields in no particular order: mostly refused by the parser.
  auto shapeless = [&](Writer& w) {
    size_t fields = pick(7);
    for (size_t f = 0; f < fields; ++f) {
      switch (pick(5)) {
        case 0:
          w.U32(small());
          break;
        case 1:
          w.U64(pick(4) ? small() : (uint64_t(rng()) << 32 | rng()));
          break;
        case 2:
          w.String(paths[pick(paths.size())]);
          break;
        case 3:
          w.String(handles[pick(handles.size())]);
          break;
        default:
          Raw(w, junk(24));
          break;
      }
    }
  };
  // The fields the request expects, with hostile values now and then.
  auto shaped = [&](Writer& w, std::string_view shape) {
    for (char f : shape) {
      switch (f) {
        case 'p':
          w.String(paths[pick(paths.size())]);
          break;
        case 'h':
          w.String(handles[pick(handles.size())]);
          break;
        case '4':
          w.U32(small());
          break;
        case '8':
          // Offsets and lengths: mostly inside small files, now and then huge.
          w.U64(pick(8) ? pick(pick(2) ? 16 : 1 << 16)
                        : (uint64_t(rng()) << 32 | rng()));
          break;
        case 's':
          w.String(pick(4) ? junk(64) : std::string());
          break;
        case 'a': {
          Attrs a;
          a.flags = uint32_t(pick(16));
          a.size = pick(1 << 16);
          a.uid = a.gid = uint32_t(pick(3) ? 0 : Harness::kForeignUid);
          a.permissions = uint32_t(pick(07777 + 1));
          a.atime = a.mtime = uint32_t(rng());
          WriteAttrs(w, a);
          break;
        }
      }
    }
  };

  std::map<int, int> tally;  // status code, or 1000 + reply type
  for (int i = 0; i < 2000; ++i) {
    uint32_t id = 5000000 + uint32_t(i);
    const RequestInfo* req = table[pick(table.size())];
    uint8_t type = pick(8) == 0 ? uint8_t(rng()) : req->type;
    bool shape = type == req->type && pick(4) != 0;
    Bytes p = Packet(type, id, [&](Writer& w) {
      if (type == fxp::kExtended) w.String(req->name);
      if (shape) {
        shaped(w, Shape(req->name));
      } else {
        shapeless(w);
      }
    });
    // Some well-shaped requests get a byte flipped, cut or added.
    if (shape && pick(5) == 0 && p.size() > 9) {
      switch (pick(3)) {
        case 0:
          p[9 + pick(p.size() - 9)] ^= uint8_t(1 + pick(255));
          break;
        case 1:
          p = Reframe(p, 1 + pick(std::min<size_t>(3, p.size() - 9)));
          break;
        default:
          p = Reframe(p, 0, junk(3));
          break;
      }
    }
    INFO("packet " << i << " type " << int(type) << " size " << p.size());
    Result<size_t> n = h.Feed(p);
    REQUIRE(n.ok());
    REQUIRE(*n == p.size());
    std::vector<Reply> replies = h.TakeReplies();
    REQUIRE(replies.size() == 1);
    const Reply& r = replies[0];
    CHECK(r.well_formed);
    CHECK(r.id == id);
    ++tally[r.type == fxp::kStatus ? int(r.code) : 1000 + r.type];
    // New handles join the pool, so later requests use them.
    if (r.type == fxp::kHandle && handles.size() < 64) {
      handles.push_back(r.handle);
    }
  }
  for (const auto& [kind, count] : tally) {
    UNSCOPED_INFO("reply " << kind << ": " << count);
  }
  // The packets reached the handlers, not only the parser's refusals.
  int handled = 0;
  for (const auto& [kind, count] : tally) {
    if (kind != int(StatusCode::kBadMessage) &&
        kind != int(StatusCode::kOpUnsupported)) {
      handled += count;
    }
  }
  CHECK(handled >= 800);
  CHECK(tally[1000 + fxp::kHandle] > 0);
  CHECK(tally[1000 + fxp::kData] > 0);
  CHECK(tally[1000 + fxp::kName] > 0);
  CheckUsable(h);
}

}  // namespace
}  // namespace sftpd
