// The SFTP engine in-process: every request handler against real export
// directories, the request table's gates (read-only, virtual root,
// owner_only), pipelining, the handle and output limits, and the audit trail.
#include "sftpd/engine/session.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sftpd/audit/limit.h"
#include "sftpd/engine/session_testing.h"

namespace sftpd {
namespace {

using testing::Exists;
using testing::Harness;
using testing::LStat;
using testing::PermAttrs;
using testing::ReadFile;
using testing::Reply;
using testing::WriteFile;

constexpr uint32_t kR = fxp::kOpenRead;
constexpr uint32_t kW = fxp::kOpenWrite;
constexpr uint32_t kA = fxp::kOpenAppend;
constexpr uint32_t kC = fxp::kOpenCreate;
constexpr uint32_t kT = fxp::kOpenTruncate;
constexpr uint32_t kX = fxp::kOpenExclusive;

// The eleven u64 fields of a statvfs@openssh.com reply.
std::vector<uint64_t> U64s(const Bytes& b) {
  std::vector<uint64_t> out;
  Reader r(b);
  while (r.remaining() >= 8) out.push_back(r.U64());
  return out;
}

// The 8-byte wire handle as {slot, generation}.
std::pair<uint32_t, uint32_t> SlotGen(const std::string& h) {
  REQUIRE(h.size() == 8);
  const auto* p = reinterpret_cast<const uint8_t*>(h.data());
  return {LoadU32(p), LoadU32(p + 4)};
}

TEST_CASE(
    "session: INIT answers VERSION 3 with exactly the table's extensions") {
  Harness h(false);
  Reply v = h.Call(h.Init(3));
  REQUIRE(v.type == fxp::kVersionReply);
  CHECK(v.id == 3);
  std::vector<std::string> names;
  for (const auto& [name, version] : v.extensions) names.push_back(name);
  const std::vector<std::string> want = {"posix-rename@openssh.com",
                                         "statvfs@openssh.com",
                                         "fstatvfs@openssh.com",
                                         "hardlink@openssh.com",
                                         "fsync@openssh.com",
                                         "lsetstat@openssh.com",
                                         "limits@openssh.com",
                                         "expand-path@openssh.com",
                                         "copy-data",
                                         "home-directory",
                                         "users-groups-by-id@openssh.com"};
  CHECK(names == want);
  // The same rows, with the same versions, as the table advertises.
  std::vector<std::pair<std::string, std::string>> table;
  for (const RequestInfo& info : Session::Requests()) {
    if (!info.ext_version.empty()) {
      table.emplace_back(std::string(info.name), std::string(info.ext_version));
    }
  }
  CHECK(v.extensions == table);

  // A client asking for a later version still gets 3.
  Harness h6(false);
  CHECK(h6.Call(h6.Init(6)).id == 3);
}

TEST_CASE("session: requests before INIT are answered with FAILURE") {
  Harness h(false);
  for (Bytes p :
       {h.Realpath("."), h.Open("/home/x", kW | kC), h.Limits(), h.Stat("/")}) {
    uint32_t id = LoadU32(p.data() + 5);
    Reply r = h.Call(p);
    CHECK(r.Is(StatusCode::kFailure));
    CHECK(r.id == id);
  }
  CHECK_FALSE(Exists(h.Real("home", "x")));
  REQUIRE(h.Call(h.Init()).type == fxp::kVersionReply);
  CHECK(h.Call(h.Realpath(".")).type == fxp::kName);
}

TEST_CASE(
    "session: OPEN creates with the export umask applied to attrs perms") {
  Harness h;
  std::string fh = h.OpenOk("/shared/f", kW | kC, PermAttrs(0666));
  CHECK((LStat(h.Real("shared", "f")).st_mode & 07777) == 0640);
  CHECK(h.Call(h.Close(fh)).Is(StatusCode::kOk));

  fh = h.OpenOk("/home/g", kW | kC, PermAttrs(0666));
  CHECK((LStat(h.Real("home", "g")).st_mode & 07777) == 0644);
  CHECK(h.Call(h.Close(fh)).Is(StatusCode::kOk));

  // No perms given: 0666 under the umask.
  fh = h.OpenOk("/shared/d", kW | kC);
  CHECK((LStat(h.Real("shared", "d")).st_mode & 07777) == 0640);
  CHECK(h.Call(h.Close(fh)).Is(StatusCode::kOk));

  // Other attrs are applied after the create.
  Attrs a = PermAttrs(0600);
  a.flags |= Attrs::kAcModTime;
  a.atime = 1000000000;
  a.mtime = 1100000000;
  fh = h.OpenOk("/home/t", kW | kC, a);
  struct stat st = LStat(h.Real("home", "t"));
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_mtim.tv_sec == 1100000000);
  CHECK(h.Call(h.Close(fh)).Is(StatusCode::kOk));
}

TEST_CASE("session: OPEN flags: READ, EXCL, TRUNC, APPEND, CREAT") {
  Harness h;
  WriteFile(h.Real("home", "f"), "0123456789");

  SECTION("READ of a missing file is NO_SUCH_FILE") {
    CHECK(h.Call(h.Open("/home/missing", kR)).Is(StatusCode::kNoSuchFile));
    CHECK_FALSE(Exists(h.Real("home", "missing")));
  }
  SECTION("READ opens for reading only") {
    std::string fh = h.OpenOk("/home/f", kR);
    CHECK(h.Call(h.Read(fh, 0, 100)).data == "0123456789");
    CHECK(h.Call(h.Write(fh, 0, "x")).Is(StatusCode::kFailure));
    CHECK(ReadFile(h.Real("home", "f")) == "0123456789");
  }
  SECTION("CREAT|EXCL on an existing file fails and leaves it alone") {
    CHECK(h.Call(h.Open("/home/f", kW | kC | kX)).Is(StatusCode::kFailure));
    CHECK(ReadFile(h.Real("home", "f")) == "0123456789");
    std::string fh = h.OpenOk("/home/new", kW | kC | kX);
    CHECK(Exists(h.Real("home", "new")));
    CHECK(h.Call(h.Close(fh)).Is(StatusCode::kOk));
  }
  SECTION("CREAT without TRUNC on an existing file keeps its data") {
    std::string fh = h.OpenOk("/home/f", kW | kC);
    CHECK(h.Call(h.Write(fh, 2, "ab")).Is(StatusCode::kOk));
    CHECK(ReadFile(h.Real("home", "f")) == "01ab456789");
  }
  SECTION("TRUNC truncates") {
    std::string fh = h.OpenOk("/home/f", kW | kT);
    CHECK(LStat(h.Real("home", "f")).st_size == 0);
    CHECK(h.Call(h.Write(fh, 0, "xy")).Is(StatusCode::kOk));
    CHECK(ReadFile(h.Real("home", "f")) == "xy");
  }
  SECTION("APPEND appends whatever the offset") {
    std::string fh = h.OpenOk("/home/f", kW | kA);
    CHECK(h.Call(h.Write(fh, 0, "AB")).Is(StatusCode::kOk));
    CHECK(h.Call(h.Write(fh, 3, "CD")).Is(StatusCode::kOk));
    CHECK(ReadFile(h.Real("home", "f")) == "0123456789ABCD");
  }
  SECTION("READ|WRITE|APPEND reads anywhere and appends") {
    std::string fh = h.OpenOk("/home/f", kR | kW | kA);
    CHECK(h.Call(h.Write(fh, 0, "Z")).Is(StatusCode::kOk));
    CHECK(h.Call(h.Read(fh, 0, 4)).data == "0123");
    CHECK(ReadFile(h.Real("home", "f")) == "0123456789Z");
  }
  SECTION("READ|APPEND reads and appends") {
    std::string fh = h.OpenOk("/home/f", kR | kA);
    CHECK(h.Call(h.Read(fh, 2, 3)).data == "234");
    CHECK(h.Call(h.Write(fh, 0, "Y")).Is(StatusCode::kOk));
    CHECK(ReadFile(h.Real("home", "f")) == "0123456789Y");
  }
  SECTION("WRITE without READ cannot read") {
    std::string fh = h.OpenOk("/home/f", kW);
    CHECK(h.Call(h.Read(fh, 0, 4)).Is(StatusCode::kFailure));
  }
}

// The names in real directory `dir` that atomic_uploads staged.
std::vector<std::string> StagedIn(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = readdir(d)) {
    if (std::string_view(e->d_name).starts_with(Upload::kPrefix)) {
      out.push_back(e->d_name);
    }
  }
  closedir(d);
  return out;
}

