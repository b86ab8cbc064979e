// SshdMatchBlocks(): the config's users as sshd Match blocks. sshd takes each
// keyword from the first matching block that sets it (DenyUsers accumulates
// instead), so every user gets a block for the addresses allowed and a block
// for exactly the complement: no connection ever matches both.
#include "policy/sshd.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <vector>

namespace sftpd::policy {
namespace {

// What a served session gets besides the forced command: nothing else sshd
// offers. DisableForwarding covers X11, agent, TCP and StreamLocal; the
// others are spelled out for readers and older sshd versions. The last two
// close the per-user files sshd itself reads that an export may let the
// user write and a Match block can switch off: PermitUserRC keeps ~/.ssh/rc
// from running, IgnoreRhosts keeps ~/.rhosts and ~/.shosts from admitting
// hosts (where host-based login is on). The login shell's startup files are
// closed by making sftpd the shell (ExposedShells warns); ~/.ssh/environment
// needs PermitUserEnvironment no, which sshd takes only globally (its
// default).
constexpr std::array<std::string_view, 8> kLockdown = {
    "DisableForwarding yes",   "PermitTTY no",          "X11Forwarding no",
    "AllowAgentForwarding no", "AllowTcpForwarding no", "PermitTunnel no",
    "PermitUserRC no",         "IgnoreRhosts yes"};

// The user's login shell runs ForceCommand (`shell -c`), and sshd checks
// the line's quotes, so a path must read back the same in both.
bool IsBareChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') ||
         std::string_view("/._+,:=@%-").find(c) != std::string_view::npos;
}

// `path` as one shell word: as is, or in single quotes when it holds other
// printable characters (a space, say). nullopt when neither is safe: not
// absolute, a quote, a backslash or a control character (a newline would
// end the sshd_config line).
std::optional<std::string> ShellWord(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  if (std::all_of(path.begin(), path.end(), IsBareChar)) {
    return std::string(path);
  }
  for (char c : path) {
    if (c < 0x20 || c > 0x7e || c == '\'' || c == '\\') return std::nullopt;
  }
  return "'" + std::string(path) + "'";
}

// Text for a comment line: control characters become '?', so nothing that
// came from the config or the command line can start a line of its own.
std::string CommentText(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

// Config names may hold letters, digits, '.', '_', '-' and '@' (the config
// loader checks it); anything else could widen a Match pattern.
bool IsPlainName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') ||
           std::string_view("._-@").find(c) != std::string_view::npos;
  });
}

// sshd's Address patterns for one block. sftpd stores IPv4 as IPv4-mapped
// IPv6, so a block as short as ::/96 also holds every IPv4 address; sshd
// compares IPv4 peers with IPv4 patterns only, so that needs 0.0.0.0/0 too.
std::vector<std::string> AddressPatterns(const Cidr& cidr) {
  std::vector<std::string> out = {cidr.ToString()};
  const std::optional<Address> any_v4 = Address::Parse("0.0.0.0");
  if (!cidr.base.IsV4() && any_v4 && cidr.Contains(*any_v4)) {
    out.push_back("0.0.0.0/0");
  }
  return out;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep,
                 std::string_view prefix = "") {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += sep;
    out += prefix;
    out += item;
  }
  return out;
}

// One user as the blocks need it.
struct Entry {
  std::string name;
  Rights rights;
  std::string why;  // for the comment: which entries, or why only some
  std::vector<std::string> warnings;  // AccountWarnings' lines for the user
};

// Grantees (groups expanded) and, by name, [users.*] not on this system.
std::vector<Entry> Entries(const Config& config,
                           std::span<const Account> accounts) {
  std::vector<Entry> out;
  for (Grantee& g : Grantees(config, accounts)) {
    std::string why = Join(g.rights.table_names, ", ");
    out.push_back({g.account->name, std::move(g.rights), std::move(why), {}});
  }
  for (const Grant& u : config.users) {
    const bool known =
        std::any_of(accounts.begin(), accounts.end(),
                    [&](const Account& a) { return a.name == u.name; });
    if (known) continue;
    out.push_back({u.name,
                   RightsFor(config, u.name, {}),
                   "users." + u.name +
                       " (not on this system now: its groups are unknown)",
                   {}});
  }
  std::sort(out.begin(), out.end(),
            [](const Entry& x, const Entry& y) { return x.name < y.name; });
  return out;
}

// What an admin reading the file needs to know; after the config's name.
constexpr std::string_view kHeaderNotes =
    R"(# Append them to sshd_config or put them in a file of sshd_config.d/, check
# with `sshd -t` and reload sshd. For each keyword sshd uses the first value
# a matching Match block gives: a block before these that matches the same
# users wins over them.
#
# Group members are expanded now, as this system knows them: sshd admits a
# user from every address one of the user's entries (the user's own and
# those of the user's groups) admits, and refuses the user from any other.
# sftpd --stdio then serves only the exports of the entries that admit the
# session's address. Print this again after changing the config, a user or
# a group.
)";

