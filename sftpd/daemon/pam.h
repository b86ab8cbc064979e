// Password, keyboard-interactive and account checks through PAM (service
// "sftpd"), and the PAM session of a daemon login. A PamLogin owns one PAM
// handle from pam_start to pam_end; single-threaded, one per connection
// process. Passwords pass through here and are never logged or kept.
#ifndef SFTPD_SFTPD_DAEMON_PAM_H_
#define SFTPD_SFTPD_DAEMON_PAM_H_

#include <security/pam_appl.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.h"

namespace sftpd {

inline constexpr const char* kPamService = "sftpd";

// One round of a PAM conversation as the client sees it.
struct PamPrompt {
  std::string text;
  bool echo = false;
};
struct PamRound {
  std::string instruction;  // PAM's info and error texts of this round
  std::vector<PamPrompt> prompts;
};
// Answers one round: one answer per prompt, or nullopt to end the
// conversation (the client left, or cannot answer).
using PamAsk =
    std::function<std::optional<std::vector<std::string>>(const PamRound&)>;

// An asker for the "password" method: answers the first echo-off prompt
// with `password`; any echo-on prompt or a second round ends the
// conversation (a password-change dialogue cannot be held over "password").
PamAsk PasswordAsker(std::string password);

// What a refused name's conversation gives PAM for every answer, as sshd
// does: control characters no password prompt takes, so PAM fails as for a
// wrong password.
inline constexpr std::string_view kRefusedAnswer = "\b\n\r\177INCORRECT";

// `ask`, with every answer the client gives wiped and replaced by
// kRefusedAnswer: the client sees PAM's prompts, and PAM never sees its
// answers (for a name that may not log in, whatever its password).
PamAsk RefusingAsker(PamAsk ask);

// The pam_conv function: turns PAM's messages into one PamRound, calls the
// PamAsk at `appdata` (a PamAsk*) when there are prompts, and hands the
// answers back in malloc'd memory as PAM requires. Info-only rounds are
// answered without asking. Exposed for tests.
int PamConverse(int n, const struct pam_message** msgs,
                struct pam_response** resp, void* appdata);

class PamLogin {
 public:
  // Starts PAM for `user` (PAM_RHOST = `rhost`). `confdir` empty: the
  // system's /etc/pam.d. Error: pam_start failed.
  static Result<std::unique_ptr<PamLogin>> Start(const std::string& user,
                                                 const std::string& rhost,
                                                 const std::string& confdir);
  ~PamLogin();
  PamLogin(const PamLogin&) = delete;
  PamLogin& operator=(const PamLogin&) = delete;

  // pam_authenticate with `ask` as the conversation, then pam_acct_mgmt.
  // Error: PAM's reason (wrong credentials, expired or locked account).
  Result<bool> Authenticate(PamAsk ask);
  // pam_acct_mgmt alone, for logins authenticated otherwise (publickey).
  Result<bool> CheckAccount();
  // pam_setcred(ESTABLISH) and pam_open_session; the destructor closes
  // what was opened. REQUIRES: a successful Authenticate or CheckAccount.
  Result<bool> OpenSession();

 private:
  PamLogin() = default;
  std::string Reason(int rc) const;

  pam_handle_t* pamh_ = nullptr;
  // The conversation reads it through pam_conv's appdata pointer, which
  // must stay put: a PamLogin is never moved (held by unique_ptr).
  PamAsk ask_;
  bool cred_ = false;
  bool session_ = false;
  int last_ = PAM_SUCCESS;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_PAM_H_
