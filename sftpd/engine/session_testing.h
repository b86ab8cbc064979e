// A test harness for the SFTP engine, shared by session_test.cc and
// hostile_test.cc: a temporary tree of real export directories, a Session over
// them with a RecordingAudit, request builders and a reply parser. The harness
// owns the tree and removes it (never following symlinks) when destroyed.
// Header-only, test code only; not thread-safe.
#ifndef SFTPD_SFTPD_ENGINE_SESSION_TESTING_H_
#define SFTPD_SFTPD_ENGINE_SESSION_TESTING_H_

#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sftpd/audit/audit.h"
#include "sftpd/audit/recording_audit.h"
#include "sftpd/base/limits.h"
#include "sftpd/base/wire.h"
#include "sftpd/engine/protocol.h"
#include "sftpd/engine/session.h"
#include "sftpd/engine/status.h"
#include "sftpd/vfs/attrs.h"
#include "sftpd/vfs/exports.h"

namespace sftpd::testing {

// One reply packet, parsed according to its type. Fields that the type does
// not carry stay empty.
struct Reply {
  struct Name {
    std::string name;
    std::string longname;
    Attrs attrs;
  };
  uint8_t type = 0;
  uint32_t id = 0;  // VERSION: the version
  StatusCode code = StatusCode::kOk;
  std::string message;      // STATUS
  std::string handle;       // HANDLE
  std::string data;         // DATA
  std::vector<Name> names;  // NAME
  Attrs attrs;              // ATTRS
  Bytes extended;           // EXTENDED_REPLY: everything after the id
  std::vector<std::pair<std::string, std::string>> extensions;  // VERSION
  bool well_formed = false;  // the body matched its type exactly

  bool Is(StatusCode c) const { return type == fxp::kStatus && code == c; }
};

// Splits `out` into packets and parses each. A packet that does not parse
// keeps well_formed == false; a truncated frame at the end fails the test.
inline std::vector<Reply> ParseReplies(const Bytes& out) {
  std::vector<Reply> replies;
  size_t pos = 0;
  while (pos < out.size()) {
    REQUIRE(out.size() - pos >= 4);
    uint32_t len = LoadU32(out.data() + pos);
    REQUIRE(len <= kMaxPacket);
    REQUIRE(out.size() - pos - 4 >= len);
    Reader r(std::span<const uint8_t>(out.data() + pos + 4, len));
    pos += 4 + size_t(len);
    Reply rep;
    rep.type = r.U8();
    rep.id = r.U32();
    switch (rep.type) {
      case fxp::kVersionReply:
        while (r.ok() && r.remaining() > 0) {
          std::string name(r.String());
          std::string version(r.String());
          rep.extensions.emplace_back(std::move(name), std::move(version));
        }
        break;
      case fxp::kStatus:
        rep.code = StatusCode(r.U32());
        rep.message = std::string(r.String());
        r.String();  // language tag
        break;
      case fxp::kHandle:
        rep.handle = std::string(r.String());
        break;
      case fxp::kData:
        rep.data = std::string(r.String());
        break;
      case fxp::kName: {
        uint32_t n = r.U32();
        for (uint32_t i = 0; i < n && r.ok(); ++i) {
          Reply::Name nm;
          nm.name = std::string(r.String());
          nm.longname = std::string(r.String());
          nm.attrs = ReadAttrs(r);
          rep.names.push_back(std::move(nm));
        }
        break;
      }
      case fxp::kAttrs:
        rep.attrs = ReadAttrs(r);
        break;
      case fxp::kExtendedReply: {
        size_t n = r.remaining();
        for (size_t i = 0; i < n; ++i) rep.extended.push_back(r.U8());
        break;
      }
      default:
        break;
    }
    rep.well_formed = r.Done();
    replies.push_back(std::move(rep));
  }
  return replies;
}

// Builds one framed request packet: type, id, then whatever `body` writes.
template <typename F>
Bytes Packet(uint8_t type, uint32_t id, F body) {
  Bytes b;
  Writer w(b);
  size_t p = w.Begin(type);
  w.U32(id);
  body(w);
  w.End(p);
  return b;
}

inline Attrs PermAttrs(uint32_t mode) {
  Attrs a;
  a.flags = Attrs::kPermissions;
  a.permissions = mode;
  return a;
}

// Writes `content` to the real file `path` (created 0644, truncated).
inline void WriteFile(const std::string& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    REQUIRE(n > 0);
    done += size_t(n);
  }
  ::close(fd);
}

