// The man pages say what the code does: sftpd.toml(5) has an entry for
// every config key and no other, each default it states is the one the
// loader applies, and sftpd(8) describes every command `sftpd --help`
// lists.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/testing.h"

namespace sftpd {
namespace {

std::string ReadSource(const std::string& rel) {
  std::ifstream in(std::string(SFTPD_SOURCE_DIR) + "/" + rel);
  REQUIRE(in.good());
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

// One key's entry: its table ("server", "exports.NAME", ...) and the
// default it states ("" for a required key).
struct Entry {
  std::string table;
  std::string key;
  std::string value;
};

// The entries of sftpd.toml.5.scd: a line "*key* = VALUE" or
// "*key* (required)" under a "## [table]" heading.
std::vector<Entry> ManEntries() {
  std::istringstream in(ReadSource("deploy/man/sftpd.toml.5.scd"));
  const std::regex heading(R"(^## (.*)$)");
  const std::regex table(R"(\[([a-z.A-Z]+)\])");
  const std::regex item(R"(^\*([a-z0-9_]+)\* (= (.*)|\(required\))$)");
  std::vector<std::string> tables;
  std::vector<Entry> out;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, heading)) {
      tables.clear();
      const std::string h = m[1];
      for (auto it = std::sregex_iterator(h.begin(), h.end(), table);
           it != std::sregex_iterator(); ++it) {
        tables.push_back((*it)[1]);
      }
    } else if (std::regex_match(line, m, item)) {
      INFO(line);
      REQUIRE_FALSE(tables.empty());
      for (const std::string& t : tables) out.push_back({t, m[1], m[3]});
    }
  }
  return out;
}

TEST_CASE("man: sftpd.toml(5) has an entry for every key, and no other") {
  std::multiset<std::string> documented;
  for (const Entry& e : ManEntries()) documented.insert(e.table + "." + e.key);
  std::set<std::string> keys;
  for (const std::string& k : ConfigKeys()) keys.insert(k);
  for (const std::string& k : keys) {
    INFO(k);
    CHECK(documented.count(k) == 1);
  }
  for (const std::string& d : documented) {
    INFO(d);
    CHECK(keys.count(d) == 1);
  }
}

TEST_CASE("man: every default sftpd.toml(5) states is the loader's") {
  testing::TempDir dir;
  // The defaults as the man page writes them, in a config of their own;
  // required keys get a value, and each table a name.
  std::map<std::string, std::string> text;
  for (const Entry& e : ManEntries()) {
    std::string table = e.table;
    if (table.ends_with(".NAME")) table.replace(table.size() - 4, 4, "x");
    std::string value = e.value;
    if (value.empty())
      value = e.key == "path" ? "\"" + dir.path() + "\"" : "[\"x\"]";
    text[table] += e.key + " = " + value + "\n";
  }
  std::string all;
  for (const auto& [table, body] : text) all += "[" + table + "]\n" + body;
  INFO(all);
  LoadResult stated = ParseConfig(all, "man-defaults.toml");
  for (const ConfigError& e : stated.errors) UNSCOPED_INFO(e.ToString());
  REQUIRE(stated.config);
  // The same tables with only the required keys: the loader's defaults.
  LoadResult loaded = ParseConfig("[exports.x]\npath = \"" + dir.path() +
                                      "\"\n[users.x]\nexports = [\"x\"]\n"
                                      "[groups.x]\nexports = [\"x\"]\n",
                                  "defaults.toml");
  REQUIRE(loaded.config);
  const Config& a = *stated.config;
  const Config& b = *loaded.config;
  CHECK(a.server == b.server);
  CHECK(a.auth == b.auth);
  CHECK(a.audit == b.audit);
  CHECK(a.defender == b.defender);
  CHECK(a.policy == b.policy);
  REQUIRE(a.exports.size() == 1);
  CHECK(a.exports[0].access == b.exports[0].access);
  CHECK(a.exports[0].owner_only == b.exports[0].owner_only);
  CHECK(a.exports[0].umask == b.exports[0].umask);
  CHECK(a.exports[0].atomic_uploads == b.exports[0].atomic_uploads);
  CHECK(a.exports[0].group_id == b.exports[0].group_id);
  REQUIRE(a.users.size() == 1);
  REQUIRE(a.groups.size() == 1);
  CHECK(a.users[0].allow_from == b.users[0].allow_from);
  CHECK(a.groups[0].allow_from == b.groups[0].allow_from);
}

TEST_CASE("man: sftpd(8) describes every command of sftpd --help") {
  const std::string page = ReadSource("deploy/man/sftpd.8.scd");
  FILE* help = popen(SFTPD_BINARY " --help", "r");
  REQUIRE(help != nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, help)) > 0;) out.append(buf, n);
  REQUIRE(pclose(help) == 0);
  std::istringstream lines(out);
  int commands = 0;
  const std::regex row(R"(^  ([-a-z]+) .*)");
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, row)) continue;
    const std::string name = m[1];
    ++commands;
    INFO(name);
    // A term of its own under COMMANDS: "*name*" or "*name words*" at the
    // start of a line.
    CHECK((page.find("\n*" + name + "*") != std::string::npos ||
           page.find("\n*" + name + " ") != std::string::npos));
  }
  CHECK(commands >= 10);
}

}  // namespace
}  // namespace sftpd
