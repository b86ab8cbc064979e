#include <cstdio>
#include <filesystem>
#include <system_error>

#include "policy/apparmor.h"
#include "policy/sshd.h"
#include "sftpd/cli/common.h"

namespace sftpd {

// `policy apparmor` and `policy sshd`: the generators get the config and the
// accounts it names, as the system knows them now.
int Policy(const Args& args) {
  if (args.rest.size() != 1 ||
      (args.rest[0] != "apparmor" && args.rest[0] != "sshd")) {
    fprintf(stderr, "usage: sftpd policy apparmor|sshd [--config FILE]\n");
    return 2;
  }
  LoadResult r = LoadConfig(args.config);
  if (!r.config) {
    PrintConfigErrors(r.errors);
    fprintf(stderr, "%s: fix the config first (sftpd check-config)\n",
            args.config.c_str());
    return 1;
  }
  const Config& config = *r.config;
  const std::vector<policy::Account> accounts =
      Accounts(config, args.config, /*say_missing=*/true);
  std::error_code ec;
  const std::filesystem::path config_path =
      std::filesystem::absolute(args.config, ec);
  std::string out;
  if (args.rest[0] == "apparmor") {
    out = policy::AppArmorProfile(config, accounts, config_path.string());
  } else {
    const std::string self = ThisBinary();
    if (self.empty()) return 1;
    policy::SshdBlocks blocks = policy::SshdMatchBlocks(
        config, accounts,
        {self, config_path.string(), SshdPamReadsUserEnvironment()});
    if (!blocks.error.empty()) {
      // The text refuses everyone; print it anyway, so a redirect into
      // sshd_config.d fails closed, and fail.
      fprintf(stderr,
              "sftpd: %s; the output refuses every user and group of the "
              "config\n",
              blocks.error.c_str());
      fwrite(blocks.text.data(), 1, blocks.text.size(), stdout);
      return 1;
    }
    for (const std::string& w : blocks.warnings) {
      fprintf(stderr, "sftpd: warning: %s\n", w.c_str());
    }
    out = std::move(blocks.text);
  }
  fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace sftpd