TEST_CASE("session: atomic_uploads: the name appears only at CLOSE") {
  Harness h(true, /*atomic_uploads=*/true);
  const std::string f = h.Real("home", "f");

  SECTION("a new file") {
    std::string fh = h.OpenOk("/home/f", kW | kC | kT, PermAttrs(0640));
    CHECK_FALSE(Exists(f));
    REQUIRE(StagedIn(h.Real("home")).size() == 1);
    CHECK(h.Call(h.Write(fh, 0, "hello")).Is(StatusCode::kOk));
    CHECK(h.Call(h.Fstat(fh)).attrs.size == 5);
    CHECK_FALSE(Exists(f));
    CHECK(h.Call(h.Close(fh)).Is(StatusCode::kOk));
    CHECK(ReadFile(f) == "hello");
    CHECK((LStat(f).st_mode & 07777) == 0640);
    CHECK(StagedIn(h.Real("home")).empty());
    const auto& e = h.audit().entries;
    REQUIRE(e.size() == 2);
    CHECK(e[0].detail == "wct atomic");
    CHECK(e[1].op == "close");
    CHECK(e[1].result == "ok");
    CHECK(e[1].detail == "upload committed");
    CHECK(e[1].bytes_written == 5);
  }
  SECTION("an existing file keeps its content until CLOSE, then its mode") {
    WriteFile(f, "old content");
    REQUIRE(chmod(f.c_str(), 0604) == 0);
    std::string fh = h.OpenOk("/home/f", kW | kC | kT, PermAttrs(0600));
    CHECK(ReadFile(f) == "old content");
    CHECK(h.Call(h.Write(fh, 0, "new")).Is(StatusCode::kOk));
    CHECK(ReadFile(f) == "old content");
    CHECK(h.Call(h.Close(fh)).Is(StatusCode::kOk));
    CHECK(ReadFile(f) == "new");
    CHECK((LStat(f).st_mode & 07777) == 0604);
  }
  SECTION("CREAT|EXCL stages too; a name taken meanwhile fails the CLOSE") {
    std::string fh = h.OpenOk("/home/f", kW | kC | kX);
    CHECK(h.Call(h.Write(fh, 0, "mine")).Is(StatusCode::kOk));
    WriteFile(f, "theirs");
    CHECK(h.Call(h.Close(fh)).Is(StatusCode::kFailure));
    CHECK(ReadFile(f) == "theirs");
    CHECK(StagedIn(h.Real("home")).empty());
    CHECK(h.Call(h.Open("/home/f", kW | kC | kX)).Is(StatusCode::kFailure));
  }
  SECTION("a staged file moved away fails the CLOSE and takes no name") {
    std::string fh = h.OpenOk("/home/f", kW | kC | kT);
    std::vector<std::string> staged = StagedIn(h.Real("home"));
    REQUIRE(staged.size() == 1);
    REQUIRE(rename(h.Real("home", staged[0]).c_str(),
                   h.Real("home", "elsewhere").c_str()) == 0);
    WriteFile(h.Real("home", staged[0]), "planted");
    CHECK(h.Call(h.Close(fh)).Is(StatusCode::kNoSuchFile));
    CHECK_FALSE(Exists(f));
    CHECK(ReadFile(h.Real("home", staged[0])) == "planted");
  }
  SECTION("opens that keep content, and symlinks, are not staged") {
    WriteFile(f, "0123456789");
    REQUIRE(symlink("f", h.Real("home", "link").c_str()) == 0);
    std::string a = h.OpenOk("/home/f", kW | kC);
    CHECK(h.Call(h.Write(a, 0, "ab")).Is(StatusCode::kOk));
    CHECK(ReadFile(f) == "ab23456789");
    std::string b = h.OpenOk("/home/link", kW | kT);
    CHECK(LStat(f).st_size == 0);
    CHECK(h.Call(h.Write(b, 0, "via link")).Is(StatusCode::kOk));
    CHECK(ReadFile(f) == "via link");
    CHECK(S_ISLNK(LStat(h.Real("home", "link")).st_mode));
    CHECK(StagedIn(h.Real("home")).empty());
  }
  SECTION("a directory, a missing name without CREAT, an export root") {
    REQUIRE(mkdir(h.Real("home", "d").c_str(), 0755) == 0);
    CHECK(h.Call(h.Open("/home/d", kW | kC | kT)).Is(StatusCode::kFailure));
    CHECK(h.Call(h.Open("/home/gone", kW | kT)).Is(StatusCode::kNoSuchFile));
    CHECK(h.Call(h.Open("/home", kW | kC | kT)).Is(StatusCode::kFailure));
    CHECK(StagedIn(h.Real("home")).empty());
  }
  SECTION("owner_only: another user's file is not replaced") {
    const std::string theirs = h.Real("own", "theirs");
    WriteFile(theirs, "not yours");
    REQUIRE(chown(theirs.c_str(), Harness::kForeignUid, Harness::kForeignUid) ==
            0);
    CHECK(h.Call(h.Open("/own/theirs", kW | kC | kT))
              .Is(StatusCode::kNoSuchFile));
    CHECK(ReadFile(theirs) == "not yours");
    CHECK(StagedIn(h.Real("own")).empty());
    // One staged while the name was free, then taken by another user.
    std::string fh = h.OpenOk("/own/later", kW | kC | kT);
    const std::string later = h.Real("own", "later");
    WriteFile(later, "theirs too");
    REQUIRE(chown(later.c_str(), Harness::kForeignUid, Harness::kForeignUid) ==
            0);
    CHECK(h.Call(h.Close(fh)).Is(StatusCode::kNoSuchFile));
    CHECK(ReadFile(later) == "theirs too");
    CHECK(StagedIn(h.Real("own")).empty());
  }
}

TEST_CASE("session: atomic_uploads: an upload cut short never takes its name") {
  Harness h(true, /*atomic_uploads=*/true);
  const std::string f = h.Real("home", "f");
  WriteFile(f, "old");

  SECTION("the session ends without CLOSE") {
    std::string fh = h.OpenOk("/home/f", kW | kC | kT);
    CHECK(h.Call(h.Write(fh, 0, "partial")).Is(StatusCode::kOk));
    h.session().Close();
    CHECK(ReadFile(f) == "old");
    CHECK(StagedIn(h.Real("home")).empty());
    const auto& e = h.audit().entries;
    REQUIRE(e.size() == 2);
    CHECK(e[1].op == "close");
    CHECK(e[1].detail == "upload discarded: the session ended");
    CHECK(e[1].bytes_written == 7);
  }
  SECTION("a WRITE failed (file size limit), so CLOSE discards it") {
    std::string fh = h.OpenOk("/home/f", kW | kC | kT);
    CHECK(h.Call(h.Write(fh, 0, "first")).Is(StatusCode::kOk));
    struct rlimit old;
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    struct rlimit small = old;
    small.rlim_cur = 4096;
    auto old_handler = signal(SIGXFSZ, SIG_IGN);
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    Reply w = h.Call(h.Write(fh, 8192, "beyond the limit"));
    REQUIRE(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, old_handler);
    CHECK(w.Is(StatusCode::kFailure));
    CHECK(w.message == "File too large");
    Reply c = h.Call(h.Close(fh));
    CHECK(c.Is(StatusCode::kFailure));
    CHECK(c.message == "Upload incomplete: discarded");
    CHECK(ReadFile(f) == "old");
    CHECK(StagedIn(h.Real("home")).empty());
    CHECK(h.audit().entries.back().detail ==
          "upload discarded: a write failed");
  }
  SECTION("without atomic_uploads the partial file is kept as sent") {
    Harness plain;
    std::string fh = plain.OpenOk("/home/g", kW | kC | kT);
    CHECK(plain.Call(plain.Write(fh, 0, "partial")).Is(StatusCode::kOk));
    plain.session().Close();
    CHECK(ReadFile(plain.Real("home", "g")) == "partial");
  }
}

TEST_CASE("session: every request the table audits records its success") {
  Harness h;
  WriteFile(h.Real("home", "f"), "data");
  std::string fh = h.OpenOk("/home/f", kR | kW);
  std::string gh = h.OpenOk("/home/g", kW | kC);
  // One successful request per row, by name.
  std::map<std::string, std::function<Bytes()>> ok = {
      {"open", [&] { return h.Open("/home/f", kR); }},
      {"close", [&] { return h.Close(h.OpenOk("/home/f", kR)); }},
      {"setstat", [&] { return h.Setstat("/home/f", PermAttrs(0600)); }},
      {"fsetstat", [&] { return h.Fsetstat(fh, PermAttrs(0644)); }},
      {"opendir", [&] { return h.Opendir("/home"); }},
      {"remove",
       [&] {
         WriteFile(h.Real("home", "r"), "");
         return h.Remove("/home/r");
       }},
      {"mkdir", [&] { return h.Mkdir("/home/d"); }},
      {"rmdir", [&] { return h.Rmdir("/home/d"); }},
      {"rename", [&] { return h.Rename("/home/f", "/home/f2"); }},
      {"symlink", [&] { return h.Symlink("f2", "/home/l"); }},
      {"posix-rename@openssh.com",
       [&] { return h.PosixRename("/home/f2", "/home/f"); }},
      {"hardlink@openssh.com",
       [&] { return h.Hardlink("/home/f", "/home/hl"); }},
      {"lsetstat@openssh.com",
       [&] { return h.Lsetstat("/home/f", PermAttrs(0640)); }},
      {"copy-data", [&] { return h.CopyData(fh, 0, 0, gh, 0); }},
  };
  for (const RequestInfo& row : Session::Requests()) {
    if (row.audit_op.empty()) continue;
    INFO(row.name);
    REQUIRE(ok.count(std::string(row.name)) == 1);
    Bytes req = ok[std::string(row.name)]();
    const size_t before = h.audit().entries.size();
    Reply r = h.Call(req);
    CHECK((r.Is(StatusCode::kOk) || r.type == fxp::kHandle));
    REQUIRE(h.audit().entries.size() == before + 1);
    CHECK(h.audit().entries.back().op == row.audit_op);
    CHECK(h.audit().entries.back().result == "ok");
  }
}

