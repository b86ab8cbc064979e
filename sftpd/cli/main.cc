// The sftpd command line: a table of subcommands, each taking --config.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "config/config.h"
#include "sftpd/audit/query.h"
#include "sftpd/cli/common.h"
#include "sftpd/cli/daemon_loader.h"
#include "sftpd/engine/session.h"
#include "sftpd/frontdoor/stdio.h"

namespace sftpd {
namespace {

int Stdio(const Args& args) { return ServeStdio(args.config); }

// What an SFTP-only account says to a terminal, or to a login with no
// command: there is nothing else to offer.
constexpr const char* kSftpOnly =
    "sftpd: this account is for SFTP only; use an SFTP client\n";

// `sftpd -c COMMAND`: sftpd as the user's login shell. sshd runs every
// session's command so (a ForceCommand, a Subsystem, what the client asked
// for), and sftpd serves --stdio with the default config whatever COMMAND
// says: nothing the client or the user's files could choose is run or read
// (no shell, so no ~/.bashrc; no --config from the command line).
int LoginShell(const Args& args) {
  if (args.rest.empty()) {
    fprintf(stderr, "usage: sftpd -c COMMAND (as a login shell)\n");
    return 2;
  }
  if (isatty(STDIN_FILENO)) {
    fputs(kSftpOnly, stderr);
    return 1;
  }
  return ServeStdio(kDefaultConfigPath);
}

std::string ServeUsage() {
  return "usage: sftpd serve [--inetd] [--config FILE]\n";
}

int Serve(const Args& args) {
  bool inetd = false;
  for (std::string_view word : args.rest) {
    if (word != "--inetd") {
      fprintf(stderr, "sftpd: serve: unknown option '%.*s'\n%s",
              int(word.size()), word.data(), ServeUsage().c_str());
      return 2;
    }
    inetd = true;
  }
  const std::string self = ThisBinary();
  if (self.empty()) return 1;
  Result<DaemonEntry> run = LoadDaemonModule(DaemonModulePath(self));
  if (!run) {
    fprintf(stderr, "sftpd: serve: %s\n", run.error().c_str());
    return 1;
  }
  return (*run)(args.config.c_str(), inetd ? 1 : 0);
}

const char* EffectName(TableEffect e) {
  switch (e) {
    case TableEffect::kNone:
      return "none";
    case TableEffect::kRead:
      return "read";
    case TableEffect::kWrite:
      return "write";
    case TableEffect::kByFlags:
      return "by-flags";
  }
  return "?";
}

int ListRequests(const Args&) {
  printf("%-4s %-32s %-9s %-8s %s\n", "type", "request", "effect", "audit",
         "advertised");
  for (const RequestInfo& r : Session::Requests()) {
    std::string name(r.name), audit(r.audit_op.empty() ? "-" : r.audit_op);
    std::string adv =
        r.ext_version.empty() ? "-" : "v" + std::string(r.ext_version);
    printf("%-4u %-32s %-9s %-8s %s\n", unsigned(r.type), name.c_str(),
           EffectName(r.effect), audit.c_str(), adv.c_str());
  }
  return 0;
}

int Version(const Args&) {
  printf("sftpd %s\n", SFTPD_VERSION);
  return 0;
}

int Help(const Args&);

// What a command does with the words after it, --config aside.
enum class Words : uint8_t {
  kNone,        // nothing else
  kPositional,  // words not starting with '-' go to Args::rest
  kAll,         // everything goes to Args::rest, for the command to parse
  kVerbatim,    // everything goes to Args::rest, --config and --help too:
                // no word the caller passes is read as an option
};

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const Args&);
  Words words = Words::kNone;
  // `sftpd NAME --help`: the usage line and what the words mean.
  std::string (*usage)() = nullptr;
};

std::string ConfigOnly(std::string_view name) {
  return "usage: sftpd " + std::string(name) + " [--config FILE]\n";
}

