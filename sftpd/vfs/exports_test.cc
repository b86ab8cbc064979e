#include "sftpd/vfs/exports.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sftpd {
namespace {

constexpr uid_t kUser = 0;          // the session's user: the test runs as root
constexpr uid_t kStranger = 65534;  // "another user"

std::string Real(const std::string& p) {
  char buf[PATH_MAX];
  REQUIRE(realpath(p.c_str(), buf) != nullptr);
  return buf;
}

void WriteFile(const std::string& path, std::string_view content,
               mode_t mode = 0644) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, content.data(), content.size()) == ssize_t(content.size()));
  close(fd);
  REQUIRE(chmod(path.c_str(), mode) == 0);
}

std::string ReadFd(int fd) {
  std::string out;
  char buf[4096];
  off_t at = 0;
  for (int i = 0; i < 1024; ++i) {
    ssize_t n = pread(fd, buf, sizeof buf, at);
    if (n <= 0) break;
    out.append(buf, size_t(n));
    at += n;
  }
  return out;
}

std::string ReadPath(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "<unreadable>";
  std::string s = ReadFd(fd);
  close(fd);
  return s;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Names (with inode numbers) in a directory, sorted.
std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return {"<unreadable>"};
  for (int i = 0; i < 100000; ++i) {
    struct dirent* e = readdir(d);
    if (e == nullptr) break;
    out.push_back(std::string(e->d_name) + "#" + std::to_string(e->d_ino));
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool SameTime(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// Everything the tests must never change outside the exports.
struct Snapshot {
  std::string canary;
  struct stat canary_st;
  struct stat outside_st;
  std::vector<std::string> outside;
  std::vector<std::string> base;
};

// A scratch tree: four exports and an "outside" directory beside them, plus a
// set of pre-planted symlinks inside "home" that try to leave it.
//
//   base/home   export "home"  rw, umask 027
//   base/ro     export "ro"    ro
//   base/own    export "own"   rw, owner_only
//   base/other  export "other" rw
//   base/outside/canary        what no request may reach
class Tree {
 public:
  Tree() {
    // owner_only needs a second user: files are chowned to kStranger.
    INFO("the exports tests run as root");
    REQUIRE(geteuid() == 0);
    char tmpl[] = "/tmp/sftpd-exports-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    base_ = Real(tmpl);
    for (const char* d : {"home", "home/sub", "ro", "own", "other", "outside",
                          "home/race_dir"}) {
      REQUIRE(mkdir(P(d).c_str(), 0755) == 0);
    }
    home_ = P("home");
    other_ = P("other");
    outside_ = P("outside");
    canary_ = P("outside/canary");
    WriteFile(canary_, "canary: must stay as it is\n", 0666);
    // An old, exact mtime: any write shows.
    struct timespec ts[2] = {{1000000000, 123}, {1000000000, 456}};
    REQUIRE(utimensat(AT_FDCWD, canary_.c_str(), ts, 0) == 0);

    WriteFile(P("home/top.txt"), "top");
    WriteFile(P("home/sub/file"), "inside file");
    WriteFile(P("home/race_dir/canary"), "race inside");
    WriteFile(P("ro/file"), "ro file");
    WriteFile(P("own/mine"), "mine");
    WriteFile(P("own/foreign"), "foreign", 0666);
    REQUIRE(chown(P("own/foreign").c_str(), kStranger, kStranger) == 0);
    REQUIRE(mkdir(P("own/foreign_dir").c_str(), 0777) == 0);
    REQUIRE(chown(P("own/foreign_dir").c_str(), kStranger, kStranger) == 0);
    WriteFile(P("other/file"), "other file");

    // Escapes planted by someone with shell access to the tree.
    Link(canary_, "home/abs_file");
    Link(outside_, "home/abs_dir");
    Link("../outside/canary", "home/rel_file");
    Link("../../outside/canary", "home/sub/rel_up");
    Link("../../outside", "home/sub/rel_dir");
    Link("chain2", "home/chain1");
    Link("sub/chain3", "home/chain2");
    Link(home_ + "/sub/chain4", "home/sub/chain3");
    Link("../../outside/canary", "home/sub/chain4");
    Link("/", "home/to_root");
    Link(home_ + "/../outside/canary", "home/self_dotdot");
    Link(home_ + "/sub/../../outside/canary", "home/self_sub_dotdot");
    Link(other_ + "/file", "home/sibling");
    Link(canary_ + ".new", "home/dangle_abs");
    Link("../outside/new", "home/dangle_rel");
    Link("..", "home/up");
    Link(outside_, "home/alt");  // the race test's other half
    // Links that stay inside.
    Link(home_ + "/sub/file", "home/self_file");
    Link(home_ + "/sub", "home/self_dir");
    Link("../top.txt", "home/sub/rel_in");

    std::vector<ExportSpec> specs = {
        {"home", home_, Access::kReadWrite, false, 027},
        {"ro", P("ro"), Access::kReadOnly, false, 022},
        {"own", P("own"), Access::kReadWrite, true, 022},
        {"other", other_, Access::kReadWrite, false, 022},
    };
    Result<std::unique_ptr<Exports>> r = Exports::Open(std::move(specs), kUser);
    REQUIRE(r.ok());
    ex_ = std::move(r.value());
    before_ = Take();
  }

  ~Tree() {
    umount2(P("mnt").c_str(), MNT_DETACH);  // if a test left its tmpfs
    std::error_code ec;
    std::filesystem::remove_all(base_, ec);  // does not follow symlinks
  }

  Exports& ex() { return *ex_; }
  std::string P(std::string_view rel) const {
    return base_ + "/" + std::string(rel);
  }
  const std::string& base() const { return base_; }
  const std::string& home() const { return home_; }
  const std::string& other() const { return other_; }
  const std::string& canary() const { return canary_; }
  const struct stat& canary_st() const { return before_.canary_st; }

  Location Loc(std::string_view path, Effect e = Effect::kRead) {
    FsResult<Location> r = ex_->Locate(path, e);
    INFO("locate " << path);
    REQUIRE(r.ok());
    return r.value;
  }

  // Nothing outside the exports changed since the tree was built.
  void ExpectOutsideUnchanged() {
    Snapshot now = Take();
    CHECK(now.canary == before_.canary);
    CHECK(now.canary_st.st_ino == before_.canary_st.st_ino);
    CHECK(now.canary_st.st_size == before_.canary_st.st_size);
    CHECK(now.canary_st.st_mode == before_.canary_st.st_mode);
    CHECK(now.canary_st.st_uid == before_.canary_st.st_uid);
    CHECK(now.canary_st.st_nlink == before_.canary_st.st_nlink);
    CHECK(SameTime(now.canary_st.st_mtim, before_.canary_st.st_mtim));
    CHECK(SameTime(now.canary_st.st_ctim, before_.canary_st.st_ctim));
    CHECK(SameTime(now.outside_st.st_mtim, before_.outside_st.st_mtim));
    CHECK(now.outside == before_.outside);
    CHECK(now.base == before_.base);
  }

  // Re-takes the reference after a test changed the top level on purpose.
  void Rebase() { before_ = Take(); }

 private:
  void Link(const std::string& target, const char* at) {
    REQUIRE(symlink(target.c_str(), P(at).c_str()) == 0);
  }

  Snapshot Take() {
    Snapshot s;
    s.canary = ReadPath(canary_);
    REQUIRE(lstat(canary_.c_str(), &s.canary_st) == 0);
    REQUIRE(lstat(outside_.c_str(), &s.outside_st) == 0);
    s.outside = Listing(outside_);
    s.base = Listing(base_);
    return s;
  }

  std::string base_, home_, other_, outside_, canary_;
  std::unique_ptr<Exports> ex_;
  Snapshot before_;
};

// Exchanges two names (RENAME_EXCHANGE) again and again on a thread of its
// own, a bounded number of times, until stopped.
class Swapper {
 public:
  Swapper(std::string a, std::string b)
      : a_(std::move(a)), b_(std::move(b)), thread_([this] { Run(); }) {}
  ~Swapper() { Stop(); }
  Swapper(const Swapper&) = delete;
  Swapper& operator=(const Swapper&) = delete;
  // Stops the thread; returns how many exchanges it made.
  long Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return swaps_.load();
  }

 private:
  void Run() {
    for (long i = 0; i < 50'000'000 && !stop_.load(); ++i) {
      if (renameat2(AT_FDCWD, a_.c_str(), AT_FDCWD, b_.c_str(),
                    RENAME_EXCHANGE) == 0) {
        swaps_.fetch_add(1);
      }
    }
  }
  const std::string a_, b_;
  std::atomic<bool> stop_{false};
  std::atomic<long> swaps_{0};
  std::thread thread_;  // last: it runs on the members above
};

bool IsCanary(const struct stat& st, const struct stat& canary) {
  return st.st_dev == canary.st_dev && st.st_ino == canary.st_ino;
}

// Open for reading and (following) stat both fail; if either succeeded, it
// must at least not be the canary.
void ExpectUnreachable(Tree& t, const Location& loc) {
  INFO("path " << loc.vpath);
  bool created = false;
  FsResult<Fd> f = t.ex().OpenFile(loc, O_RDONLY, 0, &created);
  CHECK_FALSE(f.ok());
  CHECK_FALSE(created);
  if (f.ok()) {
    struct stat st;
    REQUIRE(fstat(f.value.get(), &st) == 0);
    CHECK_FALSE(IsCanary(st, t.canary_st()));
  }
  FsResult<struct stat> s = t.ex().Stat(loc, true);
  CHECK_FALSE(s.ok());
  if (s.ok()) CHECK_FALSE(IsCanary(s.value, t.canary_st()));
}

// The same, and the refusal names the rule (the path left the export).
void ExpectRefused(Tree& t, std::string_view path) {
  Location loc = t.Loc(path);
  ExpectUnreachable(t, loc);
  bool created = false;
  FsResult<Fd> f = t.ex().OpenFile(loc, O_RDONLY, 0, &created);
  INFO("path " << path);
  CHECK(f.outcome.err == EACCES);
  CHECK(f.outcome.refused());
}

}  // namespace

TEST_CASE("exports: paths that climb or name no export are not found") {
  Tree t;
  for (std::string_view p :
       {"../outside/canary", "/home/../../outside/canary", "/etc/passwd",
        "/outside", "/../outside/canary", "../../../../../etc/passwd"}) {
    INFO(p);
    FsResult<Location> r = t.ex().Locate(p, Effect::kRead);
    CHECK(r.outcome.err == ENOENT);
    CHECK_FALSE(r.outcome.refused());
    FsResult<Location> w = t.ex().Locate(p, Effect::kWrite);
    CHECK_FALSE(w.ok());
  }
  // Normalizing is lexical: ".." never climbs above "/", and relative paths
  // start in the first export.
  CHECK(t.Loc("../home/top.txt").vpath == "/home/top.txt");
  CHECK(t.Loc("top.txt").vpath == "/home/top.txt");
  CHECK(t.Loc("top.txt").rel == "top.txt");
  CHECK(t.Loc("/home/sub/../top.txt").rel == "top.txt");
  CHECK(t.Loc("/").IsVirtualRoot());
  CHECK(t.Loc("/home/").IsExportRoot());
  CHECK(t.ex().start() == "/home");
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: a hand-made location with .. is still held beneath") {
  // Locate never yields such a location; resolution must hold anyway.
  Tree t;
  Location loc = t.Loc("/home");
  for (const char* rel :
       {"../outside/canary", "sub/../../outside/canary", "..", "sub/../.."}) {
    INFO(rel);
    loc.rel = rel;
    bool created = false;
    FsResult<Fd> f = t.ex().OpenFile(loc, O_RDONLY, 0, &created);
    CHECK_FALSE(f.ok());
    FsResult<struct stat> s = t.ex().Stat(loc, true);
    CHECK_FALSE(s.ok());
    f = t.ex().OpenFile(loc, O_WRONLY | O_CREAT, 0644, &created);
    CHECK_FALSE(f.ok());
    CHECK_FALSE(created);
  }
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: planted symlinks out of the export are refused") {
  Tree t;
  for (std::string_view p :
       {"/home/abs_file", "/home/abs_dir/canary", "/home/rel_file",
        "/home/sub/rel_up", "/home/sub/rel_dir/canary", "/home/chain1",
        "/home/up/outside/canary", "/home/self_dotdot",
        "/home/self_sub_dotdot"}) {
    ExpectRefused(t, p);
  }
  // A link to "/" reaches nothing either, not even through its real path.
  ExpectRefused(t, "/home/to_root/etc/passwd");
  ExpectRefused(t, "/home/to_root" + t.canary());
  // lstat of the link itself is fine: it is inside.
  FsResult<struct stat> l = t.ex().Stat(t.Loc("/home/abs_file"), false);
  REQUIRE(l.ok());
  CHECK(S_ISLNK(l.value.st_mode));
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: directories through an outside link cannot be used") {
  Tree t;
  bool created = false;
  std::vector<std::string> paths = {
      "/home/abs_dir/made", "/home/sub/rel_dir/made",
      "/home/to_root" + t.P("outside/made"), "/home/abs_dir/canary",
      "/home/chain1/made"};
  for (const std::string& p : paths) {
    INFO(p);
    Location loc = t.Loc(p, Effect::kWrite);
    FsResult<Fd> f = t.ex().OpenFile(loc, O_WRONLY | O_CREAT, 0666, &created);
    CHECK_FALSE(f.ok());
    CHECK_FALSE(created);
    f = t.ex().OpenFile(loc, O_WRONLY | O_CREAT | O_TRUNC, 0666, &created);
    CHECK_FALSE(f.ok());
    f = t.ex().OpenFile(loc, O_RDWR | O_APPEND, 0, &created);
    CHECK_FALSE(f.ok());
    CHECK_FALSE(t.ex().MakeDir(loc, 0777).ok());
    CHECK_FALSE(t.ex().Symlink("x", loc).ok());
    CHECK_FALSE(t.ex().Remove(loc).ok());
    CHECK_FALSE(t.ex().RemoveDir(loc).ok());
    Attrs a;
    a.flags = Attrs::kPermissions | Attrs::kSize;
    a.permissions = 0777;
    CHECK_FALSE(t.ex().SetStat(loc, a, true).ok());
    CHECK_FALSE(t.ex().SetStat(loc, a, false).ok());
    CHECK_FALSE(
        t.ex().Rename(loc, t.Loc("/home/stolen", Effect::kWrite), true).ok());
    CHECK_FALSE(t.ex().Link(loc, t.Loc("/home/stolen", Effect::kWrite)).ok());
    CHECK_FALSE(t.ex().ReadLink(loc).ok());
    CHECK_FALSE(t.ex().OpenDir(t.Loc("/home/abs_dir")).ok());
  }
  CHECK_FALSE(Exists(t.P("home/stolen")));
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: dangling links out of the export create nothing") {
  Tree t;
  for (std::string_view p : {"/home/dangle_abs", "/home/dangle_rel"}) {
    INFO(p);
    bool created = false;
    Location loc = t.Loc(p, Effect::kWrite);
    FsResult<Fd> f = t.ex().OpenFile(loc, O_WRONLY | O_CREAT, 0666, &created);
    CHECK_FALSE(f.ok());
    CHECK_FALSE(created);
    f = t.ex().OpenFile(loc, O_WRONLY | O_CREAT | O_EXCL, 0666, &created);
    CHECK_FALSE(f.ok());
  }
  CHECK_FALSE(Exists(t.canary() + ".new"));
  CHECK_FALSE(Exists(t.P("outside/new")));
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: a client's symlink to /etc/passwd leads nowhere") {
  Tree t;
  Location at = t.Loc("/home/evil", Effect::kWrite);
  REQUIRE(t.ex().Symlink("/etc/passwd", at).ok());
  ExpectRefused(t, "/home/evil");
  Location at2 = t.Loc("/home/evil_canary", Effect::kWrite);
  REQUIRE(t.ex().Symlink(t.canary(), at2).ok());
  ExpectRefused(t, "/home/evil_canary");
  Location at3 = t.Loc("/home/evil_root", Effect::kWrite);
  REQUIRE(t.ex().Symlink("/", at3).ok());
  ExpectRefused(t, "/home/evil_root/etc/passwd");
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: hard links never reach an outside file") {
  Tree t;
  Location to = t.Loc("/home/hard", Effect::kWrite);
  // Through a directory link: the source is not found beneath the export.
  Outcome o = t.ex().Link(t.Loc("/home/abs_dir/canary"), to);
  CHECK_FALSE(o.ok());
  CHECK_FALSE(t.ex().Link(t.Loc("/home/sub/rel_dir/canary"), to).ok());
  CHECK_FALSE(Exists(t.P("home/hard")));
  // A link to the symlink itself names the symlink, never its target.
  o = t.ex().Link(t.Loc("/home/abs_file"), to);
  if (o.ok()) {
    struct stat st;
    REQUIRE(lstat(t.P("home/hard").c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    ExpectRefused(t, "/home/hard");
  }
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: renames through an outside link are refused") {
  Tree t;
  REQUIRE(mkdir(t.P("home/movable").c_str(), 0755) == 0);
  WriteFile(t.P("home/movable/f"), "f");
  Location from = t.Loc("/home/movable", Effect::kWrite);
  for (std::string_view to : {"/home/abs_dir/moved", "/home/sub/rel_dir/moved",
                              "/home/chain1/moved"}) {
    INFO(to);
    CHECK_FALSE(t.ex().Rename(from, t.Loc(to, Effect::kWrite), true).ok());
    CHECK_FALSE(t.ex().Rename(from, t.Loc(to, Effect::kWrite), false).ok());
  }
  // Out of the tree: the canary's directory is the source.
  CHECK_FALSE(t.ex()
                  .Rename(t.Loc("/home/abs_dir/canary", Effect::kWrite),
                          t.Loc("/home/got", Effect::kWrite), true)
                  .ok());
  CHECK(Exists(t.P("home/movable/f")));
  CHECK_FALSE(Exists(t.P("home/got")));
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: absolute links into the export's own real path resolve") {
  Tree t;
  bool created = false;
  FsResult<Fd> f =
      t.ex().OpenFile(t.Loc("/home/self_file"), O_RDONLY, 0, &created);
  REQUIRE(f.ok());
  CHECK(ReadFd(f.value.get()) == "inside file");
  f = t.ex().OpenFile(t.Loc("/home/self_dir/file"), O_RDONLY, 0, &created);
  REQUIRE(f.ok());
  CHECK(ReadFd(f.value.get()) == "inside file");
  FsResult<struct stat> s = t.ex().Stat(t.Loc("/home/self_dir"), true);
  REQUIRE(s.ok());
  CHECK(S_ISDIR(s.value.st_mode));
  // Creating through an absolute in-export directory link lands inside.
  f = t.ex().OpenFile(t.Loc("/home/self_dir/new", Effect::kWrite),
                      O_WRONLY | O_CREAT, 0644, &created);
  REQUIRE(f.ok());
  CHECK(created);
  CHECK(Exists(t.P("home/sub/new")));
  // A link to the sibling export's real path is outside this export's root.
  ExpectRefused(t, "/home/sibling");
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: relative links that stay inside work") {
  Tree t;
  bool created = false;
  FsResult<Fd> f =
      t.ex().OpenFile(t.Loc("/home/sub/rel_in"), O_RDONLY, 0, &created);
  REQUIRE(f.ok());
  CHECK(ReadFd(f.value.get()) == "top");
  // "sub/.." and a link to ".." from a subdirectory stay beneath.
  REQUIRE(symlink("..", t.P("home/sub/back").c_str()) == 0);
  f = t.ex().OpenFile(t.Loc("/home/sub/back/top.txt"), O_RDONLY, 0, &created);
  REQUIRE(f.ok());
  CHECK(ReadFd(f.value.get()) == "top");
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: swapping a name between inside and outside races nowhere") {
  Tree t;
  // Each round flips one name, with RENAME_EXCHANGE, between something inside
  // (a directory holding "canary", or a file) and a link to the outside
  // directory or the canary, while this thread keeps opening through it.
  REQUIRE(rename(t.P("home/race_dir").c_str(), t.P("home/race").c_str()) == 0);
  REQUIRE(symlink("../outside", t.P("home/alt_rel").c_str()) == 0);
  WriteFile(t.P("home/rfile"), "race file");
  REQUIRE(symlink(t.canary().c_str(), t.P("home/alt_file").c_str()) == 0);
  struct Round {
    const char* name;   // the name being flipped
    const char* other;  // the outside link it is exchanged with
    const char* read;   // opened for reading and writing
    const char* make;   // opened with O_CREAT
  } rounds[] = {
      // The directory component flips: openat2, then the walk.
      {"race", "alt", "/home/race/canary", "/home/race/made"},
      {"race", "alt_rel", "/home/race/canary", "/home/race/made"},
      // The last component flips between the walk's look and its open.
      {"rfile", "alt_file", "/home/rfile", "/home/rfile"},
  };
  for (const Round& round : rounds) {
    INFO("flipping " << round.name << " with " << round.other);
    std::string a = t.P("home/" + std::string(round.name));
    std::string b = t.P("home/" + std::string(round.other));
    struct stat inside;
    REQUIRE(stat(t.P(std::string(round.read).substr(1)).c_str(), &inside) == 0);
    Swapper swapper(a, b);
    long opened = 0, failed = 0, escaped = 0, strangers = 0, created_out = 0;
    Location rd = t.Loc(round.read, Effect::kWrite);
    Location wr = t.Loc(round.make, Effect::kWrite);
    auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
    for (int i = 0; i < 10'000'000 && std::chrono::steady_clock::now() < until;
         ++i) {
      bool created = false;
      bool make = i % 3 == 2;
      FsResult<Fd> f =
          make ? t.ex().OpenFile(wr, O_WRONLY | O_CREAT, 0644, &created)
               : t.ex().OpenFile(rd, (i % 3 == 1) ? O_RDWR : O_RDONLY, 0,
                                 &created);
      if (make && Exists(t.P("outside/made"))) ++created_out;
      if (!f.ok()) {
        ++failed;
        continue;
      }
      ++opened;
      struct stat st;
      REQUIRE(fstat(f.value.get(), &st) == 0);
      if (IsCanary(st, t.canary_st())) ++escaped;
      if (!make && (st.st_dev != inside.st_dev || st.st_ino != inside.st_ino)) {
        ++strangers;
      }
    }
    long swaps = swapper.Stop();
    INFO("swaps " << swaps << " opened " << opened << " failed " << failed);
    CHECK(escaped == 0);
    CHECK(strangers == 0);
    CHECK(created_out == 0);
    // Both shapes were seen, so the race was really run.
    CHECK(swaps > 0);
    CHECK(opened > 0);
    CHECK(failed > 0);
    // Put the inside object back under its name for the next round.
    struct stat st;
    REQUIRE(lstat(a.c_str(), &st) == 0);
    if (S_ISLNK(st.st_mode)) {
      REQUIRE(renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(),
                        RENAME_EXCHANGE) == 0);
    }
  }
  CHECK_FALSE(Exists(t.P("outside/made")));
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: a read-only export refuses writes at the gate") {
  Tree t;
  int ro = t.Loc("/ro").index;
  REQUIRE(ro == 1);
  FsResult<Location> w = t.ex().Locate("/ro/file", Effect::kWrite);
  CHECK(w.outcome.err == EACCES);
  CHECK(w.outcome.refused());
  CHECK(w.value.index == ro);  // the location is still named, for the audit
  CHECK(t.ex().Locate("/ro/file", Effect::kRead).ok());
  CHECK(t.ex().Locate("/ro/file", Effect::kNone).ok());
  Outcome g = t.ex().Gate(ro, Effect::kWrite);
  CHECK(g.err == EACCES);
  CHECK_FALSE(g.rule.empty());
  CHECK(t.ex().Gate(ro, Effect::kRead).ok());
  CHECK(t.ex().Gate(0, Effect::kWrite).ok());
  // The virtual root is read-only too.
  FsResult<Location> root = t.ex().Locate("/", Effect::kWrite);
  CHECK(root.outcome.refused());
  CHECK(t.ex().Gate(-1, Effect::kWrite).refused());
  // statvfs says so.
  FsResult<struct statvfs> v = t.ex().StatVfs(t.Loc("/ro"));
  REQUIRE(v.ok());
  CHECK((v.value.f_flag & ST_RDONLY) != 0);
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: owner_only refuses another user's files") {
  Tree t;
  Location foreign = t.Loc("/own/foreign", Effect::kWrite);
  Location mine = t.Loc("/own/mine", Effect::kWrite);
  bool created = false;

  FsResult<Fd> f = t.ex().OpenFile(foreign, O_RDONLY, 0, &created);
  CHECK(f.outcome.refused());
  f = t.ex().OpenFile(foreign, O_WRONLY | O_TRUNC, 0, &created);
  CHECK(f.outcome.refused());
  f = t.ex().OpenFile(foreign, O_WRONLY | O_CREAT, 0644, &created);
  CHECK(f.outcome.refused());
  CHECK_FALSE(created);
  CHECK(ReadPath(t.P("own/foreign")) == "foreign");  // not truncated

  FsResult<struct stat> s = t.ex().Stat(foreign, true);
  CHECK(s.outcome.refused());
  CHECK(t.ex().Stat(foreign, false).outcome.refused());

  Attrs a;
  a.flags = Attrs::kPermissions;
  a.permissions = 0600;
  Outcome o = t.ex().SetStat(foreign, a, true);
  CHECK(o.refused());
  CHECK_FALSE(o.rule.empty());
  struct stat st;
  REQUIRE(stat(t.P("own/foreign").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0666);

  CHECK(t.ex().Remove(foreign).refused());
  CHECK(Exists(t.P("own/foreign")));
  CHECK(t.ex()
            .Rename(foreign, t.Loc("/own/took", Effect::kWrite), true)
            .refused());
  CHECK(t.ex()
            .Rename(foreign, t.Loc("/home/took", Effect::kWrite), false)
            .refused());
  CHECK(t.ex().Rename(mine, foreign, true).refused());  // as a replace target
  CHECK(t.ex().Link(foreign, t.Loc("/own/took", Effect::kWrite)).refused());
  CHECK(t.ex().Link(foreign, t.Loc("/home/took", Effect::kWrite)).refused());
  CHECK(ReadPath(t.P("own/foreign")) == "foreign");
  CHECK(ReadPath(t.P("own/mine")) == "mine");
  CHECK_FALSE(Exists(t.P("own/took")));
  CHECK_FALSE(Exists(t.P("home/took")));

  // A foreign directory cannot be listed or removed.
  Location fdir = t.Loc("/own/foreign_dir", Effect::kWrite);
  CHECK(t.ex().OpenDir(fdir).outcome.refused());
  CHECK(t.ex().RemoveDir(fdir).refused());
  CHECK(Exists(t.P("own/foreign_dir")));

  // My own link to the foreign file does not help.
  REQUIRE(t.ex().Symlink("foreign", t.Loc("/own/ln", Effect::kWrite)).ok());
  CHECK(t.ex()
            .OpenFile(t.Loc("/own/ln"), O_RDONLY, 0, &created)
            .outcome.refused());
  CHECK(t.ex().Stat(t.Loc("/own/ln"), true).outcome.refused());

  // My own file is fine.
  f = t.ex().OpenFile(mine, O_RDONLY, 0, &created);
  REQUIRE(f.ok());
  CHECK(ReadFd(f.value.get()) == "mine");
  CHECK(t.ex().Stat(mine, true).ok());

  // The same foreign file in a shared export is readable.
  REQUIRE(chown(t.P("other/file").c_str(), kStranger, kStranger) == 0);
  CHECK(t.ex().OpenFile(t.Loc("/other/file"), O_RDONLY, 0, &created).ok());
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: owner_only listings skip foreign entries") {
  Tree t;
  // The root itself belongs to someone else: still listed and stat'ed.
  REQUIRE(chown(t.P("own").c_str(), kStranger, kStranger) == 0);
  Location root = t.Loc("/own");
  FsResult<struct stat> s = t.ex().Stat(root, true);
  REQUIRE(s.ok());
  CHECK(s.value.st_uid == kStranger);
  FsResult<std::unique_ptr<DirStream>> d = t.ex().OpenDir(root);
  REQUIRE(d.ok());
  std::set<std::string> names;
  for (int i = 0; i < 100; ++i) {
    FsResult<std::vector<DirEntry>> batch =
        t.ex().ReadDir(*d.value, 512, 1 << 20);
    REQUIRE(batch.ok());
    if (batch.value.empty()) break;
    for (const DirEntry& e : batch.value) names.insert(e.name);
  }
  CHECK(names.count("mine") == 1);
  CHECK(names.count(".") == 1);
  CHECK(names.count("..") == 1);
  CHECK(names.count("foreign") == 0);
  CHECK(names.count("foreign_dir") == 0);
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: the export umask masks created files and directories") {
  Tree t;
  mode_t old = umask(0);  // so only the export's umask (027) applies
  bool created = false;
  FsResult<Fd> f = t.ex().OpenFile(t.Loc("/home/made", Effect::kWrite),
                                   O_WRONLY | O_CREAT, 0666, &created);
  Outcome m = t.ex().MakeDir(t.Loc("/home/made_dir", Effect::kWrite), 0777);
  // A second export with the default umask, for contrast.
  FsResult<Fd> g = t.ex().OpenFile(t.Loc("/other/made", Effect::kWrite),
                                   O_WRONLY | O_CREAT, 0666, &created);
  umask(old);
  REQUIRE(f.ok());
  REQUIRE(m.ok());
  REQUIRE(g.ok());
  struct stat st;
  REQUIRE(stat(t.P("home/made").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  REQUIRE(stat(t.P("home/made_dir").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0750);
  REQUIRE(stat(t.P("other/made").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: absolute links show and store virtual paths") {
  Tree t;
  // Planted with the real path; the client sees its own namespace.
  FsResult<std::string> r = t.ex().ReadLink(t.Loc("/home/self_file"));
  REQUIRE(r.ok());
  CHECK(r.value == "/home/sub/file");
  r = t.ex().ReadLink(t.Loc("/home/sibling"));
  REQUIRE(r.ok());
  CHECK(r.value == "/other/file");
  r = t.ex().ReadLink(t.Loc("/home/sub/rel_in"));
  REQUIRE(r.ok());
  CHECK(r.value == "../top.txt");
  r = t.ex().ReadLink(t.Loc("/home/abs_file"));  // not in any export: as is
  REQUIRE(r.ok());
  CHECK(r.value == t.canary());
  CHECK(t.ex().ReadLink(t.Loc("/home/top.txt")).outcome.err == EINVAL);
  // An export root is no link; a path through a link out of the export is
  // refused, with its rule for the audit trail.
  CHECK(t.ex().ReadLink(t.Loc("/home")).outcome.err == EINVAL);
  FsResult<std::string> out = t.ex().ReadLink(t.Loc("/home/abs_dir/canary"));
  CHECK(out.outcome.err == EACCES);
  CHECK(out.outcome.refused());

  // Created with a virtual path; stored as the real one, and it resolves.
  WriteFile(t.P("home/x"), "x content");
  REQUIRE(
      t.ex().Symlink("/home/x", t.Loc("/home/sub/to_x", Effect::kWrite)).ok());
  char buf[PATH_MAX];
  ssize_t n = readlink(t.P("home/sub/to_x").c_str(), buf, sizeof buf);
  REQUIRE(n > 0);
  CHECK(std::string(buf, size_t(n)) == t.home() + "/x");
  bool created = false;
  FsResult<Fd> f =
      t.ex().OpenFile(t.Loc("/home/sub/to_x"), O_RDONLY, 0, &created);
  REQUIRE(f.ok());
  CHECK(ReadFd(f.value.get()) == "x content");
  r = t.ex().ReadLink(t.Loc("/home/sub/to_x"));
  REQUIRE(r.ok());
  CHECK(r.value == "/home/x");
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: rename within and across exports") {
  Tree t;
  WriteFile(t.P("home/a"), "a");
  WriteFile(t.P("home/b"), "b");
  Location a = t.Loc("/home/a", Effect::kWrite);
  Location b = t.Loc("/home/b", Effect::kWrite);
  // replace=false onto an existing name: EEXIST, nothing moved.
  Outcome o = t.ex().Rename(a, b, false);
  CHECK(o.err == EEXIST);
  CHECK_FALSE(o.refused());
  CHECK(ReadPath(t.P("home/a")) == "a");
  CHECK(ReadPath(t.P("home/b")) == "b");
  // replace=true does replace.
  CHECK(t.ex().Rename(a, b, true).ok());
  CHECK_FALSE(Exists(t.P("home/a")));
  CHECK(ReadPath(t.P("home/b")) == "a");
  // Across two rw exports on the same filesystem.
  CHECK(t.ex().Rename(b, t.Loc("/other/moved", Effect::kWrite), false).ok());
  CHECK(ReadPath(t.P("other/moved")) == "a");
  CHECK_FALSE(Exists(t.P("home/b")));
  // A missing source.
  CHECK(t.ex().Rename(a, b, false).err == ENOENT);
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: rename across filesystems is EXDEV") {
  Tree t;
  std::string mnt = t.P("mnt");
  REQUIRE(mkdir(mnt.c_str(), 0755) == 0);
  if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) {
    WARN("cannot mount a tmpfs (" << strerror(errno) << "): skipped");
    return;
  }
  t.Rebase();
  {
    std::vector<ExportSpec> specs = {
        {"home", t.home(), Access::kReadWrite, false, 022},
        {"mnt", mnt, Access::kReadWrite, false, 022},
    };
    Result<std::unique_ptr<Exports>> r = Exports::Open(std::move(specs), kUser);
    REQUIRE(r.ok());
    Exports& ex = *r.value();
    auto loc = [&](std::string_view p) {
      FsResult<Location> l = ex.Locate(p, Effect::kWrite);
      REQUIRE(l.ok());
      return l.value;
    };
    Outcome o = ex.Rename(loc("/home/top.txt"), loc("/mnt/top.txt"), false);
    CHECK(o.err == EXDEV);
    CHECK_FALSE(o.refused());
    o = ex.Rename(loc("/home/top.txt"), loc("/mnt/top.txt"), true);
    CHECK(o.err == EXDEV);
    CHECK(ex.Link(loc("/home/top.txt"), loc("/mnt/top.txt")).err == EXDEV);
    CHECK(Exists(t.P("home/top.txt")));
    CHECK_FALSE(Exists(mnt + "/top.txt"));
  }
  REQUIRE(umount2(mnt.c_str(), MNT_DETACH) == 0);
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: export roots cannot be removed, renamed or replaced") {
  Tree t;
  Location home = t.Loc("/home", Effect::kWrite);
  Location other = t.Loc("/other", Effect::kWrite);
  Location file = t.Loc("/home/top.txt", Effect::kWrite);
  CHECK(t.ex().Remove(home).refused());
  CHECK(t.ex().RemoveDir(home).refused());
  CHECK(
      t.ex().Rename(home, t.Loc("/other/h", Effect::kWrite), false).refused());
  CHECK(t.ex().Rename(file, other, true).refused());
  CHECK(t.ex().Link(file, other).refused());
  CHECK(t.ex().Symlink("x", home).refused());
  CHECK(t.ex().MakeDir(home, 0755).err == EEXIST);
  Attrs none;
  CHECK(t.ex().SetStat(t.Loc("/"), none, true).refused());
  CHECK(t.ex().Remove(t.Loc("/")).refused());
  // A link to ".." does not make the root removable.
  CHECK_FALSE(t.ex().RemoveDir(t.Loc("/home/up", Effect::kWrite)).ok());
  CHECK(Exists(t.home()));
  CHECK(Exists(t.other()));
  CHECK(Exists(t.P("home/top.txt")));
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: a FIFO is refused without blocking") {
  Tree t;
  REQUIRE(mkfifo(t.P("home/fifo").c_str(), 0666) == 0);
  std::atomic<int> done{0};
  Outcome rd, wr;
  Location loc = t.Loc("/home/fifo", Effect::kWrite);
  std::thread opener([&] {  // no assertions here: Catch2 is single-threaded
    bool created = false;
    rd = t.ex().OpenFile(loc, O_RDONLY, 0, &created).outcome;
    wr = t.ex().OpenFile(loc, O_WRONLY | O_CREAT, 0644, &created).outcome;
    done = 1;
  });
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!done.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  bool blocked = !done.load();
  if (blocked) {
    // Give the stuck open a peer so the thread can finish.
    for (int i = 0; i < 2 && !done.load(); ++i) {
      int fd = open(t.P("home/fifo").c_str(), O_RDWR | O_CLOEXEC);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (fd >= 0) close(fd);
    }
  }
  opener.join();
  CHECK_FALSE(blocked);
  CHECK_FALSE(rd.ok());
  CHECK(rd.refused());
  CHECK_FALSE(wr.ok());  // ENXIO (no reader) or refused; never opened
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: ReadDir returns bounded batches") {
  Tree t;
  REQUIRE(mkdir(t.P("home/many").c_str(), 0755) == 0);
  for (int i = 0; i < 25; ++i) {
    WriteFile(t.P("home/many/f" + std::to_string(i)), "x");
  }
  FsResult<std::unique_ptr<DirStream>> d = t.ex().OpenDir(t.Loc("/home/many"));
  REQUIRE(d.ok());
  std::set<std::string> names;
  size_t total = 0;
  int batches = 0;
  for (int i = 0; i < 100; ++i) {
    FsResult<std::vector<DirEntry>> b = t.ex().ReadDir(*d.value, 10, 1 << 20);
    REQUIRE(b.ok());
    if (b.value.empty()) break;
    CHECK(b.value.size() <= 10);
    ++batches;
    total += b.value.size();
    for (const DirEntry& e : b.value) {
      names.insert(e.name);
      if (e.name[0] == 'f') CHECK(S_ISREG(e.st.st_mode));
    }
  }
  CHECK(total == 27);  // 25 files, "." and ".."
  CHECK(names.size() == 27);
  CHECK(batches == 3);
  // A tight byte budget stops early but always makes progress.
  d = t.ex().OpenDir(t.Loc("/home/many"));
  REQUIRE(d.ok());
  total = 0;
  batches = 0;
  for (int i = 0; i < 100; ++i) {
    FsResult<std::vector<DirEntry>> b = t.ex().ReadDir(*d.value, 512, 1);
    REQUIRE(b.ok());
    if (b.value.empty()) break;
    CHECK(b.value.size() == 1);
    ++batches;
    total += b.value.size();
  }
  CHECK(total == 27);
  CHECK(batches == 27);
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: the virtual root lists the exports and holds no files") {
  Tree t;
  std::vector<DirEntry> e = t.ex().RootEntries();
  std::vector<std::string> names;
  for (const DirEntry& d : e) names.push_back(d.name);
  CHECK(names ==
        std::vector<std::string>{".", "..", "home", "ro", "own", "other"});
  FsResult<struct stat> s = t.ex().Stat(t.Loc("/"), true);
  REQUIRE(s.ok());
  CHECK(S_ISDIR(s.value.st_mode));
  bool created = false;
  CHECK(t.ex().OpenFile(t.Loc("/"), O_RDONLY, 0, &created).outcome.err ==
        EISDIR);
  CHECK(t.ex().OpenFile(t.Loc("/home"), O_RDONLY, 0, &created).outcome.err ==
        EISDIR);
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: setstat applies size, permissions and times") {
  Tree t;
  WriteFile(t.P("home/s"), "0123456789");
  Attrs a;
  a.flags = Attrs::kSize | Attrs::kPermissions | Attrs::kAcModTime;
  a.size = 4;
  a.permissions = 0600;
  a.atime = 1500000000;
  a.mtime = 1600000000;
  Outcome o = t.ex().SetStat(t.Loc("/home/s", Effect::kWrite), a, true);
  REQUIRE(o.ok());
  struct stat st;
  REQUIRE(stat(t.P("home/s").c_str(), &st) == 0);
  CHECK(st.st_size == 4);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_mtim.tv_sec == 1600000000);
  CHECK(st.st_atim.tv_sec == 1500000000);
  // Through an in-export link, follow=true changes the target.
  a.flags = Attrs::kPermissions;
  a.permissions = 0640;
  REQUIRE(
      t.ex().SetStat(t.Loc("/home/self_file", Effect::kWrite), a, true).ok());
  REQUIRE(stat(t.P("home/sub/file").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  t.ExpectOutsideUnchanged();
}

TEST_CASE(
    "exports: a root in a directory the user can write is not "
    "re-pointed by a symlink") {
  Tree t;
  // export "public" is <home>/public, and the user owns <home> (as with
  // path = "%h/public" beside an export of "%h"): she can rename the root
  // away and put a link to anywhere in its place.
  const std::string home = t.P("userhome");
  REQUIRE(mkdir(home.c_str(), 0755) == 0);
  REQUIRE(mkdir((home + "/public").c_str(), 0755) == 0);
  REQUIRE(chown(home.c_str(), kStranger, kStranger) == 0);
  auto open_public = [&] {
    return Exports::Open(
        {{"public", home + "/public", Access::kReadWrite, false, 022}},
        kStranger);
  };
  REQUIRE(open_public().ok());
  REQUIRE(rename((home + "/public").c_str(), (home + "/old").c_str()) == 0);
  REQUIRE(symlink(t.P("outside").c_str(), (home + "/public").c_str()) == 0);
  REQUIRE(lchown((home + "/public").c_str(), kStranger, kStranger) == 0);
  Result<std::unique_ptr<Exports>> r = open_public();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("export public: " + home + "/public is a symlink") == 0);
  CHECK(r.error().find("not followed") != std::string::npos);
  // Root's own link where only root can change it (/srv/data -> /data) is
  // followed, and the root is known by the path it leads to.
  REQUIRE(symlink(t.home().c_str(), t.P("data").c_str()) == 0);
  r = Exports::Open({{"data", t.P("data"), Access::kReadWrite, false, 022}},
                    kUser);
  REQUIRE(r.ok());
  CHECK((*r)->root_path(0) == t.home());
  t.Rebase();
}

TEST_CASE("exports: an absent root is left out and named, only when asked") {
  Tree t;
  const std::string missing = t.P("nobody-home");
  std::vector<ExportSpec> specs = {
      {"home", missing, Access::kReadWrite, false, 022},
      {"data", t.home(), Access::kReadWrite, false, 022}};
  // Without `absent` any missing root is an error, as before.
  Result<std::unique_ptr<Exports>> strict = Exports::Open(specs, kUser);
  REQUIRE_FALSE(strict.ok());
  CHECK(strict.error() ==
        "export home: absent: " + missing + ": No such file or directory");

  std::vector<AbsentExport> absent;
  Result<std::unique_ptr<Exports>> r =
      Exports::Open(specs, kUser, true, &absent);
  REQUIRE(r.ok());
  REQUIRE((*r)->size() == 1);
  CHECK((*r)->spec(0).name == "data");
  CHECK((*r)->start() == "/data");
  REQUIRE(absent.size() == 1);
  CHECK(absent[0].name == "home");
  CHECK(absent[0].why == "absent: " + missing + ": No such file or directory");
  CHECK(AbsentNotice(absent) ==
        "sftpd: your export home is not available: its directory does not "
        "exist; ask the administrator\n");
  CHECK(AbsentNotice({}).empty());

  // Nothing left: an error that names what is missing.
  absent.clear();
  r = Exports::Open({specs[0]}, kUser, true, &absent);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "no export is available (home: absent: " + missing +
                         ": No such file or directory)");

  // Only absence is forgiven: a root that is a file still refuses.
  WriteFile(t.P("plain"), "x");
  absent.clear();
  r = Exports::Open(
      {{"f", t.P("plain"), Access::kReadWrite, false, 022}, specs[1]}, kUser,
      true, &absent);
  CHECK_FALSE(r.ok());
  CHECK(absent.empty());
}

TEST_CASE("exports: owner_only creates in the very directory it checked") {
  Tree t;
  // mydir (the user's) and alt (a link to a stranger's directory) swap
  // names while files are created under "mydir": a check of mydir's owner
  // followed by a second walk of the path would create in foreign_dir.
  REQUIRE(mkdir(t.P("own/mydir").c_str(), 0755) == 0);
  REQUIRE(symlink("foreign_dir", t.P("own/alt").c_str()) == 0);
  const std::string a = t.P("own/mydir"), b = t.P("own/alt");
  Swapper swapper(a, b);
  long made = 0, refused = 0;
  auto until =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
  for (int i = 0; i < 10'000'000 && std::chrono::steady_clock::now() < until;
       ++i) {
    bool created = false;
    Location loc = t.Loc("/own/mydir/f" + std::to_string(i), Effect::kWrite);
    FsResult<Fd> f =
        t.ex().OpenFile(loc, O_WRONLY | O_CREAT | O_EXCL, 0644, &created);
    if (f.ok()) ++made;
    if (f.outcome.refused()) ++refused;
  }
  long swaps = swapper.Stop();
  INFO("swaps " << swaps << " made " << made << " refused " << refused);
  CHECK(swaps > 0);
  CHECK(made > 0);
  CHECK(refused > 0);
  std::vector<std::string> there = Listing(t.P("own/foreign_dir"));
  CHECK(std::none_of(there.begin(), there.end(),
                     [](const std::string& e) { return e[0] == 'f'; }));
}

TEST_CASE("exports: Open refuses a read-only export inside a read-write one") {
  Tree t;
  REQUIRE(mkdir(t.P("home/inner").c_str(), 0755) == 0);
  Result<std::unique_ptr<Exports>> r =
      Exports::Open({{"rw", t.P("home"), Access::kReadWrite, false, 022},
                     {"ro", t.P("home/inner"), Access::kReadOnly, false, 022}},
                    kUser);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("read-only export ro") != std::string::npos);
  // The other way round is fine: the rw tree is writable through its name.
  r = Exports::Open({{"ro", t.P("home"), Access::kReadOnly, false, 022},
                     {"rw", t.P("home/inner"), Access::kReadWrite, false, 022}},
                    kUser);
  CHECK(r.ok());
}

TEST_CASE("exports: Open reports a bad export root") {
  Tree t;
  std::vector<ExportSpec> specs = {
      {"gone", t.P("no-such-dir"), Access::kReadWrite, false, 022}};
  Result<std::unique_ptr<Exports>> r = Exports::Open(std::move(specs), kUser);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("gone") != std::string::npos);
  specs = {{"file", t.P("home/top.txt"), Access::kReadWrite, false, 022}};
  r = Exports::Open(std::move(specs), kUser);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("file") != std::string::npos);
  t.ExpectOutsideUnchanged();
}

TEST_CASE("exports: lsetstat on a link to outside changes nothing outside") {
  Tree t;
  for (std::string_view p : {"/home/abs_file", "/home/rel_file"}) {
    INFO(p);
    Location loc = t.Loc(p, Effect::kWrite);
    Attrs size;
    size.flags = Attrs::kSize;
    size.size = 0;
    CHECK_FALSE(t.ex().SetStat(loc, size, false).ok());
    CHECK_FALSE(t.ex().SetStat(loc, size, true).ok());
    Attrs perm;
    perm.flags = Attrs::kPermissions;
    perm.permissions = 0600;
    CHECK_FALSE(t.ex().SetStat(loc, perm, false).ok());
    CHECK_FALSE(t.ex().SetStat(loc, perm, true).ok());
    Attrs times;
    times.flags = Attrs::kAcModTime;
    times.atime = 1700000000;
    times.mtime = 1700000000;
    CHECK_FALSE(t.ex().SetStat(loc, times, true).ok());
    (void)t.ex().SetStat(loc, times, false);  // the link's own times: fine
    Attrs owner;
    owner.flags = Attrs::kUidGid;
    owner.uid = kStranger;
    owner.gid = kStranger;
    CHECK_FALSE(t.ex().SetStat(loc, owner, true).ok());
    (void)t.ex().SetStat(loc, owner, false);  // the link's own owner: fine
  }
  t.ExpectOutsideUnchanged();
}

TEST_CASE(
    "exports: an export configured through a symlink follows links "
    "naming either path") {
  char tmpl[] = "/tmp/sftpd-alias-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string d = Real(tmpl);
  std::string data = d + "/data", alias = d + "/alias";
  REQUIRE(mkdir(data.c_str(), 0755) == 0);
  REQUIRE(mkdir((data + "/sub").c_str(), 0755) == 0);
  WriteFile(data + "/sub/file", "aliased");
  WriteFile(d + "/aliasx", "beside the export");
  REQUIRE(symlink(data.c_str(), alias.c_str()) == 0);
  REQUIRE(symlink((alias + "/sub/file").c_str(),
                  (data + "/via_alias").c_str()) == 0);
  REQUIRE(symlink((data + "/sub/file").c_str(), (data + "/via_real").c_str()) ==
          0);
  // Shares the prefix "alias" but is not beneath it.
  REQUIRE(symlink((d + "/aliasx").c_str(), (data + "/near").c_str()) == 0);
  {
    Result<std::unique_ptr<Exports>> ex =
        Exports::Open({{"e", alias, Access::kReadWrite, false, 022}}, kUser);
    REQUIRE(ex.ok());
    for (const char* p : {"/e/via_alias", "/e/via_real"}) {
      INFO(p);
      FsResult<Location> loc = (*ex)->Locate(p, Effect::kRead);
      REQUIRE(loc.ok());
      bool created = false;
      FsResult<Fd> f = (*ex)->OpenFile(loc.value, O_RDONLY, 0, &created);
      REQUIRE(f.ok());
      CHECK(ReadFd(f.value.get()) == "aliased");
    }
    FsResult<Location> near = (*ex)->Locate("/e/near", Effect::kRead);
    REQUIRE(near.ok());
    bool created = false;
    FsResult<Fd> f = (*ex)->OpenFile(near.value, O_RDONLY, 0, &created);
    CHECK_FALSE(f.ok());
    CHECK(f.outcome.refused());
  }
  std::filesystem::remove_all(d);
}

// mode & 07777 and the group of `path` (lstat).
std::pair<mode_t, gid_t> ModeGroup(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return {0, gid_t(-1)};
  return {st.st_mode & 07777, st.st_gid};
}

TEST_CASE("exports: a group share forces its group and group bits") {
  Tree t;
  constexpr gid_t kShareGroup = 65534;  // nogroup: not the test's own group
  REQUIRE(getgrgid(kShareGroup) != nullptr);
  REQUIRE(mkdir(t.P("share").c_str(), 0755) == 0);  // root's, not setgid
  mode_t old = umask(0);
  Result<std::unique_ptr<Exports>> ex =
      Exports::Open({{"share", t.P("share"), Access::kReadWrite, false, 077,
                      false, kShareGroup},
                     {"plain", t.P("other"), Access::kReadWrite, false, 022}},
                    kUser);
  REQUIRE(ex.ok());
  auto loc = [&](std::string_view p) {
    FsResult<Location> r = (*ex)->Locate(p, Effect::kWrite);
    REQUIRE(r.ok());
    return r.value;
  };
  bool created = false;
  // The client's 0600 and the umask 077 would leave no group bits.
  FsResult<Fd> f =
      (*ex)->OpenFile(loc("/share/f"), O_WRONLY | O_CREAT, 0600, &created);
  REQUIRE(f.ok());
  CHECK(created);
  CHECK(ModeGroup(t.P("share/f")) == std::make_pair(mode_t(0660), kShareGroup));
  // A directory: group rwx and setgid, the group given by fchown here.
  REQUIRE((*ex)->MakeDir(loc("/share/d"), 0700).ok());
  CHECK(ModeGroup(t.P("share/d")) ==
        std::make_pair(mode_t(02770), kShareGroup));
  // Beneath it, inherited; a setuid bit asked for is dropped.
  REQUIRE((*ex)->MakeDir(loc("/share/d/e"), 0755).ok());
  CHECK(ModeGroup(t.P("share/d/e")) ==
        std::make_pair(mode_t(02770), kShareGroup));
  FsResult<Fd> g = (*ex)->OpenFile(
      loc("/share/d/g"), O_WRONLY | O_CREAT | O_EXCL, 04644, &created);
  REQUIRE(g.ok());
  CHECK(ModeGroup(t.P("share/d/g")) ==
        std::make_pair(mode_t(0660), kShareGroup));
  umask(old);

  // SETSTAT keeps the bits a client tries to take away.
  Attrs a;
  a.flags = Attrs::kPermissions;
  a.permissions = 0600;
  REQUIRE((*ex)->SetStat(loc("/share/f"), a, true).ok());
  CHECK(ModeGroup(t.P("share/f")).first == 0660);
  a.permissions = 0700;
  REQUIRE((*ex)->SetStat(loc("/share/d"), a, true).ok());
  CHECK(ModeGroup(t.P("share/d")).first == 02770);
  a.permissions = 06755;
  REQUIRE((*ex)->SetStatFd(0, f.value.get(), a).ok());
  CHECK(ModeGroup(t.P("share/f")).first == 0775);
  // Another group is refused, before anything changes; the same one is not.
  a.flags = Attrs::kUidGid | Attrs::kPermissions;
  a.permissions = 0600;
  a.uid = 0;
  a.gid = 0;
  Outcome o = (*ex)->SetStat(loc("/share/f"), a, true);
  CHECK(o.err == EACCES);
  CHECK(o.rule == "group share: the group is the export's");
  CHECK(ModeGroup(t.P("share/f")) == std::make_pair(mode_t(0775), kShareGroup));
  a.gid = kShareGroup;
  CHECK((*ex)->SetStat(loc("/share/f"), a, true).ok());

  // An atomic upload's staged file is given the group too.
  Result<std::unique_ptr<Exports>> atomic =
      Exports::Open({{"share", t.P("share"), Access::kReadWrite, false, 022,
                      true, kShareGroup}},
                    kUser);
  REQUIRE(atomic.ok());
  FsResult<Location> up = (*atomic)->Locate("/share/up", Effect::kWrite);
  REQUIRE(up.ok());
  Upload upload;
  FsResult<Fd> u = (*atomic)->OpenFile(up.value, O_WRONLY | O_CREAT | O_TRUNC,
                                       0644, &created, &upload);
  REQUIRE(u.ok());
  REQUIRE(upload.staged());
  REQUIRE((*atomic)->CommitUpload(upload, u.value.get()).ok());
  CHECK(ModeGroup(t.P("share/up")) ==
        std::make_pair(mode_t(0664), kShareGroup));

  // An export that is no group share: setuid and setgid are dropped too,
  // the group is left as it comes.
  a.flags = Attrs::kPermissions;
  a.permissions = 06755;
  REQUIRE((*ex)->SetStat(loc("/plain/file"), a, true).ok());
  CHECK(ModeGroup(t.P("other/file")) == std::make_pair(mode_t(0755), gid_t(0)));
}

TEST_CASE("exports: a group share refuses creation to a non-member") {
  Tree t;
  constexpr uid_t kNobody = 65534;
  constexpr gid_t kShareGroup = 1;  // daemon: nobody is no member
  REQUIRE(getgrgid(kShareGroup) != nullptr);
  // nobody must reach it: the scratch tree is root's 0700.
  const std::string base =
      std::filesystem::path(t.P("share")).parent_path().string();
  REQUIRE(chmod(base.c_str(), 0755) == 0);
  REQUIRE(mkdir(t.P("share").c_str(), 0777) == 0);
  REQUIRE(chmod(t.P("share").c_str(), 0777) == 0);
  WriteFile(t.P("share/old"), "old", 0666);
  // The session's process is nobody, without supplementary groups.
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 ||
        setuid(kNobody) != 0) {
      _exit(10);
    }
    Result<std::unique_ptr<Exports>> ex =
        Exports::Open({{"share", t.P("share"), Access::kReadWrite, false, 022,
                        false, kShareGroup}},
                      kNobody);
    if (!ex.ok()) _exit(11);
    auto loc = [&](std::string_view p) {
      return (*ex)->Locate(p, Effect::kWrite).value;
    };
    bool created = false;
    FsResult<Fd> f =
        (*ex)->OpenFile(loc("/share/f"), O_WRONLY | O_CREAT, 0644, &created);
    if (f.ok() || f.outcome.err != EACCES ||
        f.outcome.rule != "group share: not a member of its group") {
      _exit(12);
    }
    Outcome d = (*ex)->MakeDir(loc("/share/d"), 0755);
    if (d.ok() || d.rule != "group share: not a member of its group") {
      _exit(13);
    }
    // What exists can still be opened and written.
    FsResult<Fd> old =
        (*ex)->OpenFile(loc("/share/old"), O_WRONLY | O_CREAT, 0644, &created);
    if (!old.ok() || created) _exit(14);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_FALSE(Exists(t.P("share/f")));
  CHECK_FALSE(Exists(t.P("share/d")));
}

}  // namespace sftpd