TEST_CASE(
    "session: a malformed or unsupported request is audited with its "
    "reason") {
  Harness h;
  auto last = [&h] { return h.audit().entries.back(); };
  // Bytes after the last field.
  Bytes close = h.Close("nosuch");
  for (int i = 0; i < 12; ++i) close.push_back('!');
  close[3] = uint8_t(close[3] + 12);
  CHECK(h.Call(close).Is(StatusCode::kBadMessage));
  CHECK(last().op == "close");
  CHECK(last().result == "Malformed request");
  CHECK(last().rule == kRuleMalformed);
  CHECK(last().detail == "CLOSE: 12 bytes left after the handle");
  // A body that ends inside a field, named.
  Bytes open = h.Open("/home/f", 0x1a);
  open.resize(open.size() - 6);  // the attrs flags and part of the pflags
  open[3] = uint8_t(open[3] - 6);
  CHECK(h.Call(open).Is(StatusCode::kBadMessage));
  CHECK(last().op == "open");
  CHECK(last().detail == "OPEN: the packet ends inside the pflags");
  CHECK(h.Call(h.Build(fxp::kOpen, [](Writer& w) {
           w.U32(9);
         })).Is(StatusCode::kBadMessage));
  CHECK(last().detail == "OPEN: the packet ends inside the path");
  // An extension's reason names it.
  CHECK(h.Call(h.Ext("posix-rename@openssh.com", [](Writer& w) {
           w.String("/home/a");
         })).Is(StatusCode::kBadMessage));
  CHECK(last().op == "posix-rename@openssh.com");
  CHECK(last().detail ==
        "posix-rename@openssh.com: the packet ends inside the new path");
  CHECK(h.Call(h.Ext("users-groups-by-id@openssh.com", [](Writer& w) {
           w.String("abc");
           w.String("");
         })).Is(StatusCode::kBadMessage));
  CHECK(last().detail ==
        "users-groups-by-id@openssh.com: an id list's length is not a "
        "multiple of 4");
  // Unknown: a type, an extension.
  CHECK(h.Call(h.Build(42, [](Writer&) {})).Is(StatusCode::kOpUnsupported));
  CHECK(last().op == "unknown");
  CHECK(last().result == "Unsupported request");
  CHECK(last().rule == kRuleUnsupported);
  CHECK(last().detail == "unknown request type 42");
  CHECK(
      h.Call(h.Ext("foo@bar", [](Writer&) {})).Is(StatusCode::kOpUnsupported));
  CHECK(last().op == "extended");
  CHECK(last().result == "Unsupported extension");
  CHECK(last().detail == "unsupported extension foo@bar");
  // An attribute flag v3 does not define.
  Attrs a = PermAttrs(0644);
  a.flags |= 0x100;
  CHECK(h.Call(h.Setstat("/home", a)).Is(StatusCode::kBadMessage));
  CHECK(last().op == "setstat");
  CHECK(last().detail == "SETSTAT: attrs: unknown flag bits 0x00000100");
  // Each is one line for the admin too, naming the session.
  AuditEvent e{.op = "open",
               .result = "Malformed request",
               .rule = kRuleMalformed,
               .detail = "OPEN: the packet ends inside the path"};
  CHECK(RefusalLogLine("0123abcd", e) ==
        "session 0123abcd: refused a malformed request: OPEN: the packet "
        "ends inside the path");
  e.repeated = 41;
  CHECK(RefusalLogLine("0123abcd", e) ==
        "session 0123abcd: refused 41 more like it: OPEN: the packet ends "
        "inside the path");
  CHECK(RefusalLogLine("0123abcd", {.op = "extended",
                                    .result = "Unsupported extension",
                                    .rule = kRuleUnsupported,
                                    .detail = "unsupported extension x"}) ==
        "session 0123abcd: refused an unsupported request: unsupported "
        "extension x");
  CHECK_FALSE(RefusalLogLine("0123abcd", {.op = "mkdir",
                                          .result = "Permission denied",
                                          .rule = "read-only export"}));
  CHECK_FALSE(RefusalLogLine("0123abcd", {.op = "open"}));
}

TEST_CASE(
    "session: 10000 malformed requests cost a bounded number of audit and "
    "log lines, and the session still answers") {
  Harness h;
  // As the front doors do: the session's limiter, then the log line for
  // each event it lets through. The clock stands still: no token refills.
  RecordingAudit written;
  const AuditClock::time_point t0{};
  AuditClock::time_point now = t0;
  LimitedAudit limited(written, kSessionAuditBudget, [&now] { return now; });
  Session s(h.exports(), limited, h.user());
  Bytes in = h.Init();
  Attrs odd;
  odd.flags = 0x20;
  constexpr int kFlood = 10000;
  for (int i = 0; i < kFlood; ++i) {
    Bytes p = i % 2 ? h.Mkdir("/home/d" + std::to_string(i), odd)
                    : h.Ext("nosuch@example.com", [](Writer&) {});
    in.insert(in.end(), p.begin(), p.end());
  }
  Bytes rp = h.Realpath("/home");
  in.insert(in.end(), rp.begin(), rp.end());
  size_t used = 0;
  std::vector<Reply> replies;
  while (used < in.size()) {
    Result<size_t> n = s.Process(std::span(in).subspan(used));
    REQUIRE(n.ok());
    REQUIRE(*n > 0);
    used += *n;
    std::vector<Reply> r = testing::ParseReplies(s.output());
    s.output().clear();
    replies.insert(replies.end(), r.begin(), r.end());
  }
  REQUIRE(replies.size() == 1 + kFlood + 1);
  int bad = 0, unsupported = 0;
  for (const Reply& r : replies) {
    bad += r.Is(StatusCode::kBadMessage);
    unsupported += r.Is(StatusCode::kOpUnsupported);
  }
  CHECK(bad == kFlood / 2);
  CHECK(unsupported == kFlood / 2);
  CHECK(replies.back().type == fxp::kName);
  CHECK(replies.back().names.at(0).name == "/home");
  limited.Record({.op = "logout"});  // writes what is still counted

  size_t lines = 0, logged = 0;
  uint64_t counted = 0;
  for (const RecordingAudit::Entry& e : written.entries) {
    if (e.op == "logout") continue;
    ++lines;
    counted += e.repeated > 0 ? e.repeated : 1;
    AuditEvent ev{.op = e.op,
                  .result = e.result,
                  .rule = e.rule,
                  .detail = e.detail,
                  .repeated = e.repeated};
    logged += RefusalLogLine("s", ev).has_value();
  }
  INFO(lines << " audit lines, " << logged << " log lines");
  CHECK(lines <= size_t(2 * kAuditBurst + 2));
  CHECK(logged == lines);
  CHECK(counted == uint64_t(kFlood));  // every one a line or counted
  CHECK(written.entries.back().op == "logout");
  bool named = false;
  for (const RecordingAudit::Entry& e : written.entries) {
    named = named || e.detail == "MKDIR: attrs: unknown flag bits 0x00000020";
  }
  CHECK(named);
}

TEST_CASE("session: while the audit refuses, every file request is refused") {
  Harness h;
  WriteFile(h.Real("home", "f"), "data");
  std::string open_before = h.OpenOk("/home/f", kR | kW);
  h.audit().refusing = true;
  const size_t before = h.audit().entries.size();
  for (const Bytes& req :
       {h.Open("/home/f", kR), h.Open("/home/g", kW | kC), h.Stat("/home/f"),
        h.Lstat("/"), h.Opendir("/home"), h.Opendir("/"), h.Remove("/home/f"),
        h.Mkdir("/home/d"), h.Rename("/home/f", "/home/g"),
        h.Read(open_before, 0, 4), h.Write(open_before, 0, "x"),
        h.Fstat(open_before), h.Statvfs("/home"), h.Readlink("/home/f")}) {
    Reply r = h.Call(req);
    CHECK(r.Is(StatusCode::kPermissionDenied));
  }
  const auto& e = h.audit().entries;
  REQUIRE(e.size() == before + 14);
  for (size_t i = before; i < e.size(); ++i) {
    CHECK(e[i].rule == "audit_unavailable");
  }
  CHECK(ReadFile(h.Real("home", "f")) == "data");
  CHECK_FALSE(Exists(h.Real("home", "g")));
  CHECK_FALSE(Exists(h.Real("home", "d")));
  // What touches no file still works, and so does closing one.
  CHECK(h.Call(h.Realpath(".")).names.at(0).name == "/home");
  CHECK(h.Call(h.Close(open_before)).Is(StatusCode::kOk));
  h.audit().refusing = false;
  CHECK(h.Call(h.Stat("/home/f")).type == fxp::kAttrs);
}

TEST_CASE("session: CLOSE makes a handle stale, even when its slot is reused") {
  Harness h;
  WriteFile(h.Real("home", "a"), "first");
  std::string old = h.OpenOk("/home/a", kR | kW);
  CHECK(h.Call(h.Close(old)).Is(StatusCode::kOk));
  CHECK(h.Call(h.Read(old, 0, 10)).Is(StatusCode::kFailure));
  CHECK(h.Call(h.Close(old)).Is(StatusCode::kFailure));

  std::string fresh = h.OpenOk("/home/b", kR | kW | kC);
  CHECK(SlotGen(fresh).first == SlotGen(old).first);
  CHECK(SlotGen(fresh).second != SlotGen(old).second);
  CHECK(h.Call(h.Write(old, 0, "stale")).Is(StatusCode::kFailure));
  CHECK(h.Call(h.Fstat(old)).Is(StatusCode::kFailure));
  CHECK(h.Call(h.Fsync(old)).Is(StatusCode::kFailure));
  CHECK(ReadFile(h.Real("home", "b")).empty());
  CHECK(ReadFile(h.Real("home", "a")) == "first");
  CHECK(h.Call(h.Write(fresh, 0, "new")).Is(StatusCode::kOk));
  CHECK(ReadFile(h.Real("home", "b")) == "new");
}

