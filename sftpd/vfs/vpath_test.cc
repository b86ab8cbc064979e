#include "sftpd/vfs/vpath.h"

#include <catch2/catch.hpp>

namespace sftpd::vpath {

TEST_CASE("vpath: normalize is lexical and never climbs above the root") {
  struct Case {
    const char* in;
    const char* start;
    const char* want;
  } cases[] = {
      {"", "/home", "/home"},
      {".", "/home", "/home"},
      {"a/b", "/home", "/home/a/b"},
      {"/", "/home", "/"},
      {"/..", "/home", "/"},
      {"../../..", "/home/x", "/"},
      {"../shared/f", "/home", "/shared/f"},
      {"//home///a/./b/", "/x", "/home/a/b"},
      {"/home/a/../../../etc/passwd", "/x", "/etc/passwd"},
      {"a/..", "/home", "/home"},
      {"...", "/home", "/home/..."},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    CHECK(Normalize(c.in, c.start) == c.want);
  }
}

TEST_CASE("vpath: split names the export and the rest") {
  CHECK(SplitExport("/").export_name.empty());
  CHECK(SplitExport("/home").export_name == "home");
  CHECK(SplitExport("/home").rest.empty());
  CHECK(SplitExport("/home/a/b").export_name == "home");
  CHECK(SplitExport("/home/a/b").rest == "a/b");
  CHECK(Base("a/b") == "b");
  CHECK(Dir("a/b") == "a");
  CHECK(Base("b") == "b");
  CHECK(Dir("b").empty());
  CHECK(Join("", "b") == "b");
  CHECK(Join("a", "b") == "a/b");
}

}  // namespace sftpd::vpath