constexpr Command kCommands[] = {
    {"serve", "run the SSH daemon in the foreground: SFTP only", Serve,
     Words::kAll,
     [] {
       return ServeUsage() +
              "\nThe daemon stays in the foreground (systemd runs it so).\n"
              "SIGHUP (or sftpd reload) rereads the config (a broken one is\n"
              "refused and the old one kept) and reopens the audit file;\n"
              "SIGTERM stops accepting and lets sessions finish for 30 s.\n"
              "Under systemd it reports READY=1, RELOADING=1 and STOPPING=1\n"
              "to $NOTIFY_SOCKET (Type=notify). While it runs, sftpd.pid\n"
              "beside the control socket holds its pid. Started with\n"
              "systemd's sockets ($LISTEN_FDS: sftpd.socket) it accepts on\n"
              "those and not on [server] listen.\n"
              "\n--inetd: serve the one connection on stdin and stdout\n"
              "(sftpd-inetd@.service, Accept=yes, as sshd -i) and exit when it\n"
              "ends; no control socket, and the connection limits and the\n"
              "defender see only that connection.\n"
              "Exit status: 0 after SIGTERM (or the --inetd connection's\n"
              "end), 1 if it cannot start, 2 for a usage error.\n";
     }},
    {"--stdio",
     "serve one SFTP session on stdin/stdout as the calling user "
     "(OpenSSH ForceCommand or Subsystem)",
     Stdio, Words::kNone,
     [] {
       return ConfigOnly("--stdio") +
              "\nOne SFTP session on stdin/stdout as the calling user, the\n"
              "client's address from SSH_CONNECTION. Exit status: 0 when the\n"
              "client ends the session, 1 if it is refused or breaks off.\n";
     }},
    {"-c",
     "as a user's login shell: serve --stdio with the default config "
     "whatever the command (sshd runs `sftpd -c COMMAND`)",
     LoginShell, Words::kVerbatim},
    {"check-config",
     "validate the config; print each error as "
     "file:line:col: key: reason and exit 1; --user NAME [--from ADDR]: "
     "what NAME gets",
     CheckConfig, Words::kAll,
     [] {
       return std::string(
                  "usage: sftpd check-config [--config FILE] [--user NAME "
                  "[--from ADDRESS]]\n") +
              "\nExit status: 0 and a summary, or 1 and each error as\n"
              "file:line:col: key: reason. Warnings on stderr (still 0)\n"
              "name each entry that cannot work on this system now (no such\n"
              "user or group, [users.root], an export root missing or\n"
              "unusable for a user) and each user whose login shell is not\n"
              "sftpd and may read startup files the user can write through\n"
              "a read-write export.\n"
              "\n--user NAME: the exports NAME gets, each with its host path,\n"
              "access, owner_only and the entries that grant it (and from\n"
              "which addresses); --from ADDRESS: only what a session from\n"
              "there gets. Exit status 0 when such a session is served, 1\n"
              "when it is refused (and why), 2 for a usage error.\n";
     }},
    {"policy",
     "`policy apparmor`: print the AppArmor profile, `policy sshd`: the "
     "sshd_config Match blocks, for this config and its users",
     Policy, Words::kPositional,
     [] {
       return std::string(
           "usage: sftpd policy apparmor|sshd [--config FILE]\n"
           "\n  apparmor  the AppArmor profile, a hat per user\n"
           "  sshd      the sshd_config Match blocks routing users to\n"
           "            sftpd --stdio; a warning on stderr (and in the\n"
           "            text) for each user whose login shell is not sftpd\n"
           "            and may read startup files the user can write\n"
           "Exit status: 0, 1 if the config or a path in it cannot be used,\n"
           "2 for a usage error.\n");
     }},
    {"audit", "query the audit trail: --user, --path, --op, --since, ...",
     Audit, Words::kAll, [] { return AuditUsage(); }},
    {"sessions", "list the daemon's logged-in sessions (--json for lines)",
     Sessions, Words::kAll,
     [] {
       return std::string(
           "usage: sftpd sessions [--config FILE] [--json]\n"
           "\nAsks the running daemon, through its [server] control_socket\n"
           "(root only), for its logged-in sessions: id, pid, user, client\n"
           "address, since when, bytes read and written, the file open now.\n"
           "--json prints each as a JSON line in the audit trail's format.\n"
           "Exit status: 0, 1 if the daemon cannot be asked.\n");
     }},
    {"kick", "end a user's sessions, or one session by its id", KickCommand,
     Words::kPositional,
     [] {
       return std::string(
           "usage: sftpd kick USER|SESSION [--config FILE]\n"
           "\nEnds every session of USER, or the session with that id (as\n"
           "sftpd sessions shows it), through the daemon's control socket.\n"
           "Each is audited (op kick, then its logout).\n"
           "Exit status: 0, 1 if no session matched or the daemon cannot be\n"
           "asked, 2 for a usage error.\n");
     }},
    {"status",
     "the daemon's pid, listen addresses, config, sessions, last reload "
     "and bans (--json)",
     StatusCommand, Words::kAll,
     [] {
       return std::string(
           "usage: sftpd status [--config FILE] [--json]\n"
           "\nAsks the running daemon, through its [server] control_socket\n"
           "(root only): its pid, listen addresses, config file and when it\n"
           "was loaded, sessions logged in and connections, its pid file,\n"
           "the last reload (when, taken or why not) and the defender's\n"
           "bans. --json prints one JSON object.\n"
           "Exit status: 0, 1 if the daemon cannot be asked.\n");
     }},
    {"reload",
     "make the daemon reread its config; print why not and exit 1 when "
     "it keeps the old one",
     ReloadCommand, Words::kNone,
     [] {
       return std::string(
           "usage: sftpd reload [--config FILE]\n"
           "\nThe daemon rereads its config file as on SIGHUP (and reopens\n"
           "the audit file), through its control socket, and answers once\n"
           "done (30 s at most). A config it refuses is kept out: each\n"
           "error is printed as file:line:col: key: reason, and the\n"
           "previous config stays in use. FILE only says where the control\n"
           "socket is; the daemon rereads the file it was started with.\n"
           "Exit status: 0 when the new config was taken, 1 when it was\n"
           "not or the daemon cannot be asked.\n");
     }},
    {"bans", "list the defender's bans: address, score, time left (--json)",
     BansCommand, Words::kAll,
     [] {
       return std::string(
           "usage: sftpd bans [--config FILE] [--json]\n"
           "\nThe addresses (IPv6 prefixes as 2001:db8:1::/64) the daemon's\n"
           "[defender] bans now, with the score that began each ban (for a\n"
           "wide prefix, the networks counted) and the time left.\n"
           "--json prints each as a JSON line.\n"
           "Exit status: 0, 1 if the daemon cannot be asked.\n");
     }},
    {"unban", "lift the defender's bans on an address or CIDR block",
     UnbanCommand, Words::kPositional,
     [] {
       return std::string(
           "usage: sftpd unban ADDRESS|CIDR [--config FILE]\n"
           "\nLifts every ban holding ADDRESS (an address inside a banned\n"
           "IPv6 prefix lifts the prefix, and says so), or every ban inside\n"
           "CIDR or holding it (2001:db8::/48, as sftpd bans prints it), and\n"
           "forgets their scores. Audited (op unban).\n"
           "Exit status: 0, 1 if it is not banned or the daemon cannot be\n"
           "asked, 2 for a usage error.\n");
     }},
    {"--list-requests",
     "print the request table: every SFTP request and "
     "extension, its effect and audit",
     ListRequests},
    {"--version", "print the version", Version},
    {"--help", "this text", Help},
};

