#include "sftpd/daemon/pam.h"

#include <cstdlib>
#include <cstring>
#include <utility>

namespace sftpd {

namespace {

// Wipes and frees the first `n` responses of a partly built array.
void FreeResponses(struct pam_response* r, int n) {
  if (r == nullptr) return;
  for (int i = 0; i < n; ++i) {
    if (r[i].resp != nullptr) {
      explicit_bzero(r[i].resp, strlen(r[i].resp));
      free(r[i].resp);
    }
  }
  free(r);
}

}  // namespace

PamAsk PasswordAsker(std::string password) {
  auto asked = std::make_shared<bool>(false);
  auto secret = std::make_shared<std::string>(std::move(password));
  return [asked, secret](
             const PamRound& round) -> std::optional<std::vector<std::string>> {
    if (*asked || round.prompts.size() != 1 || round.prompts[0].echo) {
      return std::nullopt;
    }
    *asked = true;
    std::vector<std::string> answer{*secret};
    // Given once: the copy here is wiped (PamConverse wipes the answer).
    explicit_bzero(secret->data(), secret->size());
    return answer;
  };
}

PamAsk RefusingAsker(PamAsk ask) {
  return [ask = std::move(ask)](
             const PamRound& round) -> std::optional<std::vector<std::string>> {
    std::optional<std::vector<std::string>> got = ask(round);
    if (!got) return std::nullopt;
    for (std::string& a : *got) {
      explicit_bzero(a.data(), a.size());
      a = kRefusedAnswer;
    }
    return got;
  };
}

int PamConverse(int n, const struct pam_message** msgs,
                struct pam_response** resp, void* appdata) {
  if (n <= 0 || n > PAM_MAX_NUM_MSG || msgs == nullptr || resp == nullptr ||
      appdata == nullptr) {
    return PAM_CONV_ERR;
  }
  const PamAsk& ask = *static_cast<const PamAsk*>(appdata);
  PamRound round;
  std::vector<int> prompt_of(size_t(n), -1);  // message index -> prompt index
  for (int i = 0; i < n; ++i) {
    const char* text = msgs[i]->msg != nullptr ? msgs[i]->msg : "";
    switch (msgs[i]->msg_style) {
      case PAM_PROMPT_ECHO_OFF:
      case PAM_PROMPT_ECHO_ON:
        prompt_of[size_t(i)] = int(round.prompts.size());
        round.prompts.push_back(
            {text, msgs[i]->msg_style == PAM_PROMPT_ECHO_ON});
        break;
      case PAM_ERROR_MSG:
      case PAM_TEXT_INFO:
        if (!round.instruction.empty()) round.instruction += "\n";
        round.instruction += text;
        break;
      default:
        return PAM_CONV_ERR;
    }
  }
  std::vector<std::string> answers;
  if (!round.prompts.empty()) {
    if (!ask) return PAM_CONV_ERR;  // no client to ask (account, session)
    std::optional<std::vector<std::string>> got = ask(round);
    if (!got || got->size() != round.prompts.size()) return PAM_CONV_ERR;
    answers = std::move(*got);
  }
  auto* r = static_cast<struct pam_response*>(
      calloc(size_t(n), sizeof(struct pam_response)));
  if (r == nullptr) return PAM_BUF_ERR;
  for (int i = 0; i < n; ++i) {
    int p = prompt_of[size_t(i)];
    if (p < 0) continue;
    std::string& a = answers[size_t(p)];
    r[i].resp = strdup(a.c_str());
    explicit_bzero(a.data(), a.size());
    if (r[i].resp == nullptr) {
      FreeResponses(r, n);
      return PAM_BUF_ERR;
    }
  }
  *resp = r;
  return PAM_SUCCESS;
}

Result<std::unique_ptr<PamLogin>> PamLogin::Start(const std::string& user,
                                                  const std::string& rhost,
                                                  const std::string& confdir) {
  std::unique_ptr<PamLogin> login(new PamLogin());
  // The conversation's appdata points at ask_, so the PamLogin must not
  // move after this: it lives behind the unique_ptr.
  struct pam_conv conv = {PamConverse, &login->ask_};
  int rc = confdir.empty()
               ? pam_start(kPamService, user.c_str(), &conv, &login->pamh_)
               : pam_start_confdir(kPamService, user.c_str(), &conv,
                                   confdir.c_str(), &login->pamh_);
  if (rc != PAM_SUCCESS || login->pamh_ == nullptr) {
    login->pamh_ = nullptr;
    return Error{"pam_start failed (" + std::to_string(rc) + ")"};
  }
  if (!rhost.empty()) pam_set_item(login->pamh_, PAM_RHOST, rhost.c_str());
  // No terminal is ever allocated; modules that look at the tty (pam_access,
  // pam_securetty) see what OpenSSH gives them for a session without one.
  pam_set_item(login->pamh_, PAM_TTY, "ssh");
  return login;
}

// The session is closed by the process that opened it. In the daemon that
// process has dropped to the user by then, so modules that need root to
// close a session (few do; pam_unix only logs) may fail here; the kernel
// ends the process's resources anyway.
PamLogin::~PamLogin() {
  if (pamh_ == nullptr) return;
  if (session_) last_ = pam_close_session(pamh_, PAM_SILENT);
  if (cred_) last_ = pam_setcred(pamh_, PAM_DELETE_CRED | PAM_SILENT);
  pam_end(pamh_, last_);
}

std::string PamLogin::Reason(int rc) const {
  const char* s = pam_strerror(pamh_, rc);
  return s != nullptr ? s : "PAM error " + std::to_string(rc);
}

Result<bool> PamLogin::Authenticate(PamAsk ask) {
  ask_ = std::move(ask);
  last_ = pam_authenticate(pamh_, PAM_DISALLOW_NULL_AUTHTOK);
  ask_ = nullptr;  // nothing answers for the client after this
  if (last_ != PAM_SUCCESS) return Error{Reason(last_)};
  return CheckAccount();
}

Result<bool> PamLogin::CheckAccount() {
  last_ = pam_acct_mgmt(pamh_, PAM_DISALLOW_NULL_AUTHTOK);
  // A password that must be changed cannot be changed over SFTP: refused.
  if (last_ != PAM_SUCCESS) return Error{Reason(last_)};
  return true;
}

Result<bool> PamLogin::OpenSession() {
  last_ = pam_setcred(pamh_, PAM_ESTABLISH_CRED);
  if (last_ != PAM_SUCCESS) return Error{"pam_setcred: " + Reason(last_)};
  cred_ = true;
  last_ = pam_open_session(pamh_, PAM_SILENT);
  if (last_ != PAM_SUCCESS) return Error{"pam_open_session: " + Reason(last_)};
  session_ = true;
  return true;
}

}  // namespace sftpd