TEST_CASE("session: READ returns the bytes, caps the length, then EOF") {
  Harness h;
  std::string content;
  for (size_t i = 0; i < 300 * 1024; ++i) content += char('a' + i % 23);
  WriteFile(h.Real("home", "big"), content);
  std::string fh = h.OpenOk("/home/big", kR);

  Reply r = h.Call(h.Read(fh, 0, 1024 * 1024));
  REQUIRE(r.type == fxp::kData);
  CHECK(r.id == h.last_id());
  CHECK(r.data.size() == kMaxReadLength);
  CHECK(r.data == content.substr(0, kMaxReadLength));

  r = h.Call(h.Read(fh, 1000, 10));
  CHECK(r.data == content.substr(1000, 10));

  // Short read at the end, then EOF.
  r = h.Call(h.Read(fh, content.size() - 5, 100));
  CHECK(r.data == content.substr(content.size() - 5));
  CHECK(h.Call(h.Read(fh, content.size(), 100)).Is(StatusCode::kEof));
  CHECK(h.Call(h.Read(fh, content.size() + 4096, 1)).Is(StatusCode::kEof));
}

TEST_CASE("session: WRITE at offsets, read back") {
  Harness h;
  std::string fh = h.OpenOk("/home/w", kR | kW | kC);
  CHECK(h.Call(h.Write(fh, 0, "hello")).Is(StatusCode::kOk));
  CHECK(h.Call(h.Write(fh, 10, "world")).Is(StatusCode::kOk));
  CHECK(h.Call(h.Write(fh, 1, "E")).Is(StatusCode::kOk));
  const std::string want =
      std::string("hEllo") + std::string(5, '\0') + "world";
  CHECK(ReadFile(h.Real("home", "w")) == want);
  CHECK(h.Call(h.Read(fh, 0, 100)).data == want);

  std::string big(kMaxWriteLength, 'q');
  CHECK(h.Call(h.Write(fh, 0, big)).Is(StatusCode::kOk));
  CHECK(LStat(h.Real("home", "w")).st_size == off_t(kMaxWriteLength));
}

TEST_CASE(
    "session: WRITE writes the bytes its length says, and ignores bytes after "
    "the data") {
  // As Go's pkg/sftp (<= 1.13.5) sends a short read's data: the length
  // field counts the bytes read, the packet carries the whole buffer.
  Harness h;
  std::string fh = h.OpenOk("/home/w", kR | kW | kC);
  Bytes padded = h.Write(fh, 0, "fresh");
  const std::string stale(32768 - 5, 'S');
  padded.insert(padded.end(), stale.begin(), stale.end());
  const uint32_t len = uint32_t(padded.size() - 4);
  padded[0] = uint8_t(len >> 24), padded[1] = uint8_t(len >> 16);
  padded[2] = uint8_t(len >> 8), padded[3] = uint8_t(len);
  const size_t audited = h.audit().entries.size();
  CHECK(h.Call(padded).Is(StatusCode::kOk));
  CHECK(ReadFile(h.Real("home", "w")) == "fresh");
  CHECK(h.audit().entries.size() == audited);  // not a refusal either
  // A data length beyond the packet is still malformed, and writes nothing.
  Bytes cut = h.Write(fh, 5, "more");
  cut.resize(cut.size() - 1);
  cut[3] = uint8_t(cut[3] - 1);
  CHECK(h.Call(cut).Is(StatusCode::kBadMessage));
  CHECK(ReadFile(h.Real("home", "w")) == "fresh");
  REQUIRE(h.audit().entries.size() == audited + 1);
  CHECK(h.audit().entries.back().op == "write");
  CHECK(h.audit().entries.back().detail ==
        "WRITE: the packet ends inside the data");
}

TEST_CASE("session: LSTAT, STAT and FSTAT") {
  Harness h;
  WriteFile(h.Real("home", "target"), "12345");
  REQUIRE(symlink("target", h.Real("home", "link").c_str()) == 0);

  Reply l = h.Call(h.Lstat("/home/link"));
  REQUIRE(l.type == fxp::kAttrs);
  CHECK(S_ISLNK(l.attrs.permissions));
  Reply s = h.Call(h.Stat("/home/link"));
  REQUIRE(s.type == fxp::kAttrs);
  CHECK(S_ISREG(s.attrs.permissions));
  CHECK(s.attrs.size == 5);
  CHECK(s.attrs.uid == getuid());

  std::string fh = h.OpenOk("link", kR);
  Reply f = h.Call(h.Fstat(fh));
  REQUIRE(f.type == fxp::kAttrs);
  CHECK(S_ISREG(f.attrs.permissions));
  CHECK(f.attrs.size == 5);
  CHECK((f.attrs.permissions & 07777) ==
        (LStat(h.Real("home", "target")).st_mode & 07777));

  CHECK(h.Call(h.Stat("/home/nope")).Is(StatusCode::kNoSuchFile));
  CHECK(h.Call(h.Lstat("/nope")).Is(StatusCode::kNoSuchFile));
  Reply d = h.Call(h.Stat("/shared"));
  CHECK(S_ISDIR(d.attrs.permissions));
}

TEST_CASE("session: an absolute symlink that stays inside its export works") {
  Harness h;
  WriteFile(h.Real("home", "t"), "inside");
  REQUIRE(mkdir(h.Real("home", "sub").c_str(), 0755) == 0);
  REQUIRE(symlink(h.Real("home", "t").c_str(),
                  h.Real("home", "sub/abs").c_str()) == 0);
  REQUIRE(symlink(h.Real("home").c_str(), h.Real("home", "root").c_str()) == 0);
  Reply s = h.Call(h.Stat("/home/sub/abs"));
  REQUIRE(s.type == fxp::kAttrs);
  CHECK(s.attrs.size == 6);
  std::string fh = h.OpenOk("/home/root/sub/abs", kR);
  CHECK(h.Call(h.Read(fh, 0, 100)).data == "inside");
  CHECK(h.Call(h.Readlink("/home/sub/abs")).names.at(0).name == "/home/t");
  // The same link from another export is refused.
  REQUIRE(symlink(h.Real("home", "t").c_str(), h.Real("shared", "x").c_str()) ==
          0);
  CHECK(h.Call(h.Stat("/shared/x")).Is(StatusCode::kPermissionDenied));
}

TEST_CASE("session: SETSTAT, FSETSTAT and lsetstat change size, perms, times") {
  Harness h;
  WriteFile(h.Real("home", "f"), "0123456789");
  Attrs a;
  a.flags = Attrs::kSize | Attrs::kPermissions | Attrs::kAcModTime;
  a.size = 3;
  a.permissions = 0600;
  a.atime = 1000000000;
  a.mtime = 1200000000;
  CHECK(h.Call(h.Setstat("/home/f", a)).Is(StatusCode::kOk));
  struct stat st = LStat(h.Real("home", "f"));
  CHECK(st.st_size == 3);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_atim.tv_sec == 1000000000);
  CHECK(st.st_mtim.tv_sec == 1200000000);

  std::string fh = h.OpenOk("/home/f", kR | kW);
  a.size = 7;
  a.permissions = 0640;
  a.mtime = 1300000000;
  CHECK(h.Call(h.Fsetstat(fh, a)).Is(StatusCode::kOk));
  st = LStat(h.Real("home", "f"));
  CHECK(st.st_size == 7);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(st.st_mtim.tv_sec == 1300000000);
  CHECK(ReadFile(h.Real("home", "f")) == std::string("012\0\0\0\0", 7));

  // SETSTAT follows a symlink; lsetstat changes the link itself.
  REQUIRE(symlink("f", h.Real("home", "l").c_str()) == 0);
  Attrs t;
  t.flags = Attrs::kAcModTime;
  t.atime = 1000000000;
  t.mtime = 1000000001;
  CHECK(h.Call(h.Setstat("/home/l", t)).Is(StatusCode::kOk));
  CHECK(LStat(h.Real("home", "f")).st_mtim.tv_sec == 1000000001);
  t.mtime = 1000000002;
  CHECK(h.Call(h.Lsetstat("/home/l", t)).Is(StatusCode::kOk));
  CHECK(LStat(h.Real("home", "l")).st_mtim.tv_sec == 1000000002);
  CHECK(LStat(h.Real("home", "f")).st_mtim.tv_sec == 1000000001);
  // A symlink has no mode of its own to set.
  CHECK_FALSE(
      h.Call(h.Lsetstat("/home/l", PermAttrs(0600))).Is(StatusCode::kOk));
  CHECK(h.Call(h.Setstat("/home/none", t)).Is(StatusCode::kNoSuchFile));
}

