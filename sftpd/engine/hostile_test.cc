// Hostile input: one table of cases, each with the answer it must get. The
// table is in two files:
//   sftpd/engine/hostile_test.cc         the SFTP engine: HandWrittenRows()
//   (framing,
//     types, strings, paths, symlinks, handles, offsets, attrs), StateRows()
//     (before INIT, partial packets, extension names), ExtensionRows() (every
//     extension), AttrAndHandleRows(), PathRows(), and the generated
//     GeneratedRows() (every request's body empty, short or too long),
//     PathSlotRows() (every path field: NUL, too long, out through a symlink)
//     and HandleSlotRows() (every handle field: closed, forged, short, and a
//     handle of the wrong kind); then random packets.
//   sftpd/daemon/hostile_config_test.cc  ConfigRows() (TOML text -> error
//   naming
//     line and key, or success), ConfigFileRows() (LoadConfig on odd files),
//     KeyRows() (authorized_keys lines -> accepted, or skipped and why).
// "hostile: the table has at least 150 cases" counts them all from the
// tables themselves (EngineTables() here, ConfigAndKeyTableSizes() there).
// For the engine: every request gets exactly one reply with its id, the
// session stays usable, and nothing outside the exports is touched.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "sftpd/base/log_line.h"
#include "sftpd/engine/session_testing.h"

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
  // A partial packet: nothing consumed, no reply, the session waits.
  bool pending = false;
  // PERMISSION_DENIED from the kernel (EPERM), not from a rule of ours, so
  // the audit event names no rule.
  bool kernel_denied = false;
  // BAD_MESSAGE and OP_UNSUPPORTED: what the audit event's detail (the
  // reason) must hold; "" checks only that there is one.
  std::string detail{};
};

Expect Status(StatusCode c) { return {false, fxp::kStatus, c, std::nullopt}; }
Expect StatusWithId(StatusCode c, uint32_t id) {
  return {false, fxp::kStatus, c, id};
}
Expect Type(uint8_t t) { return {false, t, StatusCode::kOk, std::nullopt}; }
Expect TypeWithId(uint8_t t, uint32_t id) {
  return {false, t, StatusCode::kOk, id};
}
Expect Framing() { return {true, 0, StatusCode::kOk, std::nullopt}; }
Expect Pending() {
  Expect e;
  e.pending = true;
  return e;
}
// BAD_MESSAGE, audited with a reason holding `detail`.
Expect Bad(std::string detail) {
  Expect e = Status(StatusCode::kBadMessage);
  e.detail = std::move(detail);
  return e;
}
// OP_UNSUPPORTED, audited with a reason holding `detail`.
Expect Unsupported(std::string detail) {
  Expect e = Status(StatusCode::kOpUnsupported);
  e.detail = std::move(detail);
  return e;
}
Expect WithDetail(Expect e, std::string detail) {
  e.detail = std::move(detail);
  return e;
}
Expect KernelDenied() {
  Expect e = Status(StatusCode::kPermissionDenied);
  e.kernel_denied = true;
  return e;
}

struct Row {
  Row(std::string n, std::function<Bytes(Harness&)> b, Expect e,
      std::function<void(Harness&, const Reply&)> c = {}, bool i = true)
      : name(std::move(n)),
        build(std::move(b)),
        expect(e),
        check(std::move(c)),
        init(i) {}

  std::string name;
  std::function<Bytes(Harness&)> build;
  Expect expect;
  // Looked at after the reply: what the request did (or did not do).
  std::function<void(Harness&, const Reply&)> check;
  bool init = true;  // false: the session has not had INIT yet
};

// Rows are added as (name, build, expect[, check]).
class Rows {
 public:
  void Add(std::string name, std::function<Bytes(Harness&)> build, Expect e,
           std::function<void(Harness&, const Reply&)> check = {}) {
    rows_.push_back({std::move(name), std::move(build), e, std::move(check)});
  }
  // A row sent to a session that has not had INIT.
  void AddBeforeInit(std::string name, std::function<Bytes(Harness&)> build,
                     Expect e) {
    rows_.push_back({std::move(name), std::move(build), e, {}, false});
  }
  std::vector<Row> Take() { return std::move(rows_); }

 private:
  std::vector<Row> rows_;
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
                 Expect e,
                 std::function<void(Harness&, const Reply&)> check = {}) {
    rows.push_back({std::move(name), std::move(build), e, std::move(check)});
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
      WithDetail(StatusWithId(C::kBadMessage, 0),
                 "STAT: the packet ends inside the request id"));
  add(
      "truncated id",
      [](Harness&) {
        return Concat({U32Bytes(3), std::string("\x11\x00\x07", 3)});
      },
      WithDetail(StatusWithId(C::kBadMessage, 0),
                 "STAT: the packet ends inside the request id"));
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
        Unsupported("unknown request type " + std::to_string(t)));
  }
  add(
      "unknown extension name",
      [](Harness& h) { return h.Ext("nosuch@example.com", [](Writer&) {}); },
      Unsupported("unsupported extension nosuch@example.com"));
  add(
      "unknown extension name with a line break and an escape",
      [](Harness& h) {
        return h.Ext("evil\nsftpd: forged\x1b[0m", [](Writer&) {});
      },
      Unsupported("unsupported extension evil\\x0asftpd: forged\\x1b[0m"));
  add(
      "unknown extension name of 256 bytes is cut in the reason",
      [](Harness& h) { return h.Ext(std::string(256, 'n'), [](Writer&) {}); },
      Unsupported("unsupported extension " + std::string(kMaxShownName, 'n') +
                  "..."));
  add(
      "empty extension name",
      [](Harness& h) { return h.Ext("", [](Writer&) {}); },
      Status(C::kOpUnsupported));
  add(
      "extension name of 300 bytes",
      [](Harness& h) { return h.Ext(std::string(300, 'x'), [](Writer&) {}); },
      Bad("EXTENDED: the extension name is longer than 256 bytes"));
  add(
      "extension name with a NUL",
      [](Harness& h) {
        return h.Ext(std::string("limits@openssh.com\0x", 20), [](Writer&) {});
      },
      Bad("EXTENDED: the extension name holds a NUL byte"));
  add(
      "extension name length beyond the packet",
      [](Harness& h) {
        return h.Build(fxp::kExtended, [](Writer& w) {
          w.U32(50);
          Raw(w, "limits");
        });
      },
      Bad("EXTENDED: the packet ends inside the extension name"));

  // --- strings and paths -----------------------------------------------
  add(
      "string length larger than the packet",
      [](Harness& h) {
        return h.Build(fxp::kStat, [](Writer& w) {
          w.U32(1000);
          Raw(w, "abc");
        });
      },
      Bad("STAT: the packet ends inside the path"));
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
      Bad("CLOSE: the packet ends inside the handle"));
  add("STAT path with a NUL",
      path_req(fxp::kStat, std::string("/home\0/../ro", 12)),
      Bad("STAT: the path holds a NUL byte"));
  add(
      "OPEN path with a NUL",
      [](Harness& h) {
        return h.Open(std::string("/home/a\0b", 9),
                      fxp::kOpenWrite | fxp::kOpenCreate);
      },
      Status(C::kBadMessage));
  add("path longer than kMaxPathLength",
      path_req(fxp::kStat, "/home/" + std::string(kMaxPathLength, 'a')),
      Bad("STAT: the path is longer than 4096 bytes"));
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
      Bad("SETSTAT: attrs: unknown flag bits 0x7ffffff0"));
  add(
      "MKDIR attrs extended count 2^31",
      [](Harness& h) {
        return h.Build(fxp::kMkdir, [](Writer& w) {
          w.String("/home/d");
          w.U32(Attrs::kExtended);
          w.U32(0x80000000);
        });
      },
      Bad("MKDIR: attrs: 2147483648 extension pairs, more than 64"));
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
  {
    // A flag bit SFTP v3 does not define (0x10 is v4+'s ACCESSTIME) makes
    // the request malformed in every request that carries ATTRS; nothing is
    // made or changed.
    Attrs odd;
    odd.flags = Attrs::kPermissions | 0x10;
    odd.permissions = 0600;
    const std::string why = "attrs: unknown flag bits 0x00000010";
    add(
        "OPEN attrs with an unknown flag bit",
        [odd](Harness& h) {
          return h.Open("/home/new", fxp::kOpenWrite | fxp::kOpenCreate, odd);
        },
        Bad("OPEN: " + why),
        [](Harness& h, const Reply&) {
          CHECK(access(h.Real("home", "new").c_str(), F_OK) != 0);
        });
    add(
        "MKDIR attrs with an unknown flag bit",
        [odd](Harness& h) { return h.Mkdir("/home/newdir", odd); },
        Bad("MKDIR: " + why),
        [](Harness& h, const Reply&) {
          CHECK(access(h.Real("home", "newdir").c_str(), F_OK) != 0);
        });
    add(
        "SETSTAT attrs with an unknown flag bit",
        [odd](Harness& h) {
          testing::WriteFile(h.Real("home", "f"), "x");
          return h.Setstat("/home/f", odd);
        },
        Bad("SETSTAT: " + why),
        [](Harness& h, const Reply&) {
          CHECK((testing::LStat(h.Real("home", "f")).st_mode & 0777) != 0600);
        });
    add(
        "FSETSTAT attrs with an unknown flag bit",
        [odd](Harness& h) {
          std::string fh =
              h.OpenOk("/home/f", fxp::kOpenWrite | fxp::kOpenCreate);
          return h.Fsetstat(fh, odd);
        },
        Bad("FSETSTAT: " + why));
    add(
        "lsetstat attrs with an unknown flag bit",
        [odd](Harness& h) {
          testing::WriteFile(h.Real("home", "f"), "x");
          return h.Lsetstat("/home/f", odd);
        },
        Bad("lsetstat@openssh.com: " + why));
  }
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
      Bad("SETSTAT: the packet ends inside the attrs extension data"));
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
      "statvfs of a name that is no export",
      [](Harness& h) { return h.Statvfs("/newexport"); },
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