inline std::string ReadFile(const std::string& path) {
  std::string out;
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return "<missing>";
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  fclose(f);
  return out;
}

inline struct stat LStat(const std::string& path) {
  struct stat st = {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

inline bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// Ends the test process if it is still alive `seconds` from now, so a request
// that hangs the engine fails the run instead of stalling it; 0 disarms.
inline void Deadline(unsigned seconds) { alarm(seconds); }

inline std::string CurrentUserName() {
  struct passwd* pw = getpwuid(getuid());
  return pw != nullptr ? pw->pw_name : std::to_string(getuid());
}

// A session over four exports in a fresh temporary directory:
//   home   rw, umask 022 (the first export: where relative paths start)
//   shared rw, umask 027
//   ro     ro
//   own    rw, owner_only
// and "outside/canary" next to them, which no request may reach. With
// `atomic_uploads`, the three rw exports stage their uploads.
class Harness {
 public:
  // A user the tests can give files to, so they are not the session's own.
  static constexpr uid_t kForeignUid = 65534;

  explicit Harness(bool init = true, bool atomic_uploads = false)
      : old_umask_(umask(0)) {
    // As the front doors do: each export's own umask is the only one.
    char tmpl[] = "/tmp/sftpd-session-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    root_ = tmpl;
    for (const char* d : {"home", "shared", "ro", "own", "outside"}) {
      REQUIRE(::mkdir((root_ + "/" + d).c_str(), 0755) == 0);
    }
    WriteFile(root_ + "/outside/canary", "canary");
    const bool atomic = atomic_uploads;
    std::vector<ExportSpec> specs = {
        {"home", root_ + "/home", Access::kReadWrite, false, 022, atomic},
        {"shared", root_ + "/shared", Access::kReadWrite, false, 027, atomic},
        {"ro", root_ + "/ro", Access::kReadOnly, false, 022},
        {"own", root_ + "/own", Access::kReadWrite, true, 022, atomic},
    };
    Result<std::unique_ptr<Exports>> ex = Exports::Open(specs, getuid());
    REQUIRE(ex.ok());
    exports_ = std::move(ex.value());
    user_ = CurrentUserName();
    session_ = std::make_unique<Session>(*exports_, audit_, user_);
    if (init) {
      Reply v = Call(Init());
      REQUIRE(v.type == fxp::kVersionReply);
    }
  }

  ~Harness() {
    session_.reset();  // closes handles before the tree goes
    exports_.reset();
    if (!root_.empty()) RemoveTree(root_);
    umask(old_umask_);
  }

  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  // Starts the session over (INIT answered) with SYMLINK read in `order`.
  void RestartWith(SymlinkOrder order) {
    session_ = std::make_unique<Session>(*exports_, audit_, user_, order);
    REQUIRE(Call(Init()).type == fxp::kVersionReply);
  }

  Session& session() { return *session_; }
  // The exports, for a test that runs a Session of its own over them.
  Exports& exports() { return *exports_; }
  RecordingAudit& audit() { return audit_; }
  const std::string& root() const { return root_; }
  const std::string& user() const { return user_; }
  // The real path of `rel` in export directory `dir` ("home", "outside"...).
  std::string Real(std::string_view dir, std::string_view rel = "") const {
    std::string p = root_ + "/" + std::string(dir);
    if (!rel.empty()) p += "/" + std::string(rel);
    return p;
  }

  // The id the next built request gets, and the one the last one got.
  uint32_t next_id() const { return next_id_; }
  uint32_t last_id() const { return next_id_ - 1; }

  // --- request builders (each takes the next id) ---------------------------

  template <typename F>
  Bytes Build(uint8_t type, F body) {
    return Packet(type, next_id_++, body);
  }
  Bytes Init(uint32_t version = 3) {
    return Packet(fxp::kInit, version, [](Writer&) {});
  }
  Bytes Open(std::string_view path, uint32_t pflags, const Attrs& a = {}) {
    return Build(fxp::kOpen, [&](Writer& w) {
      w.String(path);
      w.U32(pflags);
      WriteAttrs(w, a);
    });
  }
  Bytes Close(std::string_view h) { return HandleOnly(fxp::kClose, h); }
  Bytes Read(std::string_view h, uint64_t off, uint32_t len) {
    return Build(fxp::kRead, [&](Writer& w) {
      w.String(h);
      w.U64(off);
      w.U32(len);
    });
  }
  Bytes Write(std::string_view h, uint64_t off, std::string_view data) {
    return Build(fxp::kWrite, [&](Writer& w) {
      w.String(h);
      w.U64(off);
      w.String(data);
    });
  }
  Bytes Lstat(std::string_view p) { return PathOnly(fxp::kLstat, p); }
  Bytes Stat(std::string_view p) { return PathOnly(fxp::kStat, p); }
  Bytes Fstat(std::string_view h) { return HandleOnly(fxp::kFstat, h); }
  Bytes Setstat(std::string_view p, const Attrs& a) {
    return Build(fxp::kSetstat, [&](Writer& w) {
      w.String(p);
      WriteAttrs(w, a);
    });
  }
  Bytes Fsetstat(std::string_view h, const Attrs& a) {
    return Build(fxp::kFsetstat, [&](Writer& w) {
      w.String(h);
      WriteAttrs(w, a);
    });
  }
  Bytes Opendir(std::string_view p) { return PathOnly(fxp::kOpendir, p); }
  Bytes Readdir(std::string_view h) { return HandleOnly(fxp::kReaddir, h); }
  Bytes Remove(std::string_view p) { return PathOnly(fxp::kRemove, p); }
  Bytes Mkdir(std::string_view p, const Attrs& a = {}) {
    return Build(fxp::kMkdir, [&](Writer& w) {
      w.String(p);
      WriteAttrs(w, a);
    });
  }
  Bytes Rmdir(std::string_view p) { return PathOnly(fxp::kRmdir, p); }
  Bytes Realpath(std::string_view p) { return PathOnly(fxp::kRealpath, p); }
  Bytes Rename(std::string_view from, std::string_view to) {
    return TwoPaths(fxp::kRename, from, to);
  }
  Bytes Readlink(std::string_view p) { return PathOnly(fxp::kReadlink, p); }
  // OpenSSH's order: the link's target first, then the new link's path.
  Bytes Symlink(std::string_view target, std::string_view link) {
    return TwoPaths(fxp::kSymlink, target, link);
  }

  // An extended request: name, then whatever `body` writes.
  template <typename F>
  Bytes Ext(std::string_view name, F body) {
    return Build(fxp::kExtended, [&](Writer& w) {
      w.String(name);
      body(w);
    });
  }
  Bytes PosixRename(std::string_view from, std::string_view to) {
    return Ext("posix-rename@openssh.com", [&](Writer& w) {
      w.String(from);
      w.String(to);
    });
  }
  Bytes Hardlink(std::string_view from, std::string_view to) {
    return Ext("hardlink@openssh.com", [&](Writer& w) {
      w.String(from);
      w.String(to);
    });
  }
  Bytes Statvfs(std::string_view p) {
    return Ext("statvfs@openssh.com", [&](Writer& w) { w.String(p); });
  }
  Bytes Fstatvfs(std::string_view h) {
    return Ext("fstatvfs@openssh.com", [&](Writer& w) { w.String(h); });
  }
  Bytes Fsync(std::string_view h) {
    return Ext("fsync@openssh.com", [&](Writer& w) { w.String(h); });
  }
  Bytes Lsetstat(std::string_view p, const Attrs& a) {
    return Ext("lsetstat@openssh.com", [&](Writer& w) {
      w.String(p);
      WriteAttrs(w, a);
    });
  }
  Bytes Limits() {
    return Ext("limits@openssh.com", [](Writer&) {});
  }
  Bytes ExpandPath(std::string_view p) {
    return Ext("expand-path@openssh.com", [&](Writer& w) { w.String(p); });
  }
  Bytes CopyData(std::string_view from, uint64_t from_off, uint64_t len,
                 std::string_view to, uint64_t to_off) {
    return Ext("copy-data", [&](Writer& w) {
      w.String(from);
      w.U64(from_off);
      w.U64(len);
      w.String(to);
      w.U64(to_off);
    });
  }
  Bytes HomeDirectory(std::string_view user) {
    return Ext("home-directory", [&](Writer& w) { w.String(user); });
  }
  Bytes UsersGroupsById(const std::vector<uint32_t>& uids,
                        const std::vector<uint32_t>& gids) {
    auto blob = [](const std::vector<uint32_t>& ids) {
      Bytes b;
      Writer bw(b);
      for (uint32_t id : ids) bw.U32(id);
      return b;
    };
    Bytes u = blob(uids), g = blob(gids);
    return Ext("users-groups-by-id@openssh.com", [&](Writer& w) {
      w.String(std::span<const uint8_t>(u));
      w.String(std::span<const uint8_t>(g));
    });
  }

  // --- sending -------------------------------------------------------------

  // Feeds `input` to one Process() call and returns its result; the replies
  // stay in the session's output.
  Result<size_t> Feed(std::span<const uint8_t> input) {
    return session_->Process(input);
  }

  // Parses and clears everything the session has written so far.
  std::vector<Reply> TakeReplies() {
    std::vector<Reply> r = ParseReplies(session_->output());
    session_->output().clear();
    return r;
  }

  // Sends one whole packet and returns its one reply; fails the test if the
  // packet is not consumed or does not get exactly one well-formed reply.
  Reply Call(const Bytes& packet) {
    Result<size_t> n = Feed(packet);
    REQUIRE(n.ok());
    REQUIRE(*n == packet.size());
    std::vector<Reply> r = TakeReplies();
    REQUIRE(r.size() == 1);
    CHECK(r[0].well_formed);
    return std::move(r[0]);
  }

  // Opens `path` and returns the handle; fails the test unless it worked.
  std::string OpenOk(std::string_view path, uint32_t pflags,
                     const Attrs& a = {}) {
    Reply r = Call(Open(path, pflags, a));
    INFO("open " << path << ": " << r.message);
    REQUIRE(r.type == fxp::kHandle);
    return r.handle;
  }
  std::string OpendirOk(std::string_view path) {
    Reply r = Call(Opendir(path));
    INFO("opendir " << path << ": " << r.message);
    REQUIRE(r.type == fxp::kHandle);
    return r.handle;
  }

  // Every name READDIR gives for an open directory handle, until EOF
  // (bounded: fails the test after `max_batches` NAME replies).
  std::vector<Reply::Name> ReaddirAll(std::string_view handle,
                                      int max_batches = 100) {
    std::vector<Reply::Name> all;
    for (int i = 0; i < max_batches; ++i) {
      Reply r = Call(Readdir(handle));
      if (r.Is(StatusCode::kEof)) return all;
      REQUIRE(r.type == fxp::kName);
      for (Reply::Name& n : r.names) all.push_back(std::move(n));
    }
    FAIL("READDIR did not reach EOF");
    return all;
  }

 private:
  Bytes PathOnly(uint8_t type, std::string_view p) {
    return Build(type, [&](Writer& w) { w.String(p); });
  }
  Bytes HandleOnly(uint8_t type, std::string_view h) {
    return Build(type, [&](Writer& w) { w.String(h); });
  }
  Bytes TwoPaths(uint8_t type, std::string_view a, std::string_view b) {
    return Build(type, [&](Writer& w) {
      w.String(a);
      w.String(b);
    });
  }

  // Deletes a tree bottom-up without following symlinks (FTW_PHYS), and
  // without leaving the file system (FTW_MOUNT).
  static void RemoveTree(const std::string& path) {
    nftw(
        path.c_str(),
        [](const char* p, const struct stat*, int, struct FTW*) {
          ::remove(p);
          return 0;
        },
        16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  }

  mode_t old_umask_;
  std::string root_;
  std::string user_;
  std::unique_ptr<Exports> exports_;
  RecordingAudit audit_;
  std::unique_ptr<Session> session_;
  uint32_t next_id_ = 1;
};

}  // namespace sftpd::testing

#endif  // SFTPD_SFTPD_ENGINE_SESSION_TESTING_H_