TEST_CASE("session: a setstat's audit line says what the client set") {
  Harness h;
  auto last = [&h] { return h.audit().entries.back(); };
  WriteFile(h.Real("home", "f"), "0123456789");
  Attrs a;
  a.flags = Attrs::kSize | Attrs::kPermissions | Attrs::kAcModTime;
  a.size = 3;
  a.permissions = S_IFREG | 0644;  // the file type is no part of the mode
  a.atime = 1000000000;
  a.mtime = 1200000000;
  CHECK(h.Call(h.Setstat("/home/f", a)).Is(StatusCode::kOk));
  CHECK(last().op == "setstat");
  CHECK(last().path == "/home/f");
  CHECK(last().result == "ok");
  CHECK(last().detail == "mode=0644 size=3 atime=1000000000 mtime=1200000000");

  // Only what was sent: FSETSTAT of the size, then of the owner.
  std::string fh = h.OpenOk("/home/f", kR | kW);
  Attrs size;
  size.flags = Attrs::kSize;
  CHECK(h.Call(h.Fsetstat(fh, size)).Is(StatusCode::kOk));
  CHECK(last().op == "setstat");
  CHECK(last().detail == "size=0");
  CHECK(LStat(h.Real("home", "f")).st_size == 0);
  Attrs owner;
  owner.flags = Attrs::kUidGid;
  owner.uid = getuid();
  owner.gid = getgid();
  CHECK(h.Call(h.Fsetstat(fh, owner)).Is(StatusCode::kOk));
  CHECK(last().detail ==
        "uid=" + std::to_string(getuid()) + " gid=" + std::to_string(getgid()));
  Attrs none;
  CHECK(h.Call(h.Fsetstat(fh, none)).Is(StatusCode::kOk));
  CHECK(last().detail.empty());

  // lsetstat of a link's times; a failed setstat still says what was asked.
  REQUIRE(symlink("f", h.Real("home", "l").c_str()) == 0);
  Attrs t;
  t.flags = Attrs::kAcModTime;
  t.atime = 1000000005;
  t.mtime = 1000000006;
  CHECK(h.Call(h.Lsetstat("/home/l", t)).Is(StatusCode::kOk));
  CHECK(last().op == "setstat");
  CHECK(last().detail == "atime=1000000005 mtime=1000000006");
  CHECK(h.Call(h.Setstat("/home/none", PermAttrs(0600)))
            .Is(StatusCode::kNoSuchFile));
  CHECK(last().result != "ok");
  CHECK(last().detail == "mode=0600");
}

TEST_CASE(
    "session: SETSTAT and FSETSTAT drop setuid and setgid, as OPEN and MKDIR "
    "do, and the audit line says so") {
  Harness h;
  auto last = [&h] { return h.audit().entries.back(); };
  auto mode = [&h](const char* rel) {
    return LStat(h.Real("home", rel)).st_mode & 07777;
  };
  WriteFile(h.Real("home", "f"), "x");
  CHECK(h.Call(h.Setstat("/home/f", PermAttrs(04755))).Is(StatusCode::kOk));
  CHECK(mode("f") == 0755);
  CHECK(last().detail == "mode=04755->0755");

  std::string fh = h.OpenOk("/home/f", kR | kW);
  CHECK(h.Call(h.Fsetstat(fh, PermAttrs(02750))).Is(StatusCode::kOk));
  CHECK(mode("f") == 0750);
  CHECK(last().op == "setstat");
  CHECK(last().detail == "mode=02750->0750");

  Attrs both = PermAttrs(06711);
  both.flags |= Attrs::kSize;
  both.size = 0;
  CHECK(h.Call(h.Lsetstat("/home/f", both)).Is(StatusCode::kOk));
  CHECK(mode("f") == 0711);
  CHECK(last().detail == "mode=06711->0711 size=0");

  // A directory: setgid dropped outside a group share; the sticky bit is
  // kept, as OPEN and MKDIR keep it, and the line has no arrow.
  REQUIRE(mkdir(h.Real("home", "d").c_str(), 0755) == 0);
  CHECK(h.Call(h.Setstat("/home/d", PermAttrs(03777))).Is(StatusCode::kOk));
  CHECK(mode("d") == 01777);
  CHECK(last().detail == "mode=03777->01777");
  CHECK(h.Call(h.Setstat("/home/d", PermAttrs(01770))).Is(StatusCode::kOk));
  CHECK(mode("d") == 01770);
  CHECK(last().detail == "mode=01770");

  // What OPEN and MKDIR create is held to the same rule.
  CHECK_FALSE(h.OpenOk("/home/n", kW | kC, PermAttrs(06755)).empty());
  CHECK(mode("n") == 0755);
  CHECK(h.Call(h.Mkdir("/home/m", PermAttrs(06755))).Is(StatusCode::kOk));
  CHECK(mode("m") == 0755);
}

TEST_CASE("session: READDIR streams a big directory in bounded batches") {
  Harness h;
  REQUIRE(mkdir(h.Real("home", "big").c_str(), 0755) == 0);
  std::set<std::string> want;
  for (int i = 0; i < 2000; ++i) {
    std::string name = "entry-" + std::to_string(i) + "-" +
                       std::string(size_t(60 + i % 100), 'n');
    WriteFile(h.Real("home", "big/" + name), "");
    want.insert(name);
  }
  want.insert(".");
  want.insert("..");
  std::string dh = h.OpendirOk("/home/big");
  std::map<std::string, int> seen;
  int batches = 0;
  for (int i = 0; i < 100; ++i) {
    Bytes p = h.Readdir(dh);
    REQUIRE(h.Feed(p).ok());
    REQUIRE(h.session().output().size() <= kMaxPacket + 4);
    std::vector<Reply> rs = h.TakeReplies();
    REQUIRE(rs.size() == 1);
    if (rs[0].Is(StatusCode::kEof)) break;
    REQUIRE(rs[0].type == fxp::kName);
    REQUIRE(rs[0].well_formed);
    ++batches;
    for (const Reply::Name& n : rs[0].names) {
      ++seen[n.name];
      INFO(n.longname);
      CHECK(n.longname.size() > n.name.size());
      CHECK(n.longname.substr(n.longname.size() - n.name.size()) == n.name);
      CHECK(n.longname.rfind(
                n.name == "." || n.name == ".." ? "drwx" : "-rw-r--r--", 0) ==
            0);
      CHECK(n.attrs.Has(Attrs::kPermissions));
    }
  }
  CHECK(batches > 1);
  CHECK(seen.size() == want.size());
  for (const auto& [name, count] : seen) {
    INFO(name);
    CHECK(count == 1);
    CHECK(want.count(name) == 1);
  }
  // Once at the end it stays there.
  CHECK(h.Call(h.Readdir(dh)).Is(StatusCode::kEof));
  CHECK(h.Call(h.Close(dh)).Is(StatusCode::kOk));
}

TEST_CASE("session: the virtual root lists the exports and refuses changes") {
  Harness h;
  std::string dh = h.OpendirOk("/");
  std::vector<Reply::Name> names = h.ReaddirAll(dh);
  std::multiset<std::string> got;
  for (const Reply::Name& n : names) {
    got.insert(n.name);
    CHECK(n.longname[0] == 'd');
  }
  CHECK(got ==
        std::multiset<std::string>{".", "..", "home", "shared", "ro", "own"});
  Reply f = h.Call(h.Fstat(dh));
  CHECK(S_ISDIR(f.attrs.permissions));
  CHECK(h.Call(h.Fsetstat(dh, PermAttrs(0777)))
            .Is(StatusCode::kPermissionDenied));
  CHECK(h.Call(h.Close(dh)).Is(StatusCode::kOk));

  Reply st = h.Call(h.Stat("/"));
  REQUIRE(st.type == fxp::kAttrs);
  CHECK(S_ISDIR(st.attrs.permissions));
  CHECK(h.Call(h.Mkdir("/")).Is(StatusCode::kPermissionDenied));
  CHECK(h.Call(h.Remove("/")).Is(StatusCode::kPermissionDenied));
  CHECK(h.Call(h.Rmdir("/")).Is(StatusCode::kPermissionDenied));
  CHECK(h.Call(h.Open("/", kW | kC)).Is(StatusCode::kPermissionDenied));
  CHECK(h.Call(h.Setstat("/", PermAttrs(0777)))
            .Is(StatusCode::kPermissionDenied));
  CHECK(h.Call(h.Symlink("/home", "/")).Is(StatusCode::kPermissionDenied));
  // Export roots cannot be removed or renamed either.
  CHECK(h.Call(h.Rmdir("/shared")).Is(StatusCode::kPermissionDenied));
  CHECK(
      h.Call(h.Rename("/shared", "/home/s")).Is(StatusCode::kPermissionDenied));
  CHECK(Exists(h.Real("shared")));
}

TEST_CASE("session: relative paths start in the first export") {
  Harness h;
  auto real = [&](std::string_view p) {
    Reply r = h.Call(h.Realpath(p));
    REQUIRE(r.type == fxp::kName);
    REQUIRE(r.names.size() == 1);
    return r.names[0].name;
  };
  CHECK(real(".") == "/home");
  CHECK(real("") == "/home");
  CHECK(real("../..") == "/");
  CHECK(real("a/../b") == "/home/b");
  CHECK(real("../shared/x") == "/shared/x");
  CHECK(real("/ro/") == "/ro");
  CHECK(h.Call(h.Realpath("/nosuch")).Is(StatusCode::kNoSuchFile));

  std::string fh = h.OpenOk("rel", kW | kC);
  CHECK(Exists(h.Real("home", "rel")));
  CHECK(h.Call(h.Close(fh)).Is(StatusCode::kOk));
}

