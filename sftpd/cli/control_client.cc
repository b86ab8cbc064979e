// The subcommands that ask the running daemon through its control socket:
// sessions, kick, status, reload, bans and unban.
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "config/result.h"
#include "sftpd/cli/common.h"
#include "sftpd/control/control.h"
#include "sftpd/control/daemon_status.h"

namespace sftpd {
namespace {

// The config's [server] control_socket, or the text that says why there is
// none (each line as `sftpd NAME: ...`, after the config's errors). A
// config with errors (an edit not yet checked) is read leniently for it, as
// the daemon keeps its previous one.
Result<std::string> ControlSocket(const Args& args, std::string_view name) {
  const std::string command = "sftpd " + std::string(name) + ": ";
  LoadResult r = LoadConfig(args.config);
  Result<std::string> socket =
      r.config ? Result<std::string>(r.config->server.control_socket)
               : ControlSocketOf(args.config);
  if (!socket) {
    std::string text;
    for (const ConfigError& e : r.errors) text += e.ToString() + "\n";
    return Error{text + command + args.config + " has errors"};
  }
  if (socket->empty()) {
    return Error{command + args.config +
                 " sets no [server] control_socket, so the daemon has none"};
  }
  return socket;
}

// Says why there is no socket to ask; the exit status for that.
int NoSocket(const Result<std::string>& socket) {
  fprintf(stderr, "%s\n", socket.error().c_str());
  return 1;
}

// The words of a control command that takes only --json: whether it was
// given, or nullopt after a usage line (exit 2).
std::optional<bool> JsonFlag(const Args& args, std::string_view name) {
  bool json = false;
  for (std::string_view a : args.rest) {
    if (a != "--json") {
      fprintf(stderr, "sftpd %.*s: unexpected argument '%.*s'\n",
              int(name.size()), name.data(), int(a.size()), a.data());
      return std::nullopt;
    }
    json = true;
  }
  return json;
}

}  // namespace

int Sessions(const Args& args) {
  std::optional<bool> json = JsonFlag(args, "sessions");
  if (!json) return 2;
  Result<std::string> path = ControlSocket(args, "sessions");
  if (!path) return NoSocket(path);
  return PrintSessions(*path, *json, stdout, stderr);
}

int KickCommand(const Args& args) {
  if (args.rest.size() != 1) {
    fprintf(stderr, "usage: sftpd kick USER|SESSION [--config FILE]\n");
    return 2;
  }
  Result<std::string> path = ControlSocket(args, "kick");
  if (!path) return NoSocket(path);
  return Kick(*path, std::string(args.rest[0]), stdout, stderr);
}

int StatusCommand(const Args& args) {
  std::optional<bool> json = JsonFlag(args, "status");
  if (!json) return 2;
  Result<std::string> path = ControlSocket(args, "status");
  if (!path) return NoSocket(path);
  return PrintStatus(*path, *json, stdout, stderr);
}

// `sftpd reload` asks even when the config has errors, as it will after a
// broken edit: the daemon reports them, and records the attempt.
int ReloadCommand(const Args& args) {
  Result<std::string> path = ControlSocket(args, "reload");
  if (!path) return NoSocket(path);
  return Reload(*path, stdout, stderr);
}

int BansCommand(const Args& args) {
  std::optional<bool> json = JsonFlag(args, "bans");
  if (!json) return 2;
  Result<std::string> path = ControlSocket(args, "bans");
  if (!path) return NoSocket(path);
  return PrintBans(*path, *json, stdout, stderr);
}

int UnbanCommand(const Args& args) {
  if (args.rest.size() != 1) {
    fprintf(stderr, "usage: sftpd unban ADDRESS|CIDR [--config FILE]\n");
    return 2;
  }
  Result<std::string> path = ControlSocket(args, "unban");
  if (!path) return NoSocket(path);
  return Unban(*path, std::string(args.rest[0]), stdout, stderr);
}

}  // namespace sftpd