int Help(const Args&) {
  printf("usage: sftpd COMMAND [--config FILE]\n\n");
  for (const Command& c : kCommands) {
    printf("  %-16s %.*s\n", std::string(c.name).c_str(), int(c.summary.size()),
           c.summary.data());
  }
  printf("\nFILE defaults to %s. sftpd COMMAND --help says more.\n",
         kDefaultConfigPath);
  return 0;
}

int Main(int argc, char** argv) {
  // A login shell's name starts with '-': an interactive login (sshd with
  // no command, `su -`) to an account whose shell is sftpd.
  if (argc < 2 && argv[0] != nullptr && argv[0][0] == '-') {
    fputs(kSftpOnly, stderr);
    return 1;
  }
  if (argc < 2) {
    Help({});
    return 2;
  }
  std::string_view name = argv[1];
  const Command* cmd = nullptr;
  for (const Command& c : kCommands) {
    if (c.name == name || (name == "-h" && c.name == "--help")) cmd = &c;
  }
  if (cmd == nullptr) {
    fprintf(stderr, "sftpd: unknown command '%s'; see sftpd --help\n", argv[1]);
    return 2;
  }
  Args args;
  if (cmd->words == Words::kVerbatim) {
    args.rest.assign(argv + 2, argv + argc);
    return cmd->run(args);
  }
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if ((a == "--help" || a == "-h") && cmd->usage != nullptr) {
      const std::string text = cmd->usage();
      fwrite(text.data(), 1, text.size(), stdout);
      return 0;
    }
    if (a == "--config" || a == "-f") {
      if (i + 1 >= argc) {
        fprintf(stderr, "sftpd: %s needs a file name\n", argv[i]);
        return 2;
      }
      args.config = argv[++i];
    } else if (a.substr(0, 9) == "--config=") {
      args.config = std::string(a.substr(9));
    } else if (cmd->words == Words::kAll ||
               (cmd->words == Words::kPositional && !a.starts_with("-"))) {
      args.rest.push_back(a);
    } else {
      fprintf(stderr, "sftpd: %s: unexpected argument '%s'\n", argv[1],
              argv[i]);
      return 2;
    }
  }
  return cmd->run(args);
}

}  // namespace
}  // namespace sftpd

int main(int argc, char** argv) { return sftpd::Main(argc, argv); }