TEST_CASE("session: REMOVE, MKDIR, RMDIR") {
  Harness h;
  WriteFile(h.Real("home", "f"), "x");
  CHECK(h.Call(h.Remove("/home/f")).Is(StatusCode::kOk));
  CHECK_FALSE(Exists(h.Real("home", "f")));
  CHECK(h.Call(h.Remove("/home/f")).Is(StatusCode::kNoSuchFile));

  CHECK(h.Call(h.Mkdir("/shared/d", PermAttrs(0777))).Is(StatusCode::kOk));
  struct stat st = LStat(h.Real("shared", "d"));
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 07777) == 0750);
  CHECK(h.Call(h.Mkdir("/shared/d")).Is(StatusCode::kFailure));
  CHECK(h.Call(h.Mkdir("/shared/no/such")).Is(StatusCode::kNoSuchFile));
  CHECK(h.Call(h.Remove("/shared/d")).Is(StatusCode::kFailure));

  WriteFile(h.Real("shared", "d/inner"), "");
  CHECK(h.Call(h.Rmdir("/shared/d")).Is(StatusCode::kFailure));
  CHECK(h.Call(h.Remove("/shared/d/inner")).Is(StatusCode::kOk));
  CHECK(h.Call(h.Rmdir("/shared/d")).Is(StatusCode::kOk));
  CHECK_FALSE(Exists(h.Real("shared", "d")));
}

TEST_CASE("session: RENAME refuses to replace, posix-rename replaces") {
  Harness h;
  WriteFile(h.Real("home", "a"), "A");
  WriteFile(h.Real("home", "b"), "B");
  CHECK(h.Call(h.Rename("/home/a", "/home/b")).Is(StatusCode::kFailure));
  CHECK(ReadFile(h.Real("home", "a")) == "A");
  CHECK(ReadFile(h.Real("home", "b")) == "B");

  CHECK(h.Call(h.Rename("/home/a", "/shared/c")).Is(StatusCode::kOk));
  CHECK_FALSE(Exists(h.Real("home", "a")));
  CHECK(ReadFile(h.Real("shared", "c")) == "A");

  CHECK(h.Call(h.PosixRename("/shared/c", "/home/b")).Is(StatusCode::kOk));
  CHECK_FALSE(Exists(h.Real("shared", "c")));
  CHECK(ReadFile(h.Real("home", "b")) == "A");
  CHECK(h.Call(h.Rename("/home/none", "/home/x")).Is(StatusCode::kNoSuchFile));
}

TEST_CASE("session: SYMLINK takes the target first, READLINK reads it") {
  Harness h;
  WriteFile(h.Real("home", "t"), "T");
  CHECK(h.Call(h.Symlink("t", "/home/l")).Is(StatusCode::kOk));
  char buf[256] = {};
  REQUIRE(readlink(h.Real("home", "l").c_str(), buf, sizeof buf - 1) > 0);
  CHECK(std::string(buf) == "t");
  Reply r = h.Call(h.Readlink("/home/l"));
  REQUIRE(r.type == fxp::kName);
  CHECK(r.names.at(0).name == "t");
  CHECK(h.Call(h.Stat("/home/l")).attrs.size == 1);

  // A virtual absolute target is stored so that it resolves, and read back
  // as the client wrote it.
  CHECK(h.Call(h.Symlink("/home/t", "/shared/abs")).Is(StatusCode::kOk));
  CHECK(h.Call(h.Readlink("/shared/abs")).names.at(0).name == "/home/t");

  CHECK(h.Call(h.Symlink("t", "/home/l")).Is(StatusCode::kFailure));
  CHECK(h.Call(h.Readlink("/home/t")).Is(StatusCode::kFailure));
}

TEST_CASE(
    "session: SYMLINK in the draft's order, for the clients that send it") {
  Harness h;
  h.RestartWith(SymlinkOrder::kLinkFirst);
  WriteFile(h.Real("home", "t"), "T");
  CHECK(h.Call(h.Symlink("/home/l", "t")).Is(StatusCode::kOk));
  char buf[256] = {};
  REQUIRE(readlink(h.Real("home", "l").c_str(), buf, sizeof buf - 1) > 0);
  CHECK(std::string(buf) == "t");
  CHECK(h.audit().entries.back().path == "/home/l");
  CHECK(h.audit().entries.back().target == "t");
}

TEST_CASE("session: which clients send SYMLINK's link first") {
  using enum SymlinkOrder;
  CHECK(SymlinkOrderFor("SSH-2.0-AsyncSSH_2.10.1") == kLinkFirst);
  CHECK(SymlinkOrderFor("SSH-2.0-libssh_0.10.4") == kLinkFirst);
  CHECK(SymlinkOrderFor("SSH-2.0-libssh-0.6.3") == kLinkFirst);
  CHECK(SymlinkOrderFor("SSH-2.0-WinSCP_release_6.3.5") == kLinkFirst);
  CHECK(SymlinkOrderFor("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3") ==
        kTargetFirst);
  CHECK(SymlinkOrderFor("SSH-2.0-paramiko_3.0.0") == kTargetFirst);
  CHECK(SymlinkOrderFor("SSH-2.0-Go") == kTargetFirst);
  CHECK(SymlinkOrderFor("SSH-2.0-libssh2_1.10.0") == kTargetFirst);
  CHECK(SymlinkOrderFor("SSH-2.0-PuTTY_Release_0.78") == kTargetFirst);
  CHECK(SymlinkOrderFor("AsyncSSH_2.10.1") == kTargetFirst);
  CHECK(SymlinkOrderFor("") == kTargetFirst);
}

TEST_CASE("session: statvfs and fstatvfs, and the ro export is read-only") {
  Harness h;
  WriteFile(h.Real("ro", "f"), "r");
  Reply rw = h.Call(h.Statvfs("/home"));
  REQUIRE(rw.type == fxp::kExtendedReply);
  std::vector<uint64_t> v = U64s(rw.extended);
  REQUIRE(v.size() == 11);
  CHECK(v[0] > 0);  // f_bsize
  CHECK((v[9] & fxp::kStatvfsReadOnly) == 0);

  Reply ro = h.Call(h.Statvfs("/ro/f"));
  REQUIRE(ro.type == fxp::kExtendedReply);
  v = U64s(ro.extended);
  REQUIRE(v.size() == 11);
  CHECK((v[9] & fxp::kStatvfsReadOnly) != 0);

  std::string fh = h.OpenOk("/ro/f", kR);
  Reply f = h.Call(h.Fstatvfs(fh));
  REQUIRE(f.type == fxp::kExtendedReply);
  v = U64s(f.extended);
  REQUIRE(v.size() == 11);
  CHECK((v[9] & fxp::kStatvfsReadOnly) != 0);

  // The virtual root answers for the first export, where relative paths
  // start; a name that is no export stays unknown. (The free counts may
  // change in between: the fields that do not are compared.)
  Reply root = h.Call(h.Statvfs("/"));
  REQUIRE(root.type == fxp::kExtendedReply);
  const std::vector<uint64_t> r = U64s(root.extended), home = U64s(rw.extended);
  REQUIRE(r.size() == 11);
  for (size_t i : {0, 1, 2, 5, 8, 9, 10}) CHECK(r[i] == home[i]);
  CHECK(h.Call(h.Statvfs("/nosuch")).Is(StatusCode::kNoSuchFile));
}

TEST_CASE("session: hardlink and fsync") {
  Harness h;
  WriteFile(h.Real("home", "f"), "data");
  CHECK(h.Call(h.Hardlink("/home/f", "/home/g")).Is(StatusCode::kOk));
  CHECK(LStat(h.Real("home", "f")).st_nlink == 2);
  CHECK(LStat(h.Real("home", "g")).st_ino == LStat(h.Real("home", "f")).st_ino);
  CHECK(h.Call(h.Hardlink("/home/f", "/home/g")).Is(StatusCode::kFailure));

  std::string fh = h.OpenOk("/home/f", kW);
  CHECK(h.Call(h.Fsync(fh)).Is(StatusCode::kOk));
  std::string dh = h.OpendirOk("/home");
  CHECK(h.Call(h.Fsync(dh)).Is(StatusCode::kFailure));
}

TEST_CASE("session: limits reports the constants of limits.h") {
  Harness h;
  Reply r = h.Call(h.Limits());
  REQUIRE(r.type == fxp::kExtendedReply);
  CHECK(r.id == h.last_id());
  CHECK(U64s(r.extended) == std::vector<uint64_t>{kMaxPacket, kMaxReadLength,
                                                  kMaxWriteLength,
                                                  kMaxHandles});
}

TEST_CASE("session: expand-path and home-directory name the first export") {
  Harness h;
  auto name = [&](const Bytes& p) {
    Reply r = h.Call(p);
    REQUIRE(r.type == fxp::kName);
    return r.names.at(0).name;
  };
  CHECK(name(h.ExpandPath("~")) == "/home");
  CHECK(name(h.ExpandPath("~/x")) == "/home/x");
  CHECK(name(h.ExpandPath("~" + h.user() + "/y")) == "/home/y");
  CHECK(name(h.ExpandPath("/shared/../ro")) == "/ro");
  CHECK(name(h.ExpandPath("z")) == "/home/z");
  CHECK(h.Call(h.ExpandPath("~someoneelse/x")).Is(StatusCode::kNoSuchFile));

  CHECK(name(h.HomeDirectory(h.user())) == "/home");
  CHECK(name(h.HomeDirectory("")) == "/home");
  CHECK(h.Call(h.HomeDirectory("someoneelse")).Is(StatusCode::kNoSuchFile));
}

