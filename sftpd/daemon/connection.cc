#include "sftpd/daemon/connection.h"

#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sftpd/audit/audit.h"
#include "sftpd/audit/relay.h"
#include "sftpd/base/log_line.h"
#include "sftpd/daemon/authorized_keys.h"
#include "sftpd/daemon/channels.h"
#include "sftpd/daemon/pam.h"
#include "sftpd/frontdoor/stdio.h"
#include "sftpd/sandbox/layers.h"
#include "sftpd/sandbox/sandbox.h"
#include "sftpd/vfs/exports.h"

namespace sftpd {

namespace {

// How long an authenticated child waits for the listener's admission.
constexpr int kAdmitTimeoutMillis = 10000;

struct SessionFree {
  void operator()(ssh_session s) const { ssh_free(s); }
};

// What the server decided about one claimed user name, once per name.
struct Candidate {
  std::string name;              // as claimed: for PAM and the audit trail
  std::string shown;             // Printable and bounded: for log lines
  std::optional<UserInfo> user;  // nullopt: refused whatever the key
  // For a refused name, whom PAM's stand-in conversation is for
  // (RefusedThroughPam): the account when there is one, so the failure
  // costs what a real one does, else the printable name.
  std::string pam_stand_in;
  AuthorizedKeys keys;
  std::string refused_rule;  // the audit rule that refused the name
};

std::unique_ptr<Candidate> Decide(const Config& config, const Peer& peer,
                                  const std::string& name, RelayAudit& audit) {
  auto c = std::make_unique<Candidate>();
  c->name = name;
  c->shown = Printable(name, kMaxShownName);
  audit.set_claimed_user(name);
  const std::string who = "user " + c->shown + " from " + peer.text + ": ";
  auto refuse = [&](std::string_view rule, const std::string& why) {
    Note(LOG_WARNING, "refused " + who + why);
    c->refused_rule = rule;
    audit.Record(
        {.op = "login", .result = "refused", .rule = rule, .detail = why});
    return std::move(c);
  };
  Result<UserInfo> user = LookUpUser(name);
  c->pam_stand_in = user ? user->name : c->shown;
  if (!user) return refuse("unknown user", user.error());
  if (getuid() != 0 && user->uid != getuid()) {
    return refuse("own account only",
                  "this server serves only the account it runs as");
  }
  if (user->uid == 0 &&
      std::none_of(config.users.begin(), config.users.end(),
                   [](const Grant& g) { return g.name == "root"; })) {
    return refuse("root", "root may log in only with a [users.root] entry");
  }
  Rights rights = RightsFor(config, user->name, user->groups);
  if (!rights.found) return refuse("no entry", "no [users] or [groups] entry");
  if (!rights.Allows(*peer.address)) {
    return refuse("allow_from", "address not in allow_from");
  }
  const std::vector<std::string>& methods = config.auth.methods;
  bool keys_wanted =
      std::find(methods.begin(), methods.end(), "publickey") != methods.end();
  for (const std::string& pattern : config.auth.authorized_keys) {
    if (!keys_wanted) break;
    Result<std::string> path = ExpandPath(pattern, user->name, user->home);
    if (!path) {
      Note(LOG_WARNING, who + "authorized_keys " + pattern +
                            " does not expand to a safe path");
      continue;
    }
    Result<std::string> text =
        ReadAuthorizedKeysFile(*path, user->uid, user->gid);
    if (!text) {
      if (text.error().rfind("absent: ", 0) != 0) {
        Note(LOG_WARNING, who + "authorized_keys ignored: " + text.error());
      }
      continue;
    }
    for (const SkippedLine& skip : c->keys.Add(*text, *path)) {
      Note(LOG_NOTICE, who + *path + ":" + std::to_string(skip.line) +
                           ": key skipped: " + skip.reason);
    }
  }
  c->user = std::move(*user);
  return c;
}

// The offered key and the signed-attempt state of a publickey request.
// libssh marks these accessors deprecated in favour of its callback API; the
// message API is what this loop is built on.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
ssh_key OfferedKey(ssh_message m) { return ssh_message_auth_pubkey(m); }
enum ssh_publickey_state_e PublicKeyState(ssh_message m) {
  return ssh_message_auth_publickey_state(m);
}
#pragma GCC diagnostic pop

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
const char* OfferedPassword(ssh_message m) {
  return ssh_message_auth_password(m);
}
#pragma GCC diagnostic pop

// "ADDRESS port PORT ssh2": how OpenSSH's sshd names the peer in its
// Accepted/Failed lines, so log watchers written for sshd (fail2ban's sshd
// filter) read these too.
std::string SshdStyle(const Peer& peer) {
  return peer.address->ToString() + " port " + std::to_string(peer.port) +
         " ssh2";
}

// The SSH_AUTH_METHOD_* bits of [auth] methods.
int MethodBits(const Config& config) {
  int bits = 0;
  for (const std::string& m : config.auth.methods) {
    if (m == "publickey") bits |= SSH_AUTH_METHOD_PUBLICKEY;
    if (m == "password") bits |= SSH_AUTH_METHOD_PASSWORD;
    if (m == "keyboard-interactive") bits |= SSH_AUTH_METHOD_INTERACTIVE;
  }
  return bits;
}

std::string MethodName(int method) {
  switch (method) {
    case SSH_AUTH_METHOD_PUBLICKEY:
      return "publickey";
    case SSH_AUTH_METHOD_PASSWORD:
      return "password";
    case SSH_AUTH_METHOD_INTERACTIVE:
      return "keyboard-interactive";
    case SSH_AUTH_METHOD_HOSTBASED:
      return "hostbased";
    default:
      return "method";
  }
}

// A keyboard-interactive PAM conversation over the client: each round goes
// out as an info request on `*m` (the request, then each response), and
// `*m` becomes the client's next message. The response carries no user name
// (libssh leaves it NULL): the name is the one of the first request.
PamAsk KbdintAsker(ssh_session s, MessagePtr* m) {
  return
      [s, m](const PamRound& round) -> std::optional<std::vector<std::string>> {
        std::vector<const char*> prompts;
        std::vector<char> echo;
        for (const PamPrompt& p : round.prompts) {
          prompts.push_back(p.text.c_str());
          echo.push_back(p.echo ? 1 : 0);
        }
        if (!*m || ssh_message_auth_interactive_request(
                       m->get(), "", round.instruction.c_str(),
                       unsigned(prompts.size()), prompts.data(),
                       echo.data()) != SSH_OK) {
          return std::nullopt;
        }
        m->reset(ssh_message_get(s));
        if (!*m || ssh_message_type(m->get()) != SSH_REQUEST_AUTH ||
            ssh_message_subtype(m->get()) != SSH_AUTH_METHOD_INTERACTIVE ||
            !ssh_message_auth_kbdint_is_response(m->get())) {
          return std::nullopt;
        }
        int n = ssh_userauth_kbdint_getnanswers(s);
        if (n < 0 || size_t(n) != prompts.size()) return std::nullopt;
        std::vector<std::string> answers;
        for (unsigned i = 0; i < unsigned(n); ++i) {
          const char* a = ssh_userauth_kbdint_getanswer(s, i);
          answers.emplace_back(a != nullptr ? a : "");
        }
        return answers;
      };
}

struct Authenticated {
  UserInfo user;
  std::unique_ptr<PamLogin> pam;  // its session is opened before the drop
  std::string method;             // MethodName of the accepted method
  std::string key;                // for publickey: DescribeKey of the key
};

// Runs `check` (authenticate, or the account check alone) on a new PAM
// handle for the candidate. nullptr: refused, the reason logged.
std::unique_ptr<PamLogin> ThroughPam(
    const Candidate& cand, const Peer& peer, const std::string& method,
    const std::function<Result<bool>(PamLogin&)>& check) {
  Result<std::unique_ptr<PamLogin>> pam =
      PamLogin::Start(cand.name, peer.address->ToString(), "");
  if (!pam) {
    Note(LOG_ERR, "PAM for " + cand.shown + ": " + pam.error());
    return nullptr;
  }
  Result<bool> ok = check(**pam);
  if (!ok) {
    Note(LOG_NOTICE, "PAM " + method + " for " + cand.shown + " from " +
                         peer.text + ": " + ok.error());
    return nullptr;
  }
  return std::move(*pam);
}

// A password or keyboard-interactive attempt for a name that may not log
// in is answered as one for a name that may: PAM runs (for
// cand.pam_stand_in), so the client sees PAM's own prompts and waits as
// long as for a wrong password (pam_unix's hashing and fail delay), but
// with RefusingAsker's answers; the outcome is ignored. sshd runs
// PAM for invalid users the same way. Nothing is logged here: the refusal
// and the failure are.
void RefusedThroughPam(const Candidate& cand, const Peer& peer, PamAsk ask) {
  Result<std::unique_ptr<PamLogin>> pam =
      PamLogin::Start(cand.pam_stand_in, peer.address->ToString(), "");
  if (!pam) return;
  (void)(*pam)->Authenticate(RefusingAsker(std::move(ask)));
}

std::optional<Authenticated> Authenticate(const Config& config, ssh_session s,
                                          const Peer& peer, RelayAudit& audit) {
  const int enabled = MethodBits(config);
  std::unique_ptr<Candidate> cand;
  int failures = 0;
  while (failures < config.auth.max_tries) {
    MessagePtr m(ssh_message_get(s));
    if (!m) return std::nullopt;  // the client went away
    if (ssh_message_type(m.get()) != SSH_REQUEST_AUTH) {
      ssh_message_reply_default(m.get());  // service requests: accepted
      continue;
    }
    int method = ssh_message_subtype(m.get());
    bool stray_response = method == SSH_AUTH_METHOD_INTERACTIVE &&
                          ssh_message_auth_kbdint_is_response(m.get());
    if (!stray_response) {
      const char* name = ssh_message_auth_user(m.get());
      std::string user = name ? name : "";
      if (!cand || cand->name != user) {
        cand = Decide(config, peer, user, audit);
      }
    }
    const bool offered = cand && (method & enabled) != 0 && !stray_response;
    const bool admissible = offered && cand->user;
    std::unique_ptr<PamLogin> pam;
    if (admissible && method == SSH_AUTH_METHOD_PUBLICKEY) {
      KeyDecision key =
          cand->keys.Accepts(OfferedKey(m.get()), *peer.address, time(nullptr));
      enum ssh_publickey_state_e state = PublicKeyState(m.get());
      if (!key && !key.refusal.empty()) {
        Note(LOG_NOTICE, "key of " + cand->shown + " from " + peer.text +
                             " refused by " + key.origin + ":" +
                             std::to_string(key.line) + ": " + key.refusal);
      } else if (key && state == SSH_PUBLICKEY_STATE_NONE) {
        ssh_message_auth_reply_pk_ok_simple(m.get());
        continue;
      }
      if (key && state == SSH_PUBLICKEY_STATE_VALID) {
        // Account checks (expired, locked) apply to key logins too.
        pam = ThroughPam(*cand, peer, "account",
                         [](PamLogin& p) { return p.CheckAccount(); });
      }
    } else if (admissible && method == SSH_AUTH_METHOD_PASSWORD) {
      const char* pw = OfferedPassword(m.get());
      PamAsk ask = PasswordAsker(pw != nullptr ? pw : "");
      pam = ThroughPam(*cand, peer, "password",
                       [&](PamLogin& p) { return p.Authenticate(ask); });
    } else if (admissible && method == SSH_AUTH_METHOD_INTERACTIVE) {
      PamAsk ask = KbdintAsker(s, &m);
      pam = ThroughPam(*cand, peer, "keyboard-interactive",
                       [&](PamLogin& p) { return p.Authenticate(ask); });
      if (!m) return std::nullopt;  // the client left mid-conversation
    } else if (offered && method == SSH_AUTH_METHOD_PASSWORD) {
      RefusedThroughPam(*cand, peer, PasswordAsker(""));
    } else if (offered && method == SSH_AUTH_METHOD_INTERACTIVE) {
      RefusedThroughPam(*cand, peer, KbdintAsker(s, &m));
      if (!m) return std::nullopt;
    }
    if (pam) {
      ssh_message_auth_reply_success(m.get(), 0);
      // sshd's form: "Accepted publickey for U from A port P ssh2: ED25519
      // SHA256:...", the key as ssh-keygen -l names it.
      std::string key = method == SSH_AUTH_METHOD_PUBLICKEY
                            ? DescribeKey(OfferedKey(m.get()))
                            : std::string();
      Note(LOG_INFO, "Accepted " + MethodName(method) + " for " + cand->shown +
                         " from " + SshdStyle(peer) +
                         (key.empty() ? "" : ": " + key));
      return Authenticated{*cand->user, std::move(pam), MethodName(method),
                           std::move(key)};
    }
    if (method != SSH_AUTH_METHOD_NONE) {
      ++failures;
      // "invalid user": a name that may not log in at all, as sshd says;
      // a user whose allow_from leaves the address out is one that exists.
      const bool not_allowed = cand && cand->refused_rule == "allow_from";
      Note(LOG_WARNING,
           "Failed " + MethodName(method) + " for " +
               (cand && (cand->user || not_allowed) ? "" : "invalid user ") +
               (cand ? cand->shown : std::string()) + " from " +
               SshdStyle(peer) +
               (not_allowed ? ": not allowed from " + peer.address->ToString()
                            : ""));
      audit.Record({.op = "login",
                    .result = "refused",
                    .rule = "authentication",
                    .detail = "failed " + MethodName(method)});
    }
    ssh_message_auth_set_methods(m.get(), enabled);
    ssh_message_reply_default(m.get());
  }
  Note(LOG_WARNING, "maximum authentication attempts exceeded for " +
                        (cand ? cand->shown : std::string()) + " from " +
                        SshdStyle(peer));
  audit.Record({.op = "login",
                .result = "refused",
                .rule = "max_tries",
                .detail = std::to_string(failures) + " failed attempts"});
  return std::nullopt;
}

// Drops to the user (as root) and confines the process to the user's
// exports. Returns the exports, or why the session cannot be served.
Result<std::unique_ptr<Exports>> DropAndConfine(
    const Config& config, const UserInfo& user, const Address& from,
    std::string* layers, std::vector<AbsentExport>* absent) {
  if (getuid() == 0) {
    if (initgroups(user.name.c_str(), user.gid) != 0 || setgid(user.gid) != 0 ||
        setuid(user.uid) != 0) {
      return Error{std::string("cannot become the user: ") + strerror(errno)};
    }
    if (user.uid != 0 && setuid(0) == 0) {
      return Error{"the privilege drop did not hold"};
    }
  }
  // Each table grants its exports from its own addresses (config.h).
  Rights rights = RightsFor(config, user.name, user.groups, from);
  Result<Layers> switches = LayersFromEnvironment();
  if (!switches) return Error{switches.error()};
  Result<std::unique_ptr<Exports>> exports =
      OpenGranted(rights.exports, user.name, user.home, user.uid,
                  switches->namespace_checks, absent);
  if (!exports) return exports;
  tzset();
  umask(0);  // each export's own umask is applied by Exports
  Result<std::string> entered =
      sandbox::Enter(SandboxTrees(**exports), user.name, *switches);
  if (!entered) return Error{"cannot confine: " + entered.error()};
  *layers = *entered;
  if (!switches->Describe().empty()) *layers += "; " + switches->Describe();
  return exports;
}

}  // namespace

int ServeConnection(const Config& config, ssh_bind bind, int fd, int relay_fd,
                    const Peer& peer) {
  RelayAudit audit(relay_fd);
  alarm(unsigned(
      config.auth.login_grace_time));  // default action: the child ends
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::unique_ptr<ssh_session_struct, SessionFree> s(ssh_new());
  if (!s || ssh_bind_accept_fd(bind, s.get(), fd) != SSH_OK) {
    Note(LOG_ERR, "connection from " + peer.text + ": " + ssh_get_error(bind));
    close(fd);
    return 1;
  }
  if (ssh_handle_key_exchange(s.get()) != SSH_OK) {
    Note(LOG_NOTICE, "key exchange with " + peer.text +
                         " failed: " + ssh_get_error(s.get()));
    return 1;
  }
  ssh_set_auth_methods(s.get(), MethodBits(config));
  std::optional<Authenticated> auth =
      Authenticate(config, s.get(), peer, audit);
  if (!auth) {
    ssh_disconnect(s.get());
    return 1;
  }
  const UserInfo* user = &auth->user;
  const std::string who = "user " + user->name + " from " + peer.text + ": ";
  // The listener counts the user's sessions; it audits its own refusal.
  Result<std::string> session_id =
      audit.Admit(user->name, user->uid, kAdmitTimeoutMillis);
  if (!session_id) {
    Note(LOG_WARNING, "refused " + who + session_id.error());
    ssh_disconnect(s.get());
    return 1;
  }
  // The PAM session is opened while the process is still root, and closed
  // by this same process when `auth` goes out of scope, by then running as
  // the user: close-time work that needs root cannot happen (pam_unix only
  // logs there). A privileged parent would be needed for more.
  if (Result<bool> opened = auth->pam->OpenSession(); !opened) {
    Note(LOG_WARNING, "refused " + who + opened.error());
    audit.Record({.op = "login",
                  .result = "refused",
                  .rule = "pam session",
                  .detail = opened.error()});
    ssh_disconnect(s.get());
    return 1;
  }

  std::string layers;
  std::vector<AbsentExport> absent;
  Result<std::unique_ptr<Exports>> exports =
      DropAndConfine(config, *user, *peer.address, &layers, &absent);
  for (const AbsentExport& a : absent) {
    Note(LOG_WARNING, who + "export " + a.name + " left out: " + a.why);
  }
  if (!exports) {
    audit.Record({.op = "login",
                  .result = "refused",
                  .rule = "session",
                  .detail = exports.error()});
    Note(LOG_WARNING, "refused " + who + exports.error());
    // Once the process is the user's, the client may hear why (on its
    // channel's stderr) rather than only see the connection close.
    if (!absent.empty() && getuid() == user->uid && user->uid != 0) {
      if (ssh_channel chan = OpenSftpChannel(s.get(), who, audit)) {
        RefuseChannel(chan, AbsentNotice(absent));
      }
    }
    ssh_disconnect(s.get());
    return 1;
  }

  ssh_channel chan = OpenSftpChannel(s.get(), who, audit);
  if (chan == nullptr) {
    // Admitted, so the listener follows the session: its end is told
    // here, not taken for an abnormal one. Each refusal was audited.
    audit.Record({.op = "logout", .detail = "no sftp session started"});
    ssh_disconnect(s.get());
    return 1;
  }
  alarm(0);
  // The client's SSH version, for the log and the trail: what an admin
  // needs to tell a client that fails.
  const char* banner = ssh_get_clientbanner(s.get());
  const std::string client_version = banner != nullptr ? banner : "";
  const int status = ServeChannels(
      s.get(), chan,
      {.config = config,
       .exports = **exports,
       .audit = audit,
       .user = user->name,
       .session_id = *session_id,
       .who = who,
       .method = auth->method,
       .key = auth->key,
       .login = layers + "; client " + Printable(client_version, kMaxShownName),
       .symlink_order = SymlinkOrderFor(client_version),
       .notice = AbsentNotice(absent)});
  ssh_disconnect(s.get());
  return status;
}

}  // namespace sftpd
