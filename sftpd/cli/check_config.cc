// `sftpd check-config`: the config validated and summarized, with what
// the system around it gets wrong; --user: what one user gets.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <system_error>

#include "config/cidr.h"
#include "policy/account.h"
#include "sftpd/cli/common.h"
#include "sftpd/frontdoor/config_report.h"

namespace sftpd {
namespace {

// `check-config --user NAME [--from ADDR]`: what NAME gets. Exit 0 when
// such a session is served, 1 when it is refused.
int CheckUser(const Config& config, const Args& args) {
  std::string_view user;
  std::optional<Address> from;
  for (size_t i = 0; i < args.rest.size(); ++i) {
    const std::string_view a = args.rest[i];
    if ((a != "--user" && a != "--from") || i + 1 == args.rest.size()) {
      fprintf(stderr,
              "usage: sftpd check-config [--config FILE] [--user NAME "
              "[--from ADDRESS]]\n");
      return 2;
    }
    const std::string_view value = args.rest[++i];
    if (a == "--user") {
      user = value;
    } else if (!(from = Address::Parse(value))) {
      fprintf(stderr, "sftpd check-config: --from: '%.*s' is not an address\n",
              int(value.size()), value.data());
      return 2;
    }
  }
  if (user.empty()) {
    fprintf(stderr, "sftpd check-config: --from needs --user\n");
    return 2;
  }
  const UserReport report = DescribeUser(config, user, from);
  fwrite(report.text.data(), 1, report.text.size(), stdout);
  return report.served ? 0 : 1;
}

}  // namespace

int CheckConfig(const Args& args) {
  LoadResult r = LoadConfig(args.config);
  if (!r.config) {
    PrintConfigErrors(r.errors);
    fprintf(stderr, "%s: %zu error%s\n", args.config.c_str(), r.errors.size(),
            r.errors.size() == 1 ? "" : "s");
    return 1;
  }
  if (!args.rest.empty()) return CheckUser(*r.config, args);
  printf("%s: OK\n%s", args.config.c_str(), Describe(*r.config).c_str());
  // Warnings, not errors: the config is right, the system around it is not.
  fflush(stdout);
  for (const std::string& w : EntryWarnings(*r.config)) {
    fprintf(stderr, "%s: warning: %s\n", args.config.c_str(), w.c_str());
  }
  const std::vector<policy::Account> accounts =
      Accounts(*r.config, args.config, /*say_missing=*/false);
  std::string self = ThisBinary();
  if (self.empty()) self = "/usr/sbin/sftpd";
  std::error_code ec;
  const std::string path = std::filesystem::absolute(args.config, ec).string();
  for (const policy::AccountWarning& w : policy::AccountWarnings(
           *r.config, accounts, path, self, SshdPamReadsUserEnvironment())) {
    fprintf(stderr, "%s: warning: %s\n", args.config.c_str(), w.text.c_str());
  }
  return 0;
}

}  // namespace sftpd