TEST_CASE("session: users-groups-by-id names uid 0 root") {
  Harness h;
  Reply r = h.Call(h.UsersGroupsById({0, 4000000001u}, {0}));
  REQUIRE(r.type == fxp::kExtendedReply);
  Reader rd(r.extended);
  std::string_view users = rd.String(), groups = rd.String();
  REQUIRE(rd.Done());
  Reader u({reinterpret_cast<const uint8_t*>(users.data()), users.size()});
  CHECK(u.String() == "root");
  CHECK(u.String().empty());  // no such user: an empty name
  CHECK(u.Done());
  Reader g({reinterpret_cast<const uint8_t*>(groups.data()), groups.size()});
  CHECK(g.String() == "root");
  CHECK(g.Done());
}

TEST_CASE("session: copy-data copies whole files and ranges, not into ro") {
  Harness h;
  WriteFile(h.Real("home", "src"), "0123456789");
  WriteFile(h.Real("ro", "ro"), "readonly");
  std::string src = h.OpenOk("/home/src", kR);
  std::string dst = h.OpenOk("/home/dst", kW | kC);

  CHECK(h.Call(h.CopyData(src, 0, 0, dst, 0)).Is(StatusCode::kOk));
  CHECK(ReadFile(h.Real("home", "dst")) == "0123456789");
  CHECK(h.Call(h.CopyData(src, 2, 3, dst, 8)).Is(StatusCode::kOk));
  CHECK(ReadFile(h.Real("home", "dst")) == "01234567234");
  // A range past the end copies what there is.
  CHECK(h.Call(h.CopyData(src, 8, 100, dst, 0)).Is(StatusCode::kOk));
  CHECK(ReadFile(h.Real("home", "dst")) == "89234567234");

  std::string ro = h.OpenOk("/ro/ro", kR);
  size_t before = h.audit().entries.size();
  CHECK(h.Call(h.CopyData(src, 0, 0, ro, 0)).Is(StatusCode::kPermissionDenied));
  CHECK(ReadFile(h.Real("ro", "ro")) == "readonly");
  REQUIRE(h.audit().entries.size() == before + 1);
  CHECK_FALSE(h.audit().entries.back().rule.empty());
  // Reading from ro is fine.
  CHECK(h.Call(h.CopyData(ro, 0, 4, dst, 0)).Is(StatusCode::kOk));
  CHECK(ReadFile(h.Real("home", "dst")) == "read4567234");
}

TEST_CASE("session: copy-data of a file into itself ends") {
  Harness h;
  WriteFile(h.Real("home", "f"), std::string(100000, 'x'));
  std::string fh = h.OpenOk("/home/f", kR | kW);
  std::string fh2 = h.OpenOk("/home/f", kR | kW);
  // Writing ahead of the read offset must not chase its own output.
  testing::Deadline(60);
  CHECK(h.Call(h.CopyData(fh, 0, 0, fh, 10)).type == fxp::kStatus);
  CHECK(LStat(h.Real("home", "f")).st_size <= 100010);
  CHECK(h.Call(h.CopyData(fh, 0, 1ull << 40, fh2, 1)).type == fxp::kStatus);
  CHECK(LStat(h.Real("home", "f")).st_size <= 100011);
  testing::Deadline(0);
}

TEST_CASE("session: 50 pipelined requests are answered in order") {
  Harness h;
  WriteFile(h.Real("home", "f"), "abc");
  Bytes in;
  std::vector<uint32_t> ids;
  for (int i = 0; i < 50; ++i) {
    Bytes p = i % 3 == 0   ? h.Stat("/home/f")
              : i % 3 == 1 ? h.Realpath("x" + std::to_string(i))
                           : h.Lstat("/home/missing");
    ids.push_back(h.last_id());
    in.insert(in.end(), p.begin(), p.end());
  }
  Result<size_t> n = h.Feed(in);
  REQUIRE(n.ok());
  CHECK(*n == in.size());
  std::vector<Reply> rs = h.TakeReplies();
  REQUIRE(rs.size() == 50);
  for (size_t i = 0; i < rs.size(); ++i) {
    CHECK(rs[i].id == ids[i]);
    if (i > 0) CHECK(rs[i].id > rs[i - 1].id);
    CHECK(rs[i].type == (i % 3 == 0   ? fxp::kAttrs
                         : i % 3 == 1 ? fxp::kName
                                      : fxp::kStatus));
  }
  // A partial packet at the end is left for the next call.
  Bytes p = h.Realpath(".");
  n = h.Feed(std::span<const uint8_t>(p.data(), p.size() - 1));
  REQUIRE(n.ok());
  CHECK(*n == 0);
  CHECK(h.session().output().empty());
  CHECK(h.Call(p).id == h.last_id());
}

TEST_CASE("session: the handle table holds kMaxHandles handles") {
  Harness h;
  WriteFile(h.Real("home", "f"), "x");
  std::vector<std::string> handles;
  for (size_t i = 0; i < kMaxHandles; ++i) {
    handles.push_back(i % 2 ? h.OpenOk("/home/f", kR) : h.OpendirOk("/home"));
  }
  CHECK(h.Call(h.Open("/home/f", kR)).Is(StatusCode::kFailure));
  CHECK(h.Call(h.Opendir("/home")).Is(StatusCode::kFailure));
  CHECK(h.Call(h.Close(handles[17])).Is(StatusCode::kOk));
  std::string again = h.OpenOk("/home/f", kR);
  CHECK(SlotGen(again).first == SlotGen(handles[17]).first);
  CHECK(h.Call(h.Open("/home/f", kR)).Is(StatusCode::kFailure));
  // Every other handle still works.
  CHECK(h.Call(h.Read(handles[1], 0, 1)).data == "x");
  CHECK(h.Call(h.Read(again, 0, 1)).data == "x");
}

TEST_CASE("session: pipelined big READs stop at the output high-water mark") {
  Harness h;
  std::string content(kMaxReadLength, 'r');
  WriteFile(h.Real("home", "f"), content);
  std::string fh = h.OpenOk("/home/f", kR);
  constexpr int kReads = 12;  // ~3 MiB of replies
  Bytes in;
  std::vector<uint32_t> ids;
  for (int i = 0; i < kReads; ++i) {
    Bytes p = h.Read(fh, 0, kMaxReadLength);
    ids.push_back(h.last_id());
    in.insert(in.end(), p.begin(), p.end());
  }
  Result<size_t> n = h.Feed(in);
  REQUIRE(n.ok());
  CHECK(*n < in.size());
  CHECK(h.session().output().size() <
        Session::kOutputHighWater + kMaxPacket + 4);
  std::vector<Reply> got = h.TakeReplies();
  CHECK(got.size() < size_t(kReads));
  size_t pos = *n;
  for (int rounds = 0; pos < in.size() && rounds < 2 * kReads; ++rounds) {
    n = h.Feed(std::span<const uint8_t>(in).subspan(pos));
    REQUIRE(n.ok());
    REQUIRE(*n > 0);
    pos += *n;
    for (Reply& r : h.TakeReplies()) got.push_back(std::move(r));
  }
  CHECK(pos == in.size());
  REQUIRE(got.size() == size_t(kReads));
  for (int i = 0; i < kReads; ++i) {
    CHECK(got[i].id == ids[i]);
    CHECK(got[i].data.size() == kMaxReadLength);
  }
  // While the output is over the mark nothing more is taken.
  Bytes more;
  for (int i = 0; i < 8; ++i) {
    Bytes p = h.Read(fh, 0, kMaxReadLength);
    more.insert(more.end(), p.begin(), p.end());
  }
  n = h.Feed(more);
  REQUIRE(n.ok());
  REQUIRE(*n < more.size());
  size_t held = h.session().output().size();
  Result<size_t> again = h.Feed(std::span<const uint8_t>(more).subspan(*n));
  REQUIRE(again.ok());
  CHECK(*again == 0);
  CHECK(h.session().output().size() == held);
}

