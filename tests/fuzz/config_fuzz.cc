// libFuzzer harness: the config loader and what is generated from a config.
// The input is a config file's text. ParseConfig must return a Config or
// errors, never both or neither, each error naming the file and a line
// within the text. A config that loads is described (check-config's output),
// and both policy generators run on it for accounts named by its own users
// and groups; every line of the AppArmor profile has balanced quotes (no
// text from the config can end a quoted path early and start a rule), and
// every line of the sshd blocks is a comment, a Match line or a tab-indented
// keyword line.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "policy/account.h"
#include "policy/apparmor.h"
#include "policy/sshd.h"
#include "tests/fuzz/fuzz_tree.h"

namespace sftpd::fuzz {
namespace {

constexpr const char* kFile = "fuzz.toml";

// Calls `line` for each line of `text`.
template <typename F>
void Lines(std::string_view text, F line) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    line(text.substr(at, end - at));
    at = end + 1;
  }
}

void CheckProfile(std::string_view profile) {
  Lines(profile, [](std::string_view l) {
    Check(l.find('\r') == std::string_view::npos &&
              l.find('\0') == std::string_view::npos,
          "a control character in the profile");
    if (l.find_first_not_of(' ') != std::string_view::npos &&
        l[l.find_first_not_of(' ')] == '#') {
      return;
    }
    int quotes = 0;
    for (size_t i = 0; i < l.size(); ++i) {
      if (l[i] == '\\') {
        ++i;  // an escaped character, quotes included
      } else if (l[i] == '"') {
        ++quotes;
      }
    }
    Check(quotes % 2 == 0, "a profile line with unbalanced quotes");
  });
}

void CheckSshd(std::string_view blocks) {
  Lines(blocks, [](std::string_view l) {
    if (l.empty() || l[0] == '#' || l.starts_with("Match ")) return;
    Check(l.size() > 1 && l[0] == '\t' && l[1] >= 'A' && l[1] <= 'Z',
          "an sshd line that is not a keyword line of a Match block");
  });
}

void RunOne(std::string_view text) {
  LoadResult r = ParseConfig(text, kFile);
  Check(r.config.has_value() != !r.errors.empty(),
        "a config and errors, or neither");
  const size_t lines = size_t(std::count(text.begin(), text.end(), '\n')) + 1;
  for (const ConfigError& e : r.errors) {
    Check(e.file == kFile, "an error that does not name the file");
    Check(e.line >= 0 && size_t(e.line) <= lines,
          "an error on a line the file does not have");
    Check(!e.ToString().empty(), "an empty error");
  }
  if (!r.config) return;
  const Config& config = *r.config;
  (void)Describe(config);
  std::vector<policy::Account> accounts;
  for (const Grant& g : config.users) {
    std::vector<std::string> groups;
    for (const Grant& grp : config.groups) groups.push_back(grp.name);
    accounts.push_back({g.name, "/home/" + g.name, std::move(groups)});
  }
  CheckProfile(
      policy::AppArmorProfile(config, accounts, "/etc/sftpd/sftpd.toml"));
  policy::SshdBlocks sshd = policy::SshdMatchBlocks(
      config, accounts, {"/usr/sbin/sftpd", "/etc/sftpd/sftpd.toml"});
  CheckSshd(sshd.text);
}

}  // namespace
}  // namespace sftpd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sftpd::fuzz::RunOne(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
