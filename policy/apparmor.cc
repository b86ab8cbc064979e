// AppArmorProfile(): the profile text. Every path that comes from the config
// or the user database is quoted and escaped, so a name holding a glob
// character or a space is matched literally.
#include "policy/apparmor.h"

#include <algorithm>
#include <string_view>

namespace sftpd::policy {
namespace {

// The binary wherever the package or `make install` put it.
constexpr std::string_view kAttachment = "/usr{,/local}/{s,}bin/sftpd";
// The module `sftpd serve` loads (sftpd/cli/daemon_loader.h): lib/sftpd/ beside
// the binary's bin directory.
constexpr std::string_view kDaemonModule =
    "/usr{,/local}/lib/sftpd/sftpd-daemon.so";

// The capabilities the daemon uses (deploy/sftpd.service bounds it to the
// same seven): binding port 22, becoming the user, reading keys in homes it
// cannot search otherwise, ending sessions, writing login records, and
// dropping from a connection's bounding set what it does not need before
// authentication (sandbox/capabilities.h).
constexpr std::string_view kCapabilities[] = {
    "net_bind_service", "setuid", "setgid", "dac_read_search", "kill",
    "audit_write",      "setpcap"};

// The connection (daemon: TCP; --stdio: the socket sshd hands over), the
// listener's audit channel (seqpacket) and syslog (dgram).
constexpr std::string_view kNetwork[] = {"inet stream", "inet6 stream",
                                         "unix stream", "unix seqpacket",
                                         "unix dgram"};

// `text` inside double quotes: AppArmor's special characters escaped with a
// backslash, control characters as \xHH, so every byte matches itself.
std::string Literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
      continue;
    }
    if (std::string_view("\\\"*?[]{}^@").find(c) != std::string_view::npos) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// A quoted rule path: `dir` taken literally, `glob` (e.g. "/**") appended as
// a pattern.
std::string Path(std::string_view dir, std::string_view glob = "") {
  std::string_view d = dir;
  while (d.size() > 1 && d.back() == '/') d.remove_suffix(1);
  std::string out = "\"" + Literal(d == "/" ? "" : d);
  return out + std::string(glob) + "\"";
}

// Text for a comment: control characters become '?', so nothing from the
// config or the command line can start a line (a rule) of its own.
std::string CommentText(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

void Line(std::string& out, int indent, std::string_view text) {
  out.append(size_t(indent), ' ');
  out += text;
  out += '\n';
}

// The rules for one export of one user, `path` expanded.
void ExportRules(std::string& out, const Export& e, const std::string& path,
                 bool audit_writes) {
  const std::string owner = e.owner_only ? "owner " : "";
  const std::string kind =
      std::string(e.access == Access::kReadOnly ? "ro" : "rw") +
      (e.owner_only ? ", owner_only: the user's own files" : ", shared");
  Line(out, 4, "# /" + e.name + " (" + kind + ")");
  // Listing the root itself: in a shared owner_only tree (a 1777
  // directory) it belongs to root, so no `owner` here.
  Line(out, 4, Path(path, "/") + " r,");
  if (e.access == Access::kReadOnly) {
    Line(out, 4, owner + Path(path, "/**") + " r,");
  } else if (audit_writes) {
    Line(out, 4, owner + Path(path, "/**") + " rk,");
    Line(out, 4, "audit " + owner + Path(path, "/**") + " wl,");
  } else {
    Line(out, 4, owner + Path(path, "/**") + " rwkl,");
  }
}

void Hat(std::string& out, const Config& config, const Grantee& g) {
  const Account& a = *g.account;
  std::vector<std::pair<const Export*, std::string>> trees;
  for (const Export* e : g.rights.exports) {
    Result<std::string> path = ExpandPath(e->path, a.name, a.home);
    if (!path) {
      Line(out, 2,
           CommentText("# No hat for " + a.name + ": export " + e->name +
                       " path " + e->path +
                       " does not expand to a safe path (sftpd refuses "
                       "the user)."));
      out += '\n';
      return;
    }
    trees.emplace_back(e, *path);
  }
  std::string via;
  for (const std::string& v : g.rights.table_names) {
    via += (via.empty() ? "" : ", ") + v;
  }
  // A hat cannot know the session's address: it holds what every entry of
  // the user grants, and Landlock narrows each session to the exports of
  // the entries that admit its address.
  Line(out, 2,
       CommentText("# " + a.name + ": the exports of " + via +
                   " (a session gets those of the entries that "
                   "admit its address)"));
  Line(out, 2, "^\"" + Literal(a.name) + "\" {");
  Line(out, 4, "include <abstractions/base>");
  Line(out, 4, "include <abstractions/nameservice>");
  for (std::string_view n : kNetwork) {
    Line(out, 4, "network " + std::string(n) + ",");
  }
  Line(out, 4, "signal (receive) peer=sftpd,");
  if (!config.audit.log.empty()) {
    // The kernel checks writes on the fd opened before the hat change
    // against `w`, O_APPEND or not.
    Line(out, 4, "# --stdio writes the audit log itself");
    Line(out, 4, Path(config.audit.log) + " w,");
  }
  for (const auto& [e, path] : trees) {
    ExportRules(out, *e, path, config.policy.audit_writes);
  }
  Line(out, 2, "}");
  out += '\n';
}

}  // namespace

std::string AppArmorProfile(const Config& config,
                            std::span<const Account> accounts,
                            const std::string& config_path) {
  std::vector<Grantee> grantees = Grantees(config, accounts);
  std::string out;
  out +=
      "# AppArmor profile for sftpd, generated by `sftpd policy apparmor` "
      "from\n# " +
      CommentText(config_path) +
      ".\n"
      "# Load it with `apparmor_parser -r FILE`; regenerate and reload it "
      "after\n# changing the config or the members of its groups.\n"
      "#\n"
      "# The listener and `sftpd --stdio` (started by sshd, which "
      "attaches this\n# profile by path) run in profile sftpd; each "
      "session then changes into\n# its user's hat for good, which holds "
      "only that user's exports. Export\n# paths are matched as written "
      "in the config: one that runs through a\n# symlink must be written "
      "as its real path.\n";
  if (!config.groups.empty()) {
    out += "#\n# Groups, expanded to their members at generation time:\n";
    for (const Grant& grp : config.groups) {
      std::string members;
      for (const Account& a : accounts) {
        if (std::find(a.groups.begin(), a.groups.end(), grp.name) !=
            a.groups.end()) {
          members += (members.empty() ? "" : ", ") + a.name;
        }
      }
      out += CommentText("#   groups." + grp.name + ": " +
                         (members.empty() ? "(no members)" : members)) +
             "\n";
    }
  }
  out += "\nabi <abi/3.0>,\n\ninclude <tunables/global>\n\n";
  out += "profile sftpd " + std::string(kAttachment) + " {\n";
  Line(out, 2, "include <abstractions/base>");
  Line(out, 2, "include <abstractions/nameservice>");
  Line(out, 2, "include <abstractions/authentication>");
  Line(out, 2, "include <abstractions/openssl>");
  Line(out, 2, "# aa_is_enabled, aa_getcon and aa_change_hat");
  Line(out, 2, "include <abstractions/apparmor_api/is_enabled>");
  Line(out, 2, "include <abstractions/apparmor_api/change_profile>");
  out += '\n';
  for (std::string_view c : kCapabilities) {
    Line(out, 2, "capability " + std::string(c) + ",");
  }
  for (std::string_view n : kNetwork) {
    Line(out, 2, "network " + std::string(n) + ",");
  }
  Line(out, 2, "# systemd stops and reloads it; the listener ends sessions.");
  Line(out, 2, "signal (receive) peer=unconfined,");
  Line(out, 2, "signal (send, receive) peer=sftpd,");
  Line(out, 2, "signal (send) peer=sftpd//*,");
  out += '\n';
  Line(out, 2, std::string(kAttachment) + " mr,");
  Line(out, 2, std::string(kDaemonModule) + " mr,");
  Line(out, 2, "/etc/sftpd/ r,");
  Line(out, 2, "/etc/sftpd/** r,");
  Line(out, 2, Path(config_path) + " r,");
  for (const std::string& key : config.server.host_keys) {
    Line(out, 2, "# host key, created on first start: written beside it,");
    Line(out, 2, "# then linked into place");
    Line(out, 2, Path(key) + " rwl,");
    Line(out, 2, Path(key, ".new.*") + " rw,");
  }
  if (!config.audit.log.empty()) {
    Line(out, 2, Path(config.audit.log) + " w,");
    Line(out, 2, "# sftpd audit reads it and its rotations, found by listing");
    Line(out, 2, "# its directory");
    const std::string& log = config.audit.log;
    Line(out, 2, Path(ParentDir(log), "/") + " r,");
    Line(out, 2, Path(log, "*") + " r,");
  }
  if (const std::string& sock = config.server.control_socket; !sock.empty()) {
    Line(out, 2,
         "# the control socket of sftpd sessions, kick, status, reload, bans");
    Line(out, 2, "# and unban, its directory and the daemon's pid file there");
    Line(out, 2, Path(ParentDir(sock), "/") + " rw,");
    Line(out, 2, Path(sock) + " rw,");
    Line(out, 2, Path(ParentDir(sock), "/sftpd.pid{,.new}") + " rw,");
  }
  Line(out, 2, "# systemd's notify socket (Type=notify): READY=1 and the like");
  Line(out, 2, "/run/systemd/notify w,");
  Line(out, 2, "# PAM's session and account modules beyond <abstractions/");
  Line(out, 2, "# authentication>: pam_nologin, pam_limits, pam_loginuid");
  Line(out, 2, "@{run}/nologin r,");
  Line(out, 2, "/etc/security/limits.d/ r,");
  Line(out, 2, "/etc/security/limits.d/*.conf r,");
  Line(out, 2, "@{PROC}/@{pid}/loginuid rw,");
  Line(out, 2, "@{PROC}/@{pid}/uid_map r,");
  Line(out, 2,
       "# pam_limits starts from init's limits; it raises no hard limit");
  Line(out, 2, "@{PROC}/1/limits r,");
  Line(out, 2, "deny capability sys_resource,");
  std::vector<std::string> keys;
  for (const Grantee& g : grantees) {
    for (const std::string& pattern : config.auth.authorized_keys) {
      Result<std::string> p =
          ExpandPath(pattern, g.account->name, g.account->home);
      if (p) keys.push_back(Path(*p) + " r,");
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  if (!keys.empty()) Line(out, 2, "# authorized_keys of the users below");
  for (const std::string& k : keys) Line(out, 2, k);
  out += '\n';
  if (grantees.empty()) {
    Line(out, 2, "# No user on this system is granted anything: no hats.");
  }
  for (const Grantee& g : grantees) Hat(out, config, g);
  if (!grantees.empty()) out.pop_back();  // the last hat's blank line
  out += "}\n";
  return out;
}

}  // namespace sftpd::policy
