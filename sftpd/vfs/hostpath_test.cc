#include "sftpd/vfs/hostpath.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/testing.h"

namespace sftpd {
namespace {

using testing::TempDir;

constexpr uid_t kOther = 65534;  // someone who is not root

std::string Opened(const std::string& path, int flags = O_PATH) {
  Result<HostFile> f = OpenHostPath(path, flags);
  return f ? f->real : "error: " + f.error();
}

TEST_CASE("hostpath: components, and which directories only root changes") {
  CHECK(PathComponents("/a//b/./c/") ==
        std::deque<std::string>{"a", "b", ".", "c"});
  CHECK(PathComponents("").empty());
  struct stat st = {};
  st.st_mode = S_IFDIR | 0755;
  CHECK(OnlyRootChanges(st));
  st.st_mode = S_IFDIR | 0775;
  CHECK_FALSE(OnlyRootChanges(st));
  st.st_mode = S_IFDIR | 01777;  // /tmp: entries replaced by their owners only
  CHECK(OnlyRootChanges(st));
  st.st_mode = S_IFDIR | 0755;
  st.st_uid = kOther;
  CHECK_FALSE(OnlyRootChanges(st));
}

TEST_CASE("hostpath: directories, files and '..' resolve as the kernel does") {
  TempDir t;
  t.MakeDir("a/b");
  t.Write("a/f", "text");
  CHECK(Opened(t.Sub("a/b")) == t.Sub("a/b"));
  CHECK(Opened(t.Sub("a/./b/../b/")) == t.Sub("a/b"));
  CHECK(Opened("/") == "/");
  CHECK(Opened("/..") == "/");
  Result<HostFile> f = OpenHostPath(t.Sub("a/f"), O_RDONLY);
  REQUIRE(f.ok());
  char buf[8] = {};
  CHECK(read(f->fd.get(), buf, sizeof buf) == 4);
  CHECK(std::string(buf) == "text");
  CHECK(Opened(t.Sub("a/f"), O_PATH | O_DIRECTORY).find("Not a directory") !=
        std::string::npos);
  CHECK(Opened(t.Sub("a/f/x")).find("Not a directory") != std::string::npos);
  CHECK(Opened(t.Sub("a/missing")) ==
        "error: absent: " + t.Sub("a/missing") + ": No such file or directory");
  CHECK(Opened("relative/path").rfind("error: not an absolute path", 0) == 0);
}

TEST_CASE(
    "hostpath: only a root's symlink where only root can change it is "
    "followed") {
  if (geteuid() != 0) return;  // the cases need chown
  TempDir t;
  const std::string target = t.MakeDir("target");
  const std::string home = t.MakeDir("home");  // a user's directory
  REQUIRE(chown(home.c_str(), kOther, gid_t(-1)) == 0);
  REQUIRE(symlink(target.c_str(), t.Sub("rootlink").c_str()) == 0);
  REQUIRE(symlink("target", t.Sub("rellink").c_str()) == 0);
  REQUIRE(symlink(target.c_str(), t.Sub("home/planted").c_str()) == 0);
  REQUIRE(symlink(target.c_str(), t.Sub("userlink").c_str()) == 0);
  REQUIRE(lchown(t.Sub("userlink").c_str(), kOther, gid_t(-1)) == 0);

  // Root's links in a 0700 root directory: followed, absolute or relative.
  CHECK(Opened(t.Sub("rootlink")) == target);
  CHECK(Opened(t.Sub("rellink/")) == target);
  // A root-owned link in the user's directory: she could have swapped it.
  CHECK(Opened(t.Sub("home/planted")).find("not followed") !=
        std::string::npos);
  // The user's own link, even where only root writes: not root's.
  CHECK(Opened(t.Sub("userlink")).find("not followed") != std::string::npos);

  // A directory group- or world-writable, not sticky: anyone there could
  // replace the link. Sticky (as /tmp): only the link's owner, root.
  const std::string shared = t.MakeDir("shared");
  REQUIRE(symlink(target.c_str(), t.Sub("shared/link").c_str()) == 0);
  REQUIRE(chmod(shared.c_str(), 0777) == 0);
  CHECK(Opened(t.Sub("shared/link")).find("not followed") != std::string::npos);
  REQUIRE(chmod(shared.c_str(), 01777) == 0);
  CHECK(Opened(t.Sub("shared/link")) == target);

  // A loop of root's own links ends.
  REQUIRE(symlink("loop2", t.Sub("loop1").c_str()) == 0);
  REQUIRE(symlink("loop1", t.Sub("loop2").c_str()) == 0);
  CHECK(Opened(t.Sub("loop1")).find("Too many levels") != std::string::npos);
}

TEST_CASE("hostpath: the check sees / and every directory down to the object") {
  TempDir t;
  t.MakeDir("a/b");
  t.Write("a/b/f", "x");
  std::vector<std::string> seen;
  Result<HostFile> f =
      OpenHostPath(t.Sub("a/../a/b/f"), O_RDONLY,
                   [&](const std::string& path, const struct stat&) {
                     seen.push_back(path);
                     return std::string();
                   });
  REQUIRE(f.ok());
  REQUIRE(seen.size() >= 4);
  CHECK(seen.front() == "/");
  CHECK(seen[seen.size() - 3] == t.Sub("a"));
  CHECK(seen[seen.size() - 2] == t.Sub("a/b"));
  CHECK(seen.back() == t.Sub("a/b/f"));
  Result<HostFile> refused = OpenHostPath(
      t.Sub("a/b/f"), O_RDONLY,
      [&](const std::string& path, const struct stat& st) {
        return S_ISDIR(st.st_mode) && path == t.Sub("a") ? path + " is not good"
                                                         : std::string();
      });
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error() == t.Sub("a") + " is not good");
}

}  // namespace
}  // namespace sftpd