// The fields of each request's body, for the generated rows and the random
// requests of the right shape: p path, h handle, 4 uint32, 8 uint64, a attrs,
// s string.
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

// --- helpers for the rows below ----------------------------------------

// "0123456789" in /home/f, opened for reading and writing.
std::string WithFile(Harness& h) {
  testing::WriteFile(h.Real("home", "f"), "0123456789");
  return h.OpenOk("/home/f", fxp::kOpenRead | fxp::kOpenWrite);
}

// /home/up -> "..": a directory symlink to the parent of the export.
void UpLink(Harness& h) {
  REQUIRE(symlink("..", h.Real("home", "up").c_str()) == 0);
}

// A file (or directory) owned by someone else in the owner_only export.
void ForeignEntry(Harness& h, const std::string& name, bool dir = false) {
  std::string p = h.Real("own", name);
  if (dir) {
    REQUIRE(mkdir(p.c_str(), 0755) == 0);
  } else {
    testing::WriteFile(p, "theirs");
  }
  REQUIRE(chown(p.c_str(), Harness::kForeignUid, Harness::kForeignUid) == 0);
}

Attrs SizeAttrs(uint64_t size) {
  Attrs a;
  a.flags = Attrs::kSize;
  a.size = size;
  return a;
}

// The uint64 fields of an EXTENDED_REPLY.
std::vector<uint64_t> U64s(const Reply& r) {
  std::vector<uint64_t> out;
  Reader rd(r.extended);
  while (rd.remaining() >= 8) out.push_back(rd.U64());
  return out;
}

void CheckContent(Harness& h, const std::string& rel, std::string_view want) {
  CHECK(testing::ReadFile(h.Real("home", rel)) == want);
}

// --- protocol state, framing and extension names -------------------------

std::vector<Row> StateRows() {
  using C = StatusCode;
  Rows rows;
  rows.AddBeforeInit(
      "before INIT: STAT is refused",
      [](Harness& h) { return h.Stat("/home"); }, Status(C::kFailure));
  rows.AddBeforeInit(
      "before INIT: an extension is refused",
      [](Harness& h) { return h.Limits(); }, Status(C::kFailure));
  rows.AddBeforeInit(
      "before INIT: an unknown type is unsupported",
      [](Harness& h) { return h.Build(77, [](Writer&) {}); },
      Status(C::kOpUnsupported));
  rows.AddBeforeInit(
      "before INIT: an unknown extension is unsupported",
      [](Harness& h) { return h.Ext("x@example.com", [](Writer&) {}); },
      Status(C::kOpUnsupported));
  rows.AddBeforeInit(
      "before INIT: a packet over kMaxPacket ends the session",
      [](Harness&) {
        return Concat({U32Bytes(kMaxPacket + 1), "\x01"});
      },
      Framing());
  rows.AddBeforeInit(
      "INIT asking for version 0 gets version 3",
      [](Harness& h) { return h.Init(0); },
      TypeWithId(fxp::kVersionReply, fxp::kVersion));
  rows.AddBeforeInit(
      "INIT asking for version 2^32-1 gets version 3",
      [](Harness& h) { return h.Init(0xFFFFFFFF); },
      TypeWithId(fxp::kVersionReply, fxp::kVersion));
  rows.AddBeforeInit(
      "INIT carrying extension pairs gets version 3",
      [](Harness&) {
        return Packet(fxp::kInit, 6, [](Writer& w) {
          w.String("evil@example.com");
          w.String(std::string(1000, 'x'));
        });
      },
      TypeWithId(fxp::kVersionReply, fxp::kVersion));
  rows.AddBeforeInit(
      "INIT with a 2-byte version field",
      [](Harness&) {
        return Concat({U32Bytes(3), std::string("\x01\x00\x03", 3)});
      },
      StatusWithId(C::kBadMessage, 0));
  rows.Add(
      "a partial packet waits for the rest",
      [](Harness&) {
        return Concat({U32Bytes(100), "\x11\x00\x00\x00\x01"});
      },
      Pending());
  rows.Add(
      "a lone length field waits",
      [](Harness&) { return Concat({U32Bytes(9)}); }, Pending());
  rows.Add(
      "three bytes of a length field wait",
      [](Harness&) { return Concat({std::string(3, '\0')}); }, Pending());
  rows.Add(
      "framing: length 2^31",
      [](Harness&) {
        return Concat({U32Bytes(0x80000000), "\x11"});
      },
      Framing());
  rows.Add(
      "EXTENDED with no name at all",
      [](Harness& h) { return h.Build(fxp::kExtended, [](Writer&) {}); },
      Status(C::kBadMessage));
  rows.Add(
      "extension name length 2^32-1",
      [](Harness& h) {
        return h.Build(fxp::kExtended, [](Writer& w) { w.U32(0xFFFFFFFF); });
      },
      Status(C::kBadMessage));
  rows.Add(
      "unknown extension name of exactly 256 bytes",
      [](Harness& h) { return h.Ext(std::string(256, 'x'), [](Writer&) {}); },
      Status(C::kOpUnsupported));
  rows.Add(
      "extension name of 257 bytes",
      [](Harness& h) { return h.Ext(std::string(257, 'x'), [](Writer&) {}); },
      Status(C::kBadMessage));
  rows.Add(
      "a standard request's name as an extension",
      [](Harness& h) {
        return h.Ext("open", [](Writer& w) { w.String("/home/f"); });
      },
      Status(C::kOpUnsupported));
  rows.Add(
      "an extension name in other letter case",
      [](Harness& h) { return h.Ext("LIMITS@openssh.com", [](Writer&) {}); },
      Status(C::kOpUnsupported));
  rows.Add(
      "an extension name with a trailing blank",
      [](Harness& h) { return h.Ext("limits@openssh.com ", [](Writer&) {}); },
      Status(C::kOpUnsupported));
  return rows.Take();
}

// --- every extension, with hostile arguments -------------------------------