std::string Header(const SshdTarget& target) {
  return "# sshd_config Match blocks for sftpd, printed by `sftpd policy sshd`"
         "\n# from " +
         CommentText(target.config_path) + ".\n" + std::string(kHeaderNotes) +
         "#\n# sshd runs the forced command through each user's login "
         "shell, which may\n# read startup files the user can write over "
         "SFTP: make sftpd the shell\n# (usermod -s " +
         CommentText(target.sftpd_path) +
         " USER). A WARNING above a user's blocks\n# says where it is "
         "needed.\n";
}

// The output when the forced command cannot be written safely: every user
// and group the config names is refused, so a bad path fails closed (and
// the admin reads why in the file sshd -t accepted).
SshdBlocks Refusal(const Config& config, const SshdTarget& target,
                   const std::string& why) {
  std::vector<std::string> users, groups;
  for (const Grant& u : config.users) {
    if (IsPlainName(u.name)) users.push_back(u.name);
  }
  for (const Grant& g : config.groups) {
    if (IsPlainName(g.name)) groups.push_back(g.name);
  }
  std::string out = Header(target) + "#\n# ERROR: " + CommentText(why) +
                    ".\n# Every user and group of the config is refused "
                    "until that is fixed.\n";
  if (!users.empty()) {
    out += "Match User " + Join(users, ",") + "\n\tDenyUsers *\n";
  }
  if (!groups.empty()) {
    out += "Match Group " + Join(groups, ",") + "\n\tDenyUsers *\n";
  }
  return {out, why, {}};
}

// One user's blocks: served from the allowed addresses, refused by sshd
// from exactly the others. DenyUsers appends across matching blocks rather
// than taking the first value, so the refusal must never match an allowed
// address; its Address list is the complement, not a fallback.
std::string UserBlocks(const Entry& e, const std::string& served) {
  std::string warning;
  for (const std::string& w : e.warnings) {
    warning += "# WARNING: " + CommentText(w) + "\n";
  }
  if (e.rights.any_address) {
    return "\n# " + e.name + ": " + e.why + "; any address\n" + warning +
           "Match User " + e.name + "\n" + served;
  }
  std::vector<std::string> patterns;
  for (const Cidr& c : e.rights.allow_from) {
    for (std::string& p : AddressPatterns(c)) patterns.push_back(std::move(p));
  }
  std::string out = "\n# " + e.name + ": " + e.why + "\n" + warning;
  if (patterns.empty()) {  // no address at all: never served
    return out + "Match User " + e.name + "\n\tDenyUsers *\n";
  }
  return out + "Match User " + e.name + " Address " + Join(patterns, ",") +
         "\n" + served + "Match User " + e.name + " Address *," +
         Join(patterns, ",", "!") + "\n\tDenyUsers *\n";
}

}  // namespace

SshdBlocks SshdMatchBlocks(const Config& config,
                           std::span<const Account> accounts,
                           const SshdTarget& target) {
  constexpr std::string_view kUnsafe =
      "' is not absolute or holds a quote, backslash or control character";
  const std::optional<std::string> binary = ShellWord(target.sftpd_path);
  if (!binary) {
    return Refusal(config, target,
                   "sftpd's path '" + target.sftpd_path + std::string(kUnsafe));
  }
  std::string command = *binary + " --stdio";
  if (target.config_path != kDefaultConfigPath) {
    const std::optional<std::string> cfg = ShellWord(target.config_path);
    if (!cfg) {
      return Refusal(
          config, target,
          "the config path '" + target.config_path + std::string(kUnsafe));
    }
    command += " --config " + *cfg;
  }
  for (const std::vector<Grant>* grants : {&config.users, &config.groups}) {
    for (const Grant& g : *grants) {
      if (!IsPlainName(g.name)) {
        return Refusal(config, target,
                       "'" + g.name + "' is not a plain user or group name");
      }
    }
  }

  std::string served = "\tForceCommand " + command + "\n";
  for (std::string_view line : kLockdown) {
    served += "\t" + std::string(line) + "\n";
  }
  std::vector<Entry> entries = Entries(config, accounts);
  std::vector<std::string> warnings;
  for (const AccountWarning& w :
       AccountWarnings(config, accounts, target.config_path, *binary,
                       target.pam_user_env)) {
    warnings.push_back(w.text);
    for (Entry& e : entries) {
      if (e.name == w.account->name) e.warnings.push_back(w.text);
    }
  }
  std::string out = Header(target);
  for (const Entry& e : entries) out += UserBlocks(e, served);

  // Last, so it decides nothing for the users above: it only catches
  // members the expansion did not know.
  if (!config.groups.empty()) {
    std::vector<std::string> groups;
    for (const Grant& g : config.groups) groups.push_back(g.name);
    out += R"(
# Members who joined these groups after this was printed: served by
# sftpd only (which refuses addresses the config does not allow them);
# sshd does not refuse them by address until this is printed again.
)";
    out += "Match Group " + Join(groups, ",") + "\n" + served;
  }
  return {out, "", std::move(warnings)};
}

}  // namespace sftpd::policy
