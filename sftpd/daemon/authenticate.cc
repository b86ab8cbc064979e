#include "sftpd/daemon/authenticate.h"

#include <libssh/server.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "sftpd/base/log_line.h"
#include "sftpd/daemon/authorized_keys.h"
#include "sftpd/daemon/channels.h"

namespace sftpd {

namespace {

// What the server decided about the user name the connection's first
// request claimed.
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

// Adds to `keys` the keys of `user`'s [auth] authorized_keys files, when
// publickey is an [auth] method; files and lines that cannot be used are
// logged (`who` starts each line) and skipped.
void ReadKeys(const Config& config, const UserInfo& user,
              const std::string& who, AuthorizedKeys* keys) {
  const std::vector<std::string>& methods = config.auth.methods;
  if (std::find(methods.begin(), methods.end(), "publickey") == methods.end()) {
    return;
  }
  for (const std::string& pattern : config.auth.authorized_keys) {
    Result<std::string> path = ExpandPath(pattern, user.name, user.home);
    if (!path) {
      Note(LOG_WARNING, who + "authorized_keys " + pattern +
                            " does not expand to a safe path");
      continue;
    }
    Result<std::string> text =
        ReadAuthorizedKeysFile(*path, user.uid, user.gid);
    if (!text) {
      if (text.error().rfind("absent: ", 0) != 0) {
        Note(LOG_WARNING, who + "authorized_keys ignored: " + text.error());
      }
      continue;
    }
    for (const SkippedLine& skip : keys->Add(*text, *path)) {
      Note(LOG_NOTICE, who + *path + ":" + std::to_string(skip.line) +
                           ": key skipped: " + skip.reason);
    }
  }
}

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
  ReadKeys(config, *user, who, &c->keys);
  c->user = std::move(*user);
  return c;
}

// The offered key and the signed-attempt state of a publickey request, and
// the password of a password request. libssh marks these accessors
// deprecated in favour of its callback API; the message API is what this
// loop is built on.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
ssh_key OfferedKey(ssh_message m) { return ssh_message_auth_pubkey(m); }
enum ssh_publickey_state_e PublicKeyState(ssh_message m) {
  return ssh_message_auth_publickey_state(m);
}
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
    case SSH_AUTH_METHOD_NONE:
      return "none";
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
// (libssh leaves it NULL): the name is the one of the first request. A
// message other than a response ends the conversation and sets
// `*cut_short`: the client may drop it for a new request (RFC 4252).
PamAsk KbdintAsker(ssh_session s, MessagePtr* m, bool* cut_short) {
  return [s, m, cut_short](
             const PamRound& round) -> std::optional<std::vector<std::string>> {
    std::vector<const char*> prompts;
    std::vector<char> echo;
    for (const PamPrompt& p : round.prompts) {
      prompts.push_back(p.text.c_str());
      echo.push_back(p.echo ? 1 : 0);
    }
    if (!*m ||
        ssh_message_auth_interactive_request(
            m->get(), "", round.instruction.c_str(), unsigned(prompts.size()),
            prompts.data(), echo.data()) != SSH_OK) {
      return std::nullopt;
    }
    m->reset(ssh_message_get(s));
    if (!*m) return std::nullopt;
    if (ssh_message_type(m->get()) != SSH_REQUEST_AUTH ||
        ssh_message_subtype(m->get()) != SSH_AUTH_METHOD_INTERACTIVE ||
        !ssh_message_auth_kbdint_is_response(m->get())) {
      *cut_short = true;
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

// The loop of Authenticate, and what it knows between requests.
class Authenticator {
 public:
  Authenticator(const Config& config, ssh_session s, const Peer& peer,
                RelayAudit& audit)
      : config_(config),
        s_(s),
        peer_(peer),
        audit_(audit),
        enabled_(MethodBits(config)) {}

  std::optional<Authenticated> Run();

 private:
  // What one request came to.
  struct Answer {
    std::unique_ptr<PamLogin> pam;  // set: the user is in
    bool pk_ok = false;  // a key offered without a signature was answered
    bool gone = false;   // the client left mid-conversation
    // The client's message that ended a keyboard-interactive conversation
    // is in `*m`, unanswered: the loop takes it as the next request.
    bool cut_short = false;
  };
  // Decides the name `m` claims, when it is the connection's first request.
  // False: a later request claims another name, which sshd answers by
  // disconnecting ("Change of username or service not allowed"); this is
  // refused, logged and audited (rule "user name changed"), and the caller
  // ends the connection with that message.
  bool Claim(ssh_message m);
  // Answers the auth request `*m` of `method` (the caller answers a
  // failure); `*m` may be replaced by the client's later messages.
  Answer Try(MessagePtr* m, int method, bool stray_response);
  Answer TryPublicKey(ssh_message m);
  Authenticated Accept(ssh_message m, int method,
                       std::unique_ptr<PamLogin> pam);
  void Fail(int method);

  const Config& config_;
  ssh_session s_;
  const Peer& peer_;
  RelayAudit& audit_;
  const int enabled_;  // the SSH_AUTH_METHOD_* bits offered
  std::unique_ptr<Candidate> cand_;
  int requests_ = 0;  // auth messages so far
  int failures_ = 0;
};

std::optional<Authenticated> Authenticator::Run() {
  ssh_set_auth_methods(s_, enabled_);
  MessagePtr next;  // a message that cut a conversation short
  while (failures_ < config_.auth.max_tries) {
    MessagePtr m = next ? std::move(next) : MessagePtr(ssh_message_get(s_));
    if (!m) return std::nullopt;  // the client went away
    if (ssh_message_type(m.get()) != SSH_REQUEST_AUTH) {
      ssh_message_reply_default(m.get());  // service requests: accepted
      continue;
    }
    const int method = ssh_message_subtype(m.get());
    const bool stray_response = method == SSH_AUTH_METHOD_INTERACTIVE &&
                                ssh_message_auth_kbdint_is_response(m.get());
    if (!stray_response && !Claim(m.get())) return std::nullopt;
    ++requests_;
    Answer answer = Try(&m, method, stray_response);
    if (answer.gone) return std::nullopt;
    if (answer.pk_ok) continue;
    if (answer.pam) return Accept(m.get(), method, std::move(answer.pam));
    // As in sshd, only a first request of "none" is free: clients send it
    // to learn the methods. Every later request that fails counts, "none"
    // too, or a client could ask without end.
    if (method != SSH_AUTH_METHOD_NONE || requests_ > 1) Fail(method);
    // The abandoned conversation is counted (PAM ran), and answered no
    // more; the message that ended it goes through this loop's checks.
    if (answer.cut_short) {
      next = std::move(m);
      continue;
    }
    ssh_message_auth_set_methods(m.get(), enabled_);
    ssh_message_reply_default(m.get());
  }
  Note(LOG_WARNING, "maximum authentication attempts exceeded for " +
                        (cand_ ? cand_->shown : std::string()) + " from " +
                        SshdStyle(peer_));
  audit_.Record({.op = "login",
                 .result = "refused",
                 .rule = "max_tries",
                 .detail = std::to_string(failures_) + " failed attempts"});
  return std::nullopt;
}

bool Authenticator::Claim(ssh_message m) {
  const char* name = ssh_message_auth_user(m);
  std::string user = name ? name : "";
  if (!cand_) {
    cand_ = Decide(config_, peer_, user, audit_);
    return true;
  }
  if (cand_->name == user) return true;
  // libssh turns a request for a service other than ssh-connection into
  // one of an unknown method, which fails: the service cannot change.
  const std::string to = Printable(user, kMaxShownName);
  Note(LOG_WARNING, "refused user " + cand_->shown + " from " + peer_.text +
                        ": user name changed to " + to);
  audit_.Record({.op = "login",
                 .result = "refused",
                 .rule = "user name changed",
                 .detail = "to " + to});
  ssh_session_set_disconnect_message(
      s_, "Change of username or service not allowed");
  return false;
}

Authenticator::Answer Authenticator::Try(MessagePtr* m, int method,
                                         bool stray_response) {
  Answer answer;
  if (!cand_ || (method & enabled_) == 0 || stray_response) return answer;
  // A name that may not log in still gets PAM's conversation, for nothing.
  const bool admissible = cand_->user.has_value();
  if (method == SSH_AUTH_METHOD_PUBLICKEY && admissible) {
    return TryPublicKey(m->get());
  }
  if (method == SSH_AUTH_METHOD_PASSWORD && !admissible) {
    RefusedThroughPam(*cand_, peer_, PasswordAsker(""));
  } else if (method == SSH_AUTH_METHOD_PASSWORD) {
    const char* pw = OfferedPassword(m->get());
    PamAsk ask = PasswordAsker(pw != nullptr ? pw : "");
    answer.pam = ThroughPam(*cand_, peer_, "password",
                            [&](PamLogin& p) { return p.Authenticate(ask); });
  } else if (method == SSH_AUTH_METHOD_INTERACTIVE && !admissible) {
    RefusedThroughPam(*cand_, peer_, KbdintAsker(s_, m, &answer.cut_short));
    answer.gone = !*m;
  } else if (method == SSH_AUTH_METHOD_INTERACTIVE) {
    PamAsk ask = KbdintAsker(s_, m, &answer.cut_short);
    answer.pam = ThroughPam(*cand_, peer_, "keyboard-interactive",
                            [&](PamLogin& p) { return p.Authenticate(ask); });
    answer.gone = !*m;
  }
  return answer;
}

Authenticator::Answer Authenticator::TryPublicKey(ssh_message m) {
  Answer answer;
  KeyDecision key =
      cand_->keys.Accepts(OfferedKey(m), *peer_.address, time(nullptr));
  enum ssh_publickey_state_e state = PublicKeyState(m);
  if (!key && !key.refusal.empty()) {
    Note(LOG_NOTICE, "key of " + cand_->shown + " from " + peer_.text +
                         " refused by " + key.origin + ":" +
                         std::to_string(key.line) + ": " + key.refusal);
  } else if (key && state == SSH_PUBLICKEY_STATE_NONE) {
    ssh_message_auth_reply_pk_ok_simple(m);
    answer.pk_ok = true;
    return answer;
  }
  if (key && state == SSH_PUBLICKEY_STATE_VALID) {
    // Account checks (expired, locked) apply to key logins too.
    answer.pam = ThroughPam(*cand_, peer_, "account",
                            [](PamLogin& p) { return p.CheckAccount(); });
  }
  return answer;
}

Authenticated Authenticator::Accept(ssh_message m, int method,
                                    std::unique_ptr<PamLogin> pam) {
  ssh_message_auth_reply_success(m, 0);
  // sshd's form: "Accepted publickey for U from A port P ssh2: ED25519
  // SHA256:...", the key as ssh-keygen -l names it.
  std::string key = method == SSH_AUTH_METHOD_PUBLICKEY
                        ? DescribeKey(OfferedKey(m))
                        : std::string();
  Note(LOG_INFO, "Accepted " + MethodName(method) + " for " + cand_->shown +
                     " from " + SshdStyle(peer_) +
                     (key.empty() ? "" : ": " + key));
  return Authenticated{*cand_->user, std::move(pam), MethodName(method),
                       std::move(key)};
}

void Authenticator::Fail(int method) {
  ++failures_;
  // "invalid user": a name that may not log in at all, as sshd says; a user
  // whose allow_from leaves the address out is one that exists.
  const bool not_allowed = cand_ && cand_->refused_rule == "allow_from";
  Note(LOG_WARNING,
       "Failed " + MethodName(method) + " for " +
           (cand_ && (cand_->user || not_allowed) ? "" : "invalid user ") +
           (cand_ ? cand_->shown : std::string()) + " from " +
           SshdStyle(peer_) +
           (not_allowed ? ": not allowed from " + peer_.address->ToString()
                        : ""));
  audit_.Record({.op = "login",
                 .result = "refused",
                 .rule = "authentication",
                 .detail = "failed " + MethodName(method)});
}

}  // namespace

std::optional<Authenticated> Authenticate(const Config& config, ssh_session s,
                                          const Peer& peer, RelayAudit& audit) {
  return Authenticator(config, s, peer, audit).Run();
}

}  // namespace sftpd