std::vector<Row> ExtensionRows() {
  using C = StatusCode;
  Rows rows;
  auto file = [](Harness& h) { testing::WriteFile(h.Real("home", "f"), "f"); };

  // posix-rename@openssh.com
  rows.Add(
      "posix-rename an export root away",
      [](Harness& h) { return h.PosixRename("/home", "/shared/x"); },
      Status(C::kPermissionDenied));
  rows.Add(
      "posix-rename over an export root",
      [file](Harness& h) {
        file(h);
        return h.PosixRename("/home/f", "/shared");
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "posix-rename onto the virtual root",
      [file](Harness& h) {
        file(h);
        return h.PosixRename("/home/f", "/");
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "posix-rename out of a read-only export",
      [](Harness& h) {
        testing::WriteFile(h.Real("ro", "f"), "ro");
        return h.PosixRename("/ro/f", "/home/f");
      },
      Status(C::kPermissionDenied),
      [](Harness& h, const Reply&) {
        CHECK(testing::ReadFile(h.Real("ro", "f")) == "ro");
      });
  rows.Add(
      "posix-rename over another user's file (owner_only)",
      [](Harness& h) {
        ForeignEntry(h, "theirs");
        testing::WriteFile(h.Real("own", "mine"), "mine");
        return h.PosixRename("/own/mine", "/own/theirs");
      },
      Status(C::kNoSuchFile),
      [](Harness& h, const Reply&) {
        CHECK(testing::ReadFile(h.Real("own", "theirs")) == "theirs");
      });
  rows.Add(
      "posix-rename an absolute symlink out moves only the link",
      [](Harness& h) {
        REQUIRE(symlink(h.Real("outside", "canary").c_str(),
                        h.Real("home", "abs").c_str()) == 0);
        return h.PosixRename("/home/abs", "/home/moved");
      },
      Status(C::kOk),
      [](Harness& h, const Reply&) {
        CHECK(S_ISLNK(testing::LStat(h.Real("home", "moved")).st_mode));
      });
  rows.Add(
      "posix-rename of a missing file",
      [](Harness& h) { return h.PosixRename("/home/nothing", "/home/b"); },
      Status(C::kNoSuchFile));
  rows.Add(
      "posix-rename a directory into itself",
      [](Harness& h) {
        REQUIRE(mkdir(h.Real("home", "d").c_str(), 0755) == 0);
        return h.PosixRename("/home/d", "/home/d/e");
      },
      Status(C::kFailure));

  // statvfs@openssh.com and fstatvfs@openssh.com
  rows.Add(
      "statvfs of a missing path",
      [](Harness& h) { return h.Statvfs("/home/nothing"); },
      Status(C::kNoSuchFile));
  rows.Add(
      "statvfs through a symlink out of the export",
      [](Harness& h) {
        UpLink(h);
        return h.Statvfs("/home/up/outside");
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "statvfs through a symlink loop",
      [](Harness& h) {
        REQUIRE(symlink("loop", h.Real("home", "loop").c_str()) == 0);
        return h.Statvfs("/home/loop");
      },
      Status(C::kFailure));
  rows.Add(
      "statvfs of a read-only export says read-only",
      [](Harness& h) { return h.Statvfs("/ro"); }, Type(fxp::kExtendedReply),
      [](Harness&, const Reply& r) {
        std::vector<uint64_t> v = U64s(r);
        REQUIRE(v.size() == 11);
        CHECK((v[9] & fxp::kStatvfsReadOnly) != 0);
      });
  rows.Add(
      "fstatvfs of a directory handle",
      [](Harness& h) { return h.Fstatvfs(h.OpendirOk("/shared")); },
      Type(fxp::kExtendedReply));

  // hardlink@openssh.com
  rows.Add(
      "hardlink an export root",
      [](Harness& h) { return h.Hardlink("/home", "/home/x"); },
      Status(C::kPermissionDenied));
  rows.Add(
      "hardlink a directory (the kernel refuses)",
      [](Harness& h) {
        REQUIRE(mkdir(h.Real("home", "d").c_str(), 0755) == 0);
        return h.Hardlink("/home/d", "/home/e");
      },
      KernelDenied());
  rows.Add(
      "hardlink onto an existing name",
      [file](Harness& h) {
        file(h);
        testing::WriteFile(h.Real("home", "g"), "g");
        return h.Hardlink("/home/f", "/home/g");
      },
      Status(C::kFailure),
      [](Harness& h, const Reply&) { CheckContent(h, "g", "g"); });
  rows.Add(
      "hardlink from a read-only export into a read-write one",
      [](Harness& h) {
        testing::WriteFile(h.Real("ro", "f"), "ro");
        return h.Hardlink("/ro/f", "/home/f");
      },
      Status(C::kPermissionDenied),
      [](Harness& h, const Reply&) {
        CHECK_FALSE(testing::Exists(h.Real("home", "f")));
      });
  rows.Add(
      "hardlink another user's file (owner_only)",
      [](Harness& h) {
        ForeignEntry(h, "theirs");
        return h.Hardlink("/own/theirs", "/own/mine");
      },
      Status(C::kNoSuchFile),
      [](Harness& h, const Reply&) {
        CHECK_FALSE(testing::Exists(h.Real("own", "mine")));
      });
  rows.Add(
      "hardlink of a symlink out of the export links the symlink",
      [](Harness& h) {
        REQUIRE(symlink("../outside/canary", h.Real("home", "esc").c_str()) ==
                0);
        return h.Hardlink("/home/esc", "/home/esc2");
      },
      Status(C::kOk),
      [](Harness& h, const Reply&) {
        CHECK(S_ISLNK(testing::LStat(h.Real("home", "esc2")).st_mode));
      });
  rows.Add(
      "hardlink into an unknown export",
      [file](Harness& h) {
        file(h);
        return h.Hardlink("/home/f", "/nosuch/f");
      },
      Status(C::kNoSuchFile));

  // fsync@openssh.com
  rows.Add(
      "fsync a directory handle",
      [](Harness& h) { return h.Fsync(h.OpendirOk("/home")); },
      Status(C::kFailure));
  rows.Add(
      "fsync the virtual root's handle",
      [](Harness& h) { return h.Fsync(h.OpendirOk("/")); },
      Status(C::kFailure));
  rows.Add(
      "fsync a read handle of a read-only export",
      [](Harness& h) {
        testing::WriteFile(h.Real("ro", "f"), "ro");
        return h.Fsync(h.OpenOk("/ro/f", fxp::kOpenRead));
      },
      Status(C::kOk));

  // lsetstat@openssh.com
  rows.Add(
      "lsetstat permissions of a symlink",
      [](Harness& h) {
        REQUIRE(symlink("f", h.Real("home", "l").c_str()) == 0);
        return h.Lsetstat("/home/l", testing::PermAttrs(0777));
      },
      Status(C::kOpUnsupported));
  rows.Add(
      "lsetstat in a read-only export",
      [](Harness& h) {
        testing::WriteFile(h.Real("ro", "f"), "ro");
        return h.Lsetstat("/ro/f", testing::PermAttrs(0777));
      },
      Status(C::kPermissionDenied),
      [](Harness& h, const Reply&) {
        CHECK((testing::LStat(h.Real("ro", "f")).st_mode & 07777) == 0644);
      });
  rows.Add(
      "lsetstat the virtual root",
      [](Harness& h) { return h.Lsetstat("/", testing::PermAttrs(0777)); },
      Status(C::kPermissionDenied));
  rows.Add(
      "lsetstat times of a symlink out leaves the target alone",
      [](Harness& h) {
        REQUIRE(symlink(h.Real("outside", "canary").c_str(),
                        h.Real("home", "abs").c_str()) == 0);
        Attrs a;
        a.flags = Attrs::kAcModTime;
        a.atime = a.mtime = 1000;
        return h.Lsetstat("/home/abs", a);
      },
      Status(C::kOk),
      [](Harness& h, const Reply&) {
        CHECK(testing::LStat(h.Real("outside", "canary")).st_mtime != 1000);
      });
  rows.Add(
      "lsetstat through a directory symlink out",
      [](Harness& h) {
        UpLink(h);
        return h.Lsetstat("/home/up/outside/canary", testing::PermAttrs(0777));
      },
      Status(C::kPermissionDenied));

  // limits@openssh.com
  rows.Add(
      "limits states the engine's limits",
      [](Harness& h) { return h.Limits(); }, Type(fxp::kExtendedReply),
      [](Harness&, const Reply& r) {
        CHECK(U64s(r) == std::vector<uint64_t>{kMaxPacket, kMaxReadLength,
                                               kMaxWriteLength, kMaxHandles});
      });

  // expand-path@openssh.com
  rows.Add(
      "expand-path ~/../../etc/passwd",
      [](Harness& h) { return h.ExpandPath("~/../../etc/passwd"); },
      Status(C::kNoSuchFile));
  rows.Add(
      "expand-path ~ of the session's own user",
      [](Harness& h) { return h.ExpandPath("~" + h.user() + "/x/../y"); },
      Type(fxp::kName),
      [](Harness&, const Reply& r) { CHECK(r.names.at(0).name == "/home/y"); });
  rows.Add(
      "expand-path ~ and a 300-byte user name",
      [](Harness& h) { return h.ExpandPath("~" + std::string(300, 'u')); },
      Status(C::kNoSuchFile));
  rows.Add(
      "expand-path with a NUL",
      [](Harness& h) { return h.ExpandPath(std::string("~/a\0b", 5)); },
      Status(C::kBadMessage));
  rows.Add(
      "expand-path of a symlink out is only lexical",
      [](Harness& h) {
        REQUIRE(symlink("/etc", h.Real("home", "etc").c_str()) == 0);
        return h.ExpandPath("etc/passwd");
      },
      Type(fxp::kName),
      [](Harness&, const Reply& r) {
        CHECK(r.names.at(0).name == "/home/etc/passwd");
      });
  rows.Add(
      "expand-path of /etc", [](Harness& h) { return h.ExpandPath("/etc"); },
      Status(C::kNoSuchFile));

  // copy-data
  rows.Add(
      "copy-data into the virtual root's handle",
      [](Harness& h) {
        return h.CopyData(WithFile(h), 0, 0, h.OpendirOk("/"), 0);
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "copy-data into a read-only export's handle",
      [](Harness& h) {
        testing::WriteFile(h.Real("ro", "f"), "ro");
        std::string ro = h.OpenOk("/ro/f", fxp::kOpenRead);
        return h.CopyData(WithFile(h), 0, 0, ro, 0);
      },
      Status(C::kPermissionDenied),
      [](Harness& h, const Reply&) {
        CHECK(testing::ReadFile(h.Real("ro", "f")) == "ro");
      });
  rows.Add(
      "copy-data from a read-only export into a read-write file",
      [](Harness& h) {
        testing::WriteFile(h.Real("ro", "f"), "ro");
        std::string ro = h.OpenOk("/ro/f", fxp::kOpenRead);
        return h.CopyData(ro, 0, 0, WithFile(h), 0);
      },
      Status(C::kOk),
      [](Harness& h, const Reply&) { CheckContent(h, "f", "ro23456789"); });
  rows.Add(
      "copy-data into a handle opened read-only",
      [](Harness& h) {
        std::string from = WithFile(h);
        testing::WriteFile(h.Real("home", "g"), "g");
        return h.CopyData(from, 0, 0, h.OpenOk("/home/g", fxp::kOpenRead), 0);
      },
      Status(C::kFailure),
      [](Harness& h, const Reply&) { CheckContent(h, "g", "g"); });
  rows.Add(
      "copy-data from a handle opened write-only",
      [](Harness& h) {
        std::string to = WithFile(h);
        return h.CopyData(h.OpenOk("/home/f", fxp::kOpenWrite), 0, 0, to, 0);
      },
      Status(C::kFailure));
  rows.Add(
      "copy-data from a directory handle",
      [](Harness& h) {
        return h.CopyData(h.OpendirOk("/home"), 0, 0, WithFile(h), 0);
      },
      Status(C::kFailure));
  rows.Add(
      "copy-data of a file onto itself, overlapping",
      [](Harness& h) {
        std::string fh = WithFile(h);
        return h.CopyData(fh, 0, 5, fh, 5);
      },
      Status(C::kOk),
      [](Harness& h, const Reply&) { CheckContent(h, "f", "0123401234"); });

  // home-directory
  rows.Add(
      "home-directory of another user",
      [](Harness& h) { return h.HomeDirectory("nobody-else"); },
      Status(C::kNoSuchFile));
  rows.Add(
      "home-directory of the session's own user",
      [](Harness& h) { return h.HomeDirectory(h.user()); }, Type(fxp::kName),
      [](Harness&, const Reply& r) { CHECK(r.names.at(0).name == "/home"); });
  rows.Add(
      "home-directory with a NUL in the name",
      [](Harness& h) {
        return h.HomeDirectory(h.user() + std::string(1, '\0') + "x");
      },
      Status(C::kBadMessage));
  rows.Add(
      "home-directory with a name of exactly 256 bytes",
      [](Harness& h) { return h.HomeDirectory(std::string(256, 'u')); },
      Status(C::kNoSuchFile));

  // users-groups-by-id@openssh.com
  rows.Add(
      "users-groups-by-id with no ids",
      [](Harness& h) { return h.UsersGroupsById({}, {}); },
      Type(fxp::kExtendedReply));
  rows.Add(
      "users-groups-by-id with exactly kMaxIdsPerLookup ids",
      [](Harness& h) {
        return h.UsersGroupsById(
            std::vector<uint32_t>(kMaxIdsPerLookup / 2, 0),
            std::vector<uint32_t>(kMaxIdsPerLookup / 2, 0));
      },
      Type(fxp::kExtendedReply));
  rows.Add(
      "users-groups-by-id one over the limit, split over both lists",
      [](Harness& h) {
        return h.UsersGroupsById(
            std::vector<uint32_t>(kMaxIdsPerLookup / 2, 0),
            std::vector<uint32_t>(kMaxIdsPerLookup / 2 + 1, 0));
      },
      Status(C::kBadMessage));
  rows.Add(
      "users-groups-by-id with a gid blob of 5 bytes",
      [](Harness& h) {
        return h.Ext("users-groups-by-id@openssh.com", [](Writer& w) {
          w.String("");
          w.String("abcde");
        });
      },
      Status(C::kBadMessage));
  rows.Add(
      "users-groups-by-id of uid 2^32-1 gives an empty name",
      [](Harness& h) { return h.UsersGroupsById({0xFFFFFFFF}, {0xFFFFFFFF}); },
      Type(fxp::kExtendedReply),
      [](Harness&, const Reply& r) {
        Reader rd(r.extended);
        std::string_view u = rd.String();
        std::string_view g = rd.String();
        REQUIRE(rd.Done());
        // One empty string in each blob: a 4-byte zero length.
        CHECK(u == std::string_view("\0\0\0\0", 4));
        CHECK(g == std::string_view("\0\0\0\0", 4));
      });
  rows.Add(
      "users-groups-by-id blob length beyond the packet",
      [](Harness& h) {
        return h.Ext("users-groups-by-id@openssh.com", [](Writer& w) {
          w.U32(4096);
          Raw(w, "abcd");
        });
      },
      Status(C::kBadMessage));
  return rows.Take();
}

// --- attrs and handles ------------------------------------------------------

std::vector<Row> AttrAndHandleRows() {
  using C = StatusCode;
  Rows rows;
  auto file = [](Harness& h) { testing::WriteFile(h.Real("home", "f"), "f"); };
  auto setstat_raw = [](std::function<void(Writer&)> attrs) {
    return [attrs](Harness& h) {
      testing::WriteFile(h.Real("home", "f"), "f");
      return h.Build(fxp::kSetstat, [&](Writer& w) {
        w.String("/home/f");
        attrs(w);
      });
    };
  };

  rows.Add(
      "SETSTAT with only undefined flag bits is malformed and changes nothing",
      setstat_raw([](Writer& w) { w.U32(0x70); }),
      Bad("SETSTAT: attrs: unknown flag bits 0x00000070"),
      [](Harness& h, const Reply&) {
        CHECK((testing::LStat(h.Real("home", "f")).st_mode & 07777) == 0644);
      });
  rows.Add(
      "SETSTAT permissions with file-type bits keeps a file a file",
      [file](Harness& h) {
        file(h);
        return h.Setstat("/home/f", testing::PermAttrs(S_IFDIR | 0600));
      },
      Status(C::kOk),
      [](Harness& h, const Reply&) {
        struct stat st = testing::LStat(h.Real("home", "f"));
        CHECK(S_ISREG(st.st_mode));
        CHECK((st.st_mode & 07777) == 0600);
      });
  rows.Add("SETSTAT size flag without its 8 bytes", setstat_raw([](Writer& w) {
             w.U32(Attrs::kSize);
             w.U32(0);
           }),
           Bad("SETSTAT: the packet ends inside the attrs size"));
  rows.Add("SETSTAT times flag with only the atime", setstat_raw([](Writer& w) {
             w.U32(Attrs::kAcModTime);
             w.U32(0);
           }),
           Status(C::kBadMessage));
  rows.Add("SETSTAT extended count 0", setstat_raw([](Writer& w) {
             w.U32(Attrs::kExtended);
             w.U32(0);
           }),
           Status(C::kOk));
  rows.Add("SETSTAT exactly kMaxAttrExtensions extension pairs",
           setstat_raw([](Writer& w) {
             w.U32(Attrs::kExtended);
             w.U32(kMaxAttrExtensions);
             for (uint32_t i = 0; i < kMaxAttrExtensions; ++i) {
               w.String("name@example.com");
               w.String(std::string(100, 'v'));
             }
           }),
           Status(C::kOk));
  rows.Add("SETSTAT extended count 2^32-1", setstat_raw([](Writer& w) {
             w.U32(Attrs::kExtended);
             w.U32(0xFFFFFFFF);
           }),
           Status(C::kBadMessage));
  rows.Add("SETSTAT extension name of length 2^32-1",
           setstat_raw([](Writer& w) {
             w.U32(Attrs::kExtended);
             w.U32(1);
             w.U32(0xFFFFFFFF);
             Raw(w, "name");
           }),
           Status(C::kBadMessage));
  rows.Add("SETSTAT every flag set, body stops after the uid",
           setstat_raw([](Writer& w) {
             w.U32(0xFFFFFFFF);
             w.U64(1);
             w.U32(0);
           }),
           Status(C::kBadMessage));
  rows.Add(
      "OPEN CREAT with attrs size 2^64-1",
      [](Harness& h) {
        return h.Open("/home/new", fxp::kOpenWrite | fxp::kOpenCreate,
                      SizeAttrs(kU64Max));
      },
      Status(C::kFailure));
  // The file is made before its attrs are applied; when they fail, the
  // OPEN takes it back.
  rows.Add(
      "OPEN CREAT whose attrs fail leaves no file behind",
      [](Harness& h) {
        return h.Open("/home/new", fxp::kOpenWrite | fxp::kOpenCreate,
                      SizeAttrs(kU64Max));
      },
      Status(C::kFailure),
      [](Harness& h, const Reply&) {
        CHECK_FALSE(testing::Exists(h.Real("home", "new")));
      });
  rows.Add(
      "OPEN CREAT with permissions 07777: umask applied, setuid and setgid "
      "dropped",
      [](Harness& h) {
        return h.Open("/home/new", fxp::kOpenWrite | fxp::kOpenCreate,
                      testing::PermAttrs(07777));
      },
      Type(fxp::kHandle),
      [](Harness& h, const Reply&) {
        CHECK((testing::LStat(h.Real("home", "new")).st_mode & 07777) == 01755);
      });
  rows.Add(
      "MKDIR ignores a uid and gid in its attrs",
      [](Harness& h) {
        Attrs a;
        a.flags = Attrs::kUidGid;
        a.uid = a.gid = Harness::kForeignUid;
        return h.Mkdir("/own/d", a);
      },
      Status(C::kOk),
      [](Harness& h, const Reply&) {
        CHECK(testing::LStat(h.Real("own", "d")).st_uid == getuid());
      });
  rows.Add(
      "FSETSTAT size 2^63",
      [](Harness& h) {
        return h.Fsetstat(WithFile(h), SizeAttrs(kInt64Max + 1));
      },
      Status(C::kFailure),
      [](Harness& h, const Reply&) { CheckContent(h, "f", "0123456789"); });
  rows.Add(
      "FSETSTAT attrs extended count 65",
      [](Harness& h) {
        std::string fh = WithFile(h);
        return h.Build(fxp::kFsetstat, [&](Writer& w) {
          w.String(fh);
          w.U32(Attrs::kExtended);
          w.U32(kMaxAttrExtensions + 1);
        });
      },
      Status(C::kBadMessage));
  rows.Add(
      "OPEN on a read-only export with TRUNC alone",
      [](Harness& h) {
        testing::WriteFile(h.Real("ro", "f"), "ro");
        return h.Open("/ro/f", fxp::kOpenTruncate);
      },
      Status(C::kPermissionDenied),
      [](Harness& h, const Reply&) {
        CHECK(testing::ReadFile(h.Real("ro", "f")) == "ro");
      });
  rows.Add(
      "OPEN on a read-only export with APPEND alone",
      [](Harness& h) {
        testing::WriteFile(h.Real("ro", "f"), "ro");
        return h.Open("/ro/f", fxp::kOpenAppend);
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "OPEN on a read-only export with CREAT alone",
      [](Harness& h) { return h.Open("/ro/new", fxp::kOpenCreate); },
      Status(C::kPermissionDenied));
  rows.Add(
      "OPEN with every pflag bit set on an existing file",
      [file](Harness& h) {
        file(h);
        return h.Open("/home/f", 0xFFFFFFFF);
      },
      Status(C::kFailure),
      [](Harness& h, const Reply&) { CheckContent(h, "f", "f"); });
  rows.Add(
      "OPEN with EXCL but not CREAT on a missing file",
      [](Harness& h) { return h.Open("/home/nothing", fxp::kOpenExclusive); },
      Status(C::kNoSuchFile));

  // Handles.
  rows.Add(
      "CLOSE the same handle twice",
      [](Harness& h) {
        std::string fh = WithFile(h);
        REQUIRE(h.Call(h.Close(fh)).Is(StatusCode::kOk));
        return h.Close(fh);
      },
      Status(C::kFailure));
  rows.Add(
      "a stale handle does not reach the file that reuses its slot",
      [](Harness& h) {
        std::string old = WithFile(h);
        REQUIRE(h.Call(h.Close(old)).Is(StatusCode::kOk));
        testing::WriteFile(h.Real("home", "g"), "g");
        std::string now = h.OpenOk("/home/g", fxp::kOpenWrite);
        REQUIRE(now.substr(0, 4) == old.substr(0, 4));  // the same slot
        return h.Write(old, 0, "stale");
      },
      Status(C::kFailure),
      [](Harness& h, const Reply&) { CheckContent(h, "g", "g"); });
  rows.Add(
      "one handle more than kMaxHandles",
      [file](Harness& h) {
        file(h);
        for (size_t i = 0; i < kMaxHandles; ++i) {
          h.OpenOk("/home/f", fxp::kOpenRead);
        }
        return h.Open("/home/f", fxp::kOpenRead);
      },
      Status(C::kFailure));
  rows.Add(
      "a handle of eight 0xFF bytes",
      [](Harness& h) { return h.Fstat(std::string(8, '\xff')); },
      Status(C::kFailure));
  rows.Add(
      "a handle made of another session's bytes",
      [](Harness& h) {
        Harness other;
        testing::WriteFile(other.Real("home", "f"), "other");
        std::string theirs = other.OpenOk("/home/f", fxp::kOpenRead);
        return h.Read(theirs, 0, 10);
      },
      Status(C::kFailure));
  rows.Add(
      "FSETSTAT through a read-only export's handle",
      [](Harness& h) {
        testing::WriteFile(h.Real("ro", "f"), "ro");
        return h.Fsetstat(h.OpenOk("/ro/f", fxp::kOpenRead),
                          testing::PermAttrs(0777));
      },
      Status(C::kPermissionDenied),
      [](Harness& h, const Reply&) {
        CHECK((testing::LStat(h.Real("ro", "f")).st_mode & 07777) == 0644);
      });
  rows.Add(
      "READ a handle opened write-only",
      [](Harness& h) {
        WithFile(h);
        return h.Read(h.OpenOk("/home/f", fxp::kOpenWrite), 0, 10);
      },
      Status(C::kFailure));
  rows.Add(
      "WRITE a handle opened read-only",
      [](Harness& h) {
        WithFile(h);
        return h.Write(h.OpenOk("/home/f", fxp::kOpenRead), 0, "x");
      },
      Status(C::kFailure),
      [](Harness& h, const Reply&) { CheckContent(h, "f", "0123456789"); });
  rows.Add(
      "READDIR a closed directory handle",
      [](Harness& h) {
        std::string dh = h.OpendirOk("/home");
        REQUIRE(h.Call(h.Close(dh)).Is(StatusCode::kOk));
        return h.Readdir(dh);
      },
      Status(C::kFailure));
  rows.Add(
      "READDIR the virtual root after its end",
      [](Harness& h) {
        std::string dh = h.OpendirOk("/");
        REQUIRE(h.Call(h.Readdir(dh)).type == fxp::kName);
        return h.Readdir(dh);
      },
      Status(C::kEof));
  return rows.Take();
}

// --- paths: long names, dots, symlinks, odd bytes ---------------------------

std::vector<Row> PathRows() {
  using C = StatusCode;
  Rows rows;
  const std::string name_max(NAME_MAX, 'n');
  const std::string name_too_long(NAME_MAX + 1, 'n');

  rows.Add(
      "STAT a component of NAME_MAX+1 bytes",
      [name_too_long](Harness& h) { return h.Stat("/home/" + name_too_long); },
      Status(C::kFailure));
  rows.Add(
      "OPEN CREAT a name of NAME_MAX+1 bytes",
      [name_too_long](Harness& h) {
        return h.Open("/home/" + name_too_long,
                      fxp::kOpenWrite | fxp::kOpenCreate);
      },
      Status(C::kFailure));
  rows.Add(
      "OPEN CREAT a name of exactly NAME_MAX bytes",
      [name_max](Harness& h) {
        return h.Open("/home/" + name_max, fxp::kOpenWrite | fxp::kOpenCreate);
      },
      Type(fxp::kHandle));
  rows.Add(
      "MKDIR a name of NAME_MAX+1 bytes",
      [name_too_long](Harness& h) { return h.Mkdir("/home/" + name_too_long); },
      Status(C::kFailure));
  rows.Add(
      "RENAME onto a name of NAME_MAX+1 bytes",
      [name_too_long](Harness& h) {
        testing::WriteFile(h.Real("home", "f"), "f");
        return h.Rename("/home/f", "/home/" + name_too_long);
      },
      Status(C::kFailure));
  rows.Add(
      "STAT kMaxPathLength bytes of missing directories",
      [](Harness& h) {
        std::string p = "/home";
        while (p.size() + 2 <= kMaxPathLength) p += "/d";
        return h.Stat(p);
      },
      Status(C::kNoSuchFile));
  rows.Add(
      "STAT a symlink whose target is longer than PATH_MAX resolves",
      [](Harness& h) {
        // Each link is short; what they spell out together is not.
        testing::WriteFile(h.Real("home", "f"), "f");
        std::string dots;
        while (dots.size() < 3000) dots += "./";
        REQUIRE(symlink((dots + "f").c_str(), h.Real("home", "a").c_str()) ==
                0);
        REQUIRE(symlink((dots + "a").c_str(), h.Real("home", "b").c_str()) ==
                0);
        return h.Stat("/home/b");
      },
      Type(fxp::kAttrs));
  rows.Add(
      "STAT through 41 chained symlinks",
      [](Harness& h) {
        testing::WriteFile(h.Real("home", "f"), "f");
        REQUIRE(symlink("f", h.Real("home", "l0").c_str()) == 0);
        for (int i = 1; i <= 40; ++i) {
          std::string from = "l" + std::to_string(i - 1);
          std::string at = h.Real("home", "l" + std::to_string(i));
          REQUIRE(symlink(from.c_str(), at.c_str()) == 0);
        }
        return h.Stat("/home/l40");
      },
      Status(C::kFailure));
  rows.Add(
      "OPEN through a symlink loop in a directory component",
      [](Harness& h) {
        REQUIRE(symlink("b", h.Real("home", "a").c_str()) == 0);
        REQUIRE(symlink("a", h.Real("home", "b").c_str()) == 0);
        return h.Open("/home/a/x", fxp::kOpenWrite | fxp::kOpenCreate);
      },
      Status(C::kFailure));

  // Dots.
  rows.Add(
      "STAT /home/.. is the virtual root",
      [](Harness& h) { return h.Stat("/home/.."); }, Type(fxp::kAttrs),
      [](Harness&, const Reply& r) {
        CHECK(r.attrs.permissions == (S_IFDIR | 0555));
      });
  rows.Add(
      "REMOVE /home/.. (the virtual root)",
      [](Harness& h) { return h.Remove("/home/.."); },
      Status(C::kPermissionDenied));
  rows.Add(
      "RMDIR /home/. (an export root)",
      [](Harness& h) { return h.Rmdir("/home/."); },
      Status(C::kPermissionDenied));
  rows.Add(
      "RMDIR /home/d/.. (an export root)",
      [](Harness& h) {
        REQUIRE(mkdir(h.Real("home", "d").c_str(), 0755) == 0);
        return h.Rmdir("/home/d/..");
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "MKDIR /.. (the virtual root)", [](Harness& h) { return h.Mkdir("/.."); },
      Status(C::kPermissionDenied));
  rows.Add(
      "OPEN /home/./../ro/f for writing reaches the read-only gate",
      [](Harness& h) {
        testing::WriteFile(h.Real("ro", "f"), "ro");
        return h.Open("/home/./../ro/f", fxp::kOpenWrite);
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "SETSTAT home/../../ro (relative) reaches the read-only gate",
      [](Harness& h) {
        return h.Setstat("home/../../ro", testing::PermAttrs(0777));
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "OPENDIR ../../.. is the virtual root",
      [](Harness& h) { return h.Opendir("../../.."); }, Type(fxp::kHandle));
  rows.Add(
      "STAT ////", [](Harness& h) { return h.Stat("////"); },
      Type(fxp::kAttrs));
  rows.Add(
      "STAT .../f (three dots are a name)",
      [](Harness& h) { return h.Stat(".../f"); }, Status(C::kNoSuchFile));
  rows.Add(
      "STAT ..\\..\\etc\\passwd (backslashes are name bytes)",
      [](Harness& h) { return h.Stat("..\\..\\etc\\passwd"); },
      Status(C::kNoSuchFile));
  rows.Add(
      "STAT %2e%2e/%2e%2e/etc/passwd (no percent decoding)",
      [](Harness& h) { return h.Stat("%2e%2e/%2e%2e/etc/passwd"); },
      Status(C::kNoSuchFile));
  rows.Add(
      "STAT overlong UTF-8 dots and slash",
      [](Harness& h) {
        return h.Stat(
            "\xc0\xae\xc0\xae\xc0\xaf"
            "etc/passwd");
      },
      Status(C::kNoSuchFile));

  // Symlinks.
  rows.Add(
      "STAT an absolute symlink into another export",
      [](Harness& h) {
        testing::WriteFile(h.Real("shared", "f"), "f");
        REQUIRE(symlink(h.Real("shared", "f").c_str(),
                        h.Real("home", "x").c_str()) == 0);
        return h.Stat("/home/x");
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "STAT an absolute symlink back into its own export",
      [](Harness& h) {
        testing::WriteFile(h.Real("home", "f"), "f");
        REQUIRE(symlink(h.Real("home", "f").c_str(),
                        h.Real("home", "in").c_str()) == 0);
        return h.Stat("/home/in");
      },
      Type(fxp::kAttrs));
  rows.Add(
      "STAT a relative symlink that leaves and re-enters the export",
      [](Harness& h) {
        testing::WriteFile(h.Real("home", "f"), "f");
        REQUIRE(symlink("../home/f", h.Real("home", "re").c_str()) == 0);
        return h.Stat("/home/re");
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "STAT a symlink to /proc/self/root",
      [](Harness& h) {
        REQUIRE(symlink("/proc/self/root", h.Real("home", "pr").c_str()) == 0);
        return h.Stat("/home/pr/etc/passwd");
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "OPEN CREAT through a dangling relative symlink out",
      [](Harness& h) {
        REQUIRE(symlink("../outside/new", h.Real("home", "dang").c_str()) == 0);
        return h.Open("/home/dang", fxp::kOpenWrite | fxp::kOpenCreate);
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "OPEN CREAT through a dangling absolute symlink out",
      [](Harness& h) {
        REQUIRE(symlink(h.Real("outside", "new").c_str(),
                        h.Real("home", "dang").c_str()) == 0);
        return h.Open("/home/dang", fxp::kOpenWrite | fxp::kOpenCreate);
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "OPEN CREAT EXCL on a dangling symlink out",
      [](Harness& h) {
        REQUIRE(symlink("../outside/new", h.Real("home", "dang").c_str()) == 0);
        return h.Open("/home/dang",
                      fxp::kOpenWrite | fxp::kOpenCreate | fxp::kOpenExclusive);
      },
      Status(C::kFailure));
  rows.Add(
      "MKDIR over a dangling symlink out",
      [](Harness& h) {
        REQUIRE(symlink("../outside/newdir", h.Real("home", "dang").c_str()) ==
                0);
        return h.Mkdir("/home/dang");
      },
      Status(C::kFailure));
  rows.Add(
      "OPENDIR through a symlink to the outside directory",
      [](Harness& h) {
        REQUIRE(symlink(h.Real("outside").c_str(),
                        h.Real("home", "out").c_str()) == 0);
        return h.Opendir("/home/out");
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "READLINK of a symlink out gives its text, not the target",
      [](Harness& h) {
        REQUIRE(symlink("/etc/passwd", h.Real("home", "pw").c_str()) == 0);
        return h.Readlink("/home/pw");
      },
      Type(fxp::kName),
      [](Harness&, const Reply& r) {
        CHECK(r.names.at(0).name == "/etc/passwd");
      });
  rows.Add(
      "READLINK through a directory symlink out",
      [](Harness& h) {
        UpLink(h);
        return h.Readlink("/home/up/outside/canary");
      },
      Status(C::kPermissionDenied));
  rows.Add(
      "REMOVE a symlink out removes only the link",
      [](Harness& h) {
        REQUIRE(symlink("../outside/canary", h.Real("home", "esc").c_str()) ==
                0);
        return h.Remove("/home/esc");
      },
      Status(C::kOk),
      [](Harness& h, const Reply&) {
        CHECK_FALSE(testing::Exists(h.Real("home", "esc")));
      });
  rows.Add(
      "SYMLINK with a NUL in its target",
      [](Harness& h) {
        return h.Symlink(std::string("/etc\0/passwd", 12), "/home/l");
      },
      Status(C::kBadMessage));
  rows.Add(
      "SYMLINK with an empty target",
      [](Harness& h) { return h.Symlink("", "/home/l"); },
      Status(C::kNoSuchFile));
  rows.Add(
      "SYMLINK a virtual absolute target is stored as the real path",
      [](Harness& h) { return h.Symlink("/shared/../home/f", "/home/l"); },
      Status(C::kOk),
      [](Harness& h, const Reply&) {
        char buf[PATH_MAX] = {};
        ssize_t n = readlink(h.Real("home", "l").c_str(), buf, sizeof buf - 1);
        REQUIRE(n > 0);
        CHECK(std::string(buf, size_t(n)) == h.Real("home", "f"));
      });

  // Odd bytes and owner_only.
  rows.Add(
      "STAT a missing non-UTF-8 name",
      [](Harness& h) { return h.Stat("/home/\xc3\x28\xa0\xa1"); },
      Status(C::kNoSuchFile));
  rows.Add(
      "MKDIR a non-UTF-8 name",
      [](Harness& h) { return h.Mkdir("/home/\xfe\xff"); }, Status(C::kOk),
      [](Harness& h, const Reply&) {
        CHECK(testing::Exists(h.Real("home", "\xfe\xff")));
      });
  rows.Add(
      "STAT a non-UTF-8 export name",
      [](Harness& h) { return h.Stat("/\xff/f"); }, Status(C::kNoSuchFile));
  rows.Add(
      "OPEN CREAT a name with a newline and an ESC",
      [](Harness& h) {
        return h.Open("/home/a\nb\x1b[31m", fxp::kOpenWrite | fxp::kOpenCreate);
      },
      Type(fxp::kHandle));
  rows.Add(
      "STAT another user's file (owner_only)",
      [](Harness& h) {
        ForeignEntry(h, "theirs");
        return h.Stat("/own/theirs");
      },
      Status(C::kNoSuchFile));
  rows.Add(
      "OPEN CREAT inside another user's directory (owner_only)",
      [](Harness& h) {
        ForeignEntry(h, "dir", true);
        return h.Open("/own/dir/f", fxp::kOpenWrite | fxp::kOpenCreate);
      },
      Status(C::kNoSuchFile),
      [](Harness& h, const Reply&) {
        CHECK_FALSE(testing::Exists(h.Real("own", "dir/f")));
      });
  rows.Add(
      "OPEN TRUNC another user's file (owner_only)",
      [](Harness& h) {
        ForeignEntry(h, "theirs");
        return h.Open("/own/theirs", fxp::kOpenWrite | fxp::kOpenTruncate);
      },
      Status(C::kNoSuchFile),
      [](Harness& h, const Reply&) {
        CHECK(testing::ReadFile(h.Real("own", "theirs")) == "theirs");
      });
  return rows.Take();
}

// --- generated: every path field and every handle field ---------------------

// How many fields of `kind` ('p' path, 'h' handle) request `name` has.
size_t Fields(std::string_view name, char kind) {
  std::string_view shape = Shape(name);
  return size_t(std::count(shape.begin(), shape.end(), kind));
}

// A well-formed request of `info`, built from its shape: every field a
// harmless default ("/home/f" and "/home/g" for paths, `handle` for handles,
// zeros, empty attrs) except field number `slot` of kind `kind`, which
// `hostile` writes.
Bytes FromShape(Harness& h, const RequestInfo& info, char kind, size_t slot,
                const std::function<void(Writer&)>& hostile,
                const std::string& handle) {
  return h.Build(info.type, [&](Writer& w) {
    if (info.type == fxp::kExtended) w.String(info.name);
    size_t of_kind = 0, paths = 0;
    for (char f : Shape(info.name)) {
      bool mine = f == kind && of_kind++ == slot;
      bool second_path = f == 'p' && paths++ > 0;
      if (mine) {
        hostile(w);
        continue;
      }
      switch (f) {
        case 'p':
          w.String(second_path ? "/home/g" : "/home/f");
          break;
        case 'h':
          w.String(handle);
          break;
        case '4':
        case 'a':
          w.U32(0);
          break;
        case '8':
          w.U64(0);
          break;
        default:
          w.String("");
          break;
      }
    }
  });
}

std::vector<const RequestInfo*> RequestsWith(char kind) {
  std::vector<const RequestInfo*> out;
  for (const RequestInfo& info : Session::Requests()) {
    if (Fields(info.name, kind) > 0) out.push_back(&info);
  }
  return out;
}

// The answer to a path that leads out through /home/up -> "..": refused,
// except where the path is only text (REALPATH and expand-path are lexical,
// a SYMLINK's target is stored as it is).
Expect OutThroughSymlink(std::string_view name, size_t slot) {
  if (name == "realpath" || name == "expand-path@openssh.com") {
    return Type(fxp::kName);
  }
  if (name == "symlink" && slot == 0) return Status(StatusCode::kOk);
  return Status(StatusCode::kPermissionDenied);
}

std::vector<Row> PathSlotRows() {
  using C = StatusCode;
  std::vector<Row> rows;
  for (const RequestInfo* info : RequestsWith('p')) {
    for (size_t slot = 0; slot < Fields(info->name, 'p'); ++slot) {
      auto row = [&](std::string what, std::string path, Expect e,
                     bool up_link = false) {
        rows.push_back({std::string(info->name) + " path " +
                            std::to_string(slot) + ": " + what,
                        [info, slot, path, up_link](Harness& h) {
                          if (up_link) UpLink(h);
                          return FromShape(
                              h, *info, 'p', slot,
                              [&](Writer& w) { w.String(path); }, "");
                        },
                        e});
      };
      row("a NUL", std::string("/home/f\0/../../outside/canary", 29),
          Status(C::kBadMessage));
      row("kMaxPathLength + 1 bytes",
          "/home/" + std::string(kMaxPathLength - 5, 'p'),
          Status(C::kBadMessage));
      // Lexically this is /outside/canary: an export that does not exist.
      row("../../../../outside/canary", "../../../../outside/canary",
          info->name == "symlink" && slot == 0 ? Status(C::kOk)
                                               : Status(C::kNoSuchFile));
      row("out through a directory symlink", "/home/up/outside/canary",
          OutThroughSymlink(info->name, slot), true);
    }
  }
  return rows;
}

// What each handle request answers for a handle of the wrong kind.
struct KindAnswers {
  std::string_view kind;  // "the virtual root", ...
  std::function<std::string(Harness&)> open;
  std::map<std::string, Expect> by_request;  // "read", "copy-data 1", ...
};

std::vector<KindAnswers> WrongKinds() {
  using C = StatusCode;
  const Expect ok = Status(C::kOk), fail = Status(C::kFailure),
               denied = Status(C::kPermissionDenied);
  return {
      {"the virtual root's handle",
       [](Harness& h) { return h.OpendirOk("/"); },
       {{"close", ok},
        {"read", fail},
        {"write", denied},
        {"fstat", Type(fxp::kAttrs)},
        {"fsetstat", denied},
        {"readdir", Type(fxp::kName)},
        {"fstatvfs@openssh.com", Status(C::kNoSuchFile)},
        {"fsync@openssh.com", fail},
        {"copy-data 0", fail},
        {"copy-data 1", denied}}},
      {"a directory handle",
       [](Harness& h) { return h.OpendirOk("/home"); },
       {{"close", ok},
        {"read", fail},
        {"write", fail},
        {"fstat", Type(fxp::kAttrs)},
        {"fsetstat", ok},
        {"readdir", Type(fxp::kName)},
        {"fstatvfs@openssh.com", Type(fxp::kExtendedReply)},
        {"fsync@openssh.com", fail},
        {"copy-data 0", fail},
        {"copy-data 1", fail}}},
      {"a read-only export's file handle",
       [](Harness& h) {
         testing::WriteFile(h.Real("ro", "f"), "ro");
         return h.OpenOk("/ro/f", fxp::kOpenRead);
       },
       {{"close", ok},
        {"read", Type(fxp::kData)},
        {"write", denied},
        {"fstat", Type(fxp::kAttrs)},
        {"fsetstat", denied},
        {"readdir", fail},
        {"fstatvfs@openssh.com", Type(fxp::kExtendedReply)},
        {"fsync@openssh.com", ok},
        {"copy-data 0", ok},
        {"copy-data 1", denied}}},
  };
}

std::vector<Row> HandleSlotRows() {
  std::vector<Row> rows;
  const Expect fail = Status(StatusCode::kFailure);
  for (const RequestInfo* info : RequestsWith('h')) {
    const size_t slots = Fields(info->name, 'h');
    for (size_t slot = 0; slot < slots; ++slot) {
      std::string prefix =
          std::string(info->name) + " handle " + std::to_string(slot) + ": ";
      // `bad` makes the hostile handle; the other fields get a live one.
      auto row = [&](std::string what, std::function<std::string(Harness&)> bad,
                     Expect e) {
        rows.push_back({prefix + what,
                        [info, slot, bad](Harness& h) {
                          std::string live = WithFile(h);
                          std::string hostile = bad(h);
                          return FromShape(
                              h, *info, 'h', slot,
                              [&](Writer& w) { w.String(hostile); }, live);
                        },
                        e});
      };
      row(
          "closed",
          [](Harness& h) {
            std::string dh = h.OpendirOk("/shared");
            REQUIRE(h.Call(h.Close(dh)).Is(StatusCode::kOk));
            return dh;
          },
          fail);
      row(
          "a live slot with a forged generation",
          [](Harness& h) {
            std::string dh = h.OpendirOk("/shared");
            const auto* p = reinterpret_cast<const uint8_t*>(dh.data());
            return FakeHandle(LoadU32(p), LoadU32(p + 4) ^ 0x80000000);
          },
          fail);
      row(
          "a live handle and one byte more",
          [](Harness& h) {
            return h.OpendirOk("/shared") + std::string(1, '\0');
          },
          fail);
      std::string key = std::string(info->name) +
                        (slots > 1 ? " " + std::to_string(slot) : "");
      for (const KindAnswers& k : WrongKinds()) {
        row(std::string(k.kind), k.open, k.by_request.at(key));
      }
    }
  }
  return rows;
}

// For every request of the table: its body empty, cut by one byte, and
// followed by one byte too many (but WRITE, whose data's length decides).
// All malformed.
std::vector<Row> GeneratedRows() {
  std::vector<Row> rows;
  for (const RequestInfo& info : Session::Requests()) {
    if (info.type == fxp::kInit) continue;  // its "id" is the whole body
    std::string name(info.name);
    bool ext = info.type == fxp::kExtended;
    // How the reason names the request: "OPEN", or the extension's name.
    std::string label = name;
    if (!ext) {
      for (char& c : label) c = char(toupper(static_cast<unsigned char>(c)));
    }
    if (name != "limits@openssh.com") {
      rows.push_back({name + ": empty body",
                      [name, ext](Harness& h) {
                        Bytes b = ValidRequest(h, name);
                        return Reframe(b, b.size() - HeaderBytes(name, ext));
                      },
                      Bad(label + ": the packet ends inside the ")});
      rows.push_back(
          {name + ": body one byte short",
           [name](Harness& h) { return Reframe(ValidRequest(h, name), 1); },
           Bad(label + ": the packet ends inside the ")});
    }
    if (name == "write") continue;  // bytes after WRITE's data: ignored
    rows.push_back(
        {name + ": trailing garbage",
         [name](Harness& h) { return Reframe(ValidRequest(h, name), 0, "!"); },
         Bad(label + ": 1 byte left after the ")});
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
  Harness h(row.init);
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
  std::vector<Reply> replies = h.TakeReplies();
  if (row.expect.pending) {
    CHECK(*n == 0);
    CHECK(replies.empty());
  } else {
    CHECK(*n == in.size());
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
      CHECK(h.audit().entries.back().rule.empty() == row.expect.kernel_denied);
    }
    // So is every request the engine cannot parse or does not serve, once,
    // with the reply's message and the reason.
    // (OP_UNSUPPORTED is also what the kernel's EOPNOTSUPP answers, for a
    // request the engine served.)
    if (r.Is(StatusCode::kBadMessage) ||
        (r.Is(StatusCode::kOpUnsupported) &&
         r.message.starts_with("Unsupported "))) {
      REQUIRE(h.audit().entries.size() == audit_before + 1);
      const RecordingAudit::Entry& e = h.audit().entries.back();
      INFO("audited op \"" << e.op << "\" detail \"" << e.detail << "\"");
      CHECK(e.rule == (r.Is(StatusCode::kBadMessage) ? kRuleMalformed
                                                     : kRuleUnsupported));
      CHECK(e.result == r.message);
      CHECK_FALSE(e.op.empty());
      CHECK_FALSE(e.detail.empty());
      CHECK(e.detail.find(row.expect.detail) != std::string::npos);
    } else {
      CHECK(row.expect.detail.empty());
    }
    if (row.check) row.check(h, r);
  }
  if (!row.init &&
      !(replies.size() == 1 && replies[0].type == fxp::kVersionReply)) {
    REQUIRE(h.Call(h.Init()).type == fxp::kVersionReply);
  }
  CheckUsable(h);
}

// Every engine table, by name, for the runs below and the count.
std::vector<std::pair<std::string, std::vector<Row>>> EngineTables() {
  std::vector<std::pair<std::string, std::vector<Row>>> t;
  t.emplace_back("HandWrittenRows", HandWrittenRows());
  t.emplace_back("StateRows", StateRows());
  t.emplace_back("ExtensionRows", ExtensionRows());
  t.emplace_back("AttrAndHandleRows", AttrAndHandleRows());
  t.emplace_back("PathRows", PathRows());
  t.emplace_back("GeneratedRows", GeneratedRows());
  t.emplace_back("PathSlotRows", PathSlotRows());
  t.emplace_back("HandleSlotRows", HandleSlotRows());
  return t;
}

TEST_CASE("hostile: the table of hostile inputs", "[hostile]") {
  std::vector<Row> hand = HandWrittenRows();
  CHECK(hand.size() >= 45);
  for (Row& row : hand) RunRow(row);
}

TEST_CASE("hostile: protocol state, partial packets and extension names",
          "[hostile]") {
  for (Row& row : StateRows()) RunRow(row);
}

TEST_CASE("hostile: every extension with hostile arguments", "[hostile]") {
  std::vector<Row> rows = ExtensionRows();
  // Each extension of the request table has a row of its own.
  for (const RequestInfo& info : Session::Requests()) {
    if (info.type != fxp::kExtended) continue;
    std::string stem(info.name.substr(0, info.name.find('@')));
    bool found = std::any_of(rows.begin(), rows.end(), [&](const Row& r) {
      return r.name.rfind(stem + " ", 0) == 0;
    });
    CHECK(found);
    if (!found) UNSCOPED_INFO("no row for " << info.name);
  }
  for (Row& row : rows) RunRow(row);
}

TEST_CASE("hostile: attrs and handles", "[hostile]") {
  for (Row& row : AttrAndHandleRows()) RunRow(row);
}

TEST_CASE("hostile: long names, dots, symlinks and odd bytes in paths",
          "[hostile]") {
  for (Row& row : PathRows()) RunRow(row);
}

TEST_CASE("hostile: every request with a malformed body is BAD_MESSAGE",
          "[hostile]") {
  std::vector<Row> rows = GeneratedRows();
  // Three rows for most of the table's rows: none was left out.
  CHECK(rows.size() >= 3 * (Session::Requests().size() - 2));
  for (Row& row : rows) RunRow(row);
}

TEST_CASE("hostile: every path field with a NUL, too long, or leading out",
          "[hostile]") {
  std::vector<Row> rows = PathSlotRows();
  size_t fields = 0;
  for (const RequestInfo* info : RequestsWith('p')) {
    fields += Fields(info->name, 'p');
  }
  CHECK(fields >= 20);
  CHECK(rows.size() == 4 * fields);
  for (Row& row : rows) RunRow(row);
}

TEST_CASE("hostile: every handle field with a bad or wrong-kind handle",
          "[hostile]") {
  std::vector<Row> rows = HandleSlotRows();
  size_t fields = 0;
  for (const RequestInfo* info : RequestsWith('h')) {
    fields += Fields(info->name, 'h');
  }
  CHECK(fields >= 10);
  CHECK(rows.size() == (3 + WrongKinds().size()) * fields);
  for (Row& row : rows) RunRow(row);
}

TEST_CASE("hostile: random packets with valid framing each get one reply",
          "[hostile]") {
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

namespace hostile {

// Rows of the tables in hostile_config_test.cc, by table.
std::vector<std::pair<std::string, size_t>> ConfigAndKeyTableSizes();

namespace {

TEST_CASE("hostile: the table has at least 150 cases", "[hostile]") {
  std::vector<std::pair<std::string, size_t>> sizes;
  for (const auto& [name, rows] : EngineTables()) {
    sizes.emplace_back(name, rows.size());
  }
  for (const auto& s : ConfigAndKeyTableSizes()) sizes.push_back(s);
  size_t total = 0;
  for (const auto& [name, n] : sizes) {
    UNSCOPED_INFO(name << ": " << n);
    CHECK(n > 0);
    total += n;
  }
  UNSCOPED_INFO("total: " << total);
  CHECK(sizes.size() == 11);
  CHECK(total >= 150);
  // Printed with -s, so the counts can be read off a run.
  SUCCEED("hostile cases: " << total);
}

}  // namespace
}  // namespace hostile
}  // namespace sftpd