TEST_CASE("session: the ro export refuses every write-effect request") {
  Harness h;
  WriteFile(h.Real("ro", "f"), "keep");
  REQUIRE(mkdir(h.Real("ro", "d").c_str(), 0755) == 0);
  WriteFile(h.Real("home", "mine"), "mine");
  std::string rh = h.OpenOk("/ro/f", kR);
  std::string home = h.OpenOk("/home/mine", kR | kW);
  Attrs sz;
  sz.flags = Attrs::kSize;
  sz.size = 0;

  struct Row {
    const char* what;
    Bytes packet;
  };
  std::vector<Row> rows;
  rows.push_back({"open write", h.Open("/ro/f", kW)});
  rows.push_back({"open read|trunc", h.Open("/ro/f", kR | kT)});
  rows.push_back({"open append", h.Open("/ro/f", kA)});
  rows.push_back({"open creat", h.Open("/ro/new", kR | kC)});
  rows.push_back({"write on a read handle", h.Write(rh, 0, "x")});
  rows.push_back({"setstat", h.Setstat("/ro/f", sz)});
  rows.push_back({"fsetstat on a read handle", h.Fsetstat(rh, sz)});
  rows.push_back({"lsetstat", h.Lsetstat("/ro/f", sz)});
  rows.push_back({"remove", h.Remove("/ro/f")});
  rows.push_back({"mkdir", h.Mkdir("/ro/new")});
  rows.push_back({"rmdir", h.Rmdir("/ro/d")});
  rows.push_back({"rename inside", h.Rename("/ro/f", "/ro/g")});
  rows.push_back({"rename ro to rw", h.Rename("/ro/f", "/home/g")});
  rows.push_back({"rename rw to ro", h.Rename("/home/mine", "/ro/g")});
  rows.push_back({"posix-rename ro to rw", h.PosixRename("/ro/f", "/home/g")});
  rows.push_back(
      {"posix-rename rw to ro", h.PosixRename("/home/mine", "/ro/f")});
  rows.push_back({"hardlink ro to rw", h.Hardlink("/ro/f", "/home/g")});
  rows.push_back({"hardlink rw to ro", h.Hardlink("/home/mine", "/ro/g")});
  rows.push_back({"symlink", h.Symlink("f", "/ro/l")});
  rows.push_back({"copy-data into ro", h.CopyData(home, 0, 0, rh, 0)});
  for (Row& row : rows) {
    INFO(row.what);
    size_t before = h.audit().entries.size();
    uint32_t id = LoadU32(row.packet.data() + 5);
    Reply r = h.Call(row.packet);
    CHECK(r.id == id);
    CHECK(r.Is(StatusCode::kPermissionDenied));
    REQUIRE(h.audit().entries.size() == before + 1);
    CHECK_FALSE(h.audit().entries.back().rule.empty());
    CHECK(h.audit().entries.back().result != "ok");
  }
  CHECK(ReadFile(h.Real("ro", "f")) == "keep");
  CHECK(ReadFile(h.Real("home", "mine")) == "mine");
  CHECK(Exists(h.Real("ro", "d")));
  CHECK_FALSE(Exists(h.Real("ro", "new")));
  CHECK_FALSE(Exists(h.Real("ro", "g")));
  CHECK_FALSE(Exists(h.Real("ro", "l")));
  CHECK_FALSE(Exists(h.Real("home", "g")));

  // Reading is allowed.
  CHECK(h.Call(h.Read(rh, 0, 10)).data == "keep");
  CHECK(h.Call(h.Stat("/ro/f")).type == fxp::kAttrs);
  std::string dh = h.OpendirOk("/ro");
  CHECK(h.ReaddirAll(dh).size() == 4);
}

TEST_CASE("session: owner_only hides and refuses other users' files") {
  Harness h;
  const std::string foreign = h.Real("own", "theirs");
  WriteFile(foreign, "secret");
  REQUIRE(chown(foreign.c_str(), Harness::kForeignUid, Harness::kForeignUid) ==
          0);
  REQUIRE(chmod(foreign.c_str(), 0666) == 0);
  WriteFile(h.Real("own", "mine"), "mine");
  WriteFile(h.Real("home", "other"), "other");
  // A foreign directory and a foreign symlink, and the user's own symlink
  // to the foreign file.
  const std::string their_dir = h.Real("own", "theirdir");
  REQUIRE(mkdir(their_dir.c_str(), 0777) == 0);
  REQUIRE(chown(their_dir.c_str(), Harness::kForeignUid,
                Harness::kForeignUid) == 0);
  const std::string their_link = h.Real("own", "theirlink");
  REQUIRE(symlink("mine", their_link.c_str()) == 0);
  REQUIRE(lchown(their_link.c_str(), Harness::kForeignUid,
                 Harness::kForeignUid) == 0);
  REQUIRE(symlink("theirs", h.Real("own", "mylink").c_str()) == 0);

  struct Row {
    const char* what;
    Bytes packet;
  };
  std::vector<Row> rows;
  rows.push_back({"open read", h.Open("/own/theirs", kR)});
  rows.push_back({"open write", h.Open("/own/theirs", kW)});
  rows.push_back({"open creat|trunc", h.Open("/own/theirs", kW | kC | kT)});
  rows.push_back({"stat", h.Stat("/own/theirs")});
  rows.push_back({"lstat", h.Lstat("/own/theirs")});
  rows.push_back({"setstat", h.Setstat("/own/theirs", PermAttrs(0600))});
  rows.push_back({"remove", h.Remove("/own/theirs")});
  rows.push_back({"rename source", h.Rename("/own/theirs", "/own/took")});
  rows.push_back(
      {"posix-rename source", h.PosixRename("/own/theirs", "/home/took")});
  rows.push_back({"posix-rename replace target",
                  h.PosixRename("/own/mine", "/own/theirs")});
  rows.push_back({"posix-rename replace from elsewhere",
                  h.PosixRename("/home/other", "/own/theirs")});
  rows.push_back({"hardlink source", h.Hardlink("/own/theirs", "/own/l")});
  rows.push_back({"lsetstat", h.Lsetstat("/own/theirs", PermAttrs(0600))});
  rows.push_back(
      {"stat through the user's own symlink", h.Stat("/own/mylink")});
  rows.push_back(
      {"open through the user's own symlink", h.Open("/own/mylink", kR)});
  rows.push_back({"opendir a foreign directory", h.Opendir("/own/theirdir")});
  rows.push_back({"rmdir a foreign directory", h.Rmdir("/own/theirdir")});
  rows.push_back({"readlink a foreign symlink", h.Readlink("/own/theirlink")});
  rows.push_back({"remove a foreign symlink", h.Remove("/own/theirlink")});
  for (Row& row : rows) {
    INFO(row.what);
    size_t before = h.audit().entries.size();
    Reply r = h.Call(row.packet);
    // Answered as for a name that does not exist, so a client cannot tell
    // another user's names from free ones; the trail has the refusal.
    CHECK(r.Is(StatusCode::kNoSuchFile));
    REQUIRE(h.audit().entries.size() > before);
    CHECK(h.audit().entries.back().rule.find("owner") != std::string::npos);
  }
  CHECK(h.Call(h.Stat("/own/no-such-name")).Is(StatusCode::kNoSuchFile));
  CHECK(h.Call(h.Open("/own/no-such-name", kR)).Is(StatusCode::kNoSuchFile));
  struct stat st = LStat(foreign);
  CHECK(st.st_uid == Harness::kForeignUid);
  CHECK((st.st_mode & 07777) == 0666);
  CHECK(ReadFile(foreign) == "secret");
  CHECK(ReadFile(h.Real("own", "mine")) == "mine");
  CHECK(ReadFile(h.Real("home", "other")) == "other");
  CHECK_FALSE(Exists(h.Real("own", "took")));
  CHECK_FALSE(Exists(h.Real("own", "l")));

  // Not listed; the user's own files are.
  std::string dh = h.OpendirOk("/own");
  std::set<std::string> names;
  for (const Reply::Name& n : h.ReaddirAll(dh)) names.insert(n.name);
  CHECK(names == std::set<std::string>{".", "..", "mine", "mylink"});
  CHECK(Exists(their_dir));
  CHECK(Exists(their_link));

  std::string fh = h.OpenOk("/own/mine", kR | kW);
  CHECK(h.Call(h.Write(fh, 4, "!")).Is(StatusCode::kOk));
  CHECK(h.Call(h.Read(fh, 0, 10)).data == "mine!");
  CHECK(h.Call(h.Setstat("/own/mine", PermAttrs(0600))).Is(StatusCode::kOk));
  CHECK(h.Call(h.Rename("/own/mine", "/own/mine2")).Is(StatusCode::kOk));
  std::string nh = h.OpenOk("/own/new", kW | kC);
  CHECK(h.Call(h.Remove("/own/new")).Is(StatusCode::kOk));
  CHECK(h.Call(h.Remove("/own/mine2")).Is(StatusCode::kOk));
}

TEST_CASE(
    "session: the audit trail records opens, closes with bytes, refusals") {
  Harness h;
  std::string fh = h.OpenOk("/home/f", kR | kW | kC);
  CHECK(h.Call(h.Write(fh, 0, "hello world")).Is(StatusCode::kOk));
  CHECK(h.Call(h.Read(fh, 0, 5)).data == "hello");
  CHECK(h.Call(h.Close(fh)).Is(StatusCode::kOk));
  CHECK(h.Call(h.Remove("/ro/x")).Is(StatusCode::kPermissionDenied));
  CHECK(h.Call(h.Mkdir("/home/d")).Is(StatusCode::kOk));

  const auto& e = h.audit().entries;
  REQUIRE(e.size() == 4);
  CHECK(e[0].op == "open");
  CHECK(e[0].path == "/home/f");
  CHECK(e[0].detail == "rwc");
  CHECK(e[1].op == "close");
  CHECK(e[1].path == "/home/f");
  CHECK(e[1].bytes_written == 11);
  CHECK(e[1].bytes_read == 5);
  CHECK(e[2].op == "remove");
  CHECK(e[2].path == "/ro/x");
  CHECK(e[2].rule == "read-only export");
  CHECK(e[2].result != "ok");
  CHECK(e[3].op == "mkdir");
  CHECK(e[3].result == "ok");
  CHECK(e[3].rule.empty());

  // Handles still open when the session ends are closed and audited.
  std::string g = h.OpenOk("/home/g", kW | kC);
  CHECK(h.Call(h.Write(g, 0, "abc")).Is(StatusCode::kOk));
  h.session().Close();
  REQUIRE(e.size() == 6);
  CHECK(e[5].op == "close");
  CHECK(e[5].bytes_written == 3);
  CHECK(h.Call(h.Write(g, 0, "x")).Is(StatusCode::kFailure));
}

}  // namespace
}  // namespace sftpd
