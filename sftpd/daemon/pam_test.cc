#include "sftpd/daemon/pam.h"

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace sftpd {
namespace {

struct Converse {
  std::vector<struct pam_message> msgs;
  struct pam_response* resp = nullptr;
  int rc = -1;

  int Run(const PamAsk& ask) {
    std::vector<const struct pam_message*> ptrs;
    for (const auto& m : msgs) ptrs.push_back(&m);
    rc = PamConverse(int(ptrs.size()), ptrs.data(), &resp,
                     const_cast<PamAsk*>(&ask));
    return rc;
  }
  std::string Answer(size_t i) const {
    return resp[i].resp != nullptr ? resp[i].resp : "(null)";
  }
  ~Converse() {
    if (resp == nullptr) return;
    for (size_t i = 0; i < msgs.size(); ++i) free(resp[i].resp);
    free(resp);
  }
};

TEST_CASE("pam: the conversation puts PAM's prompts to the asker in order") {
  Converse c;
  c.msgs = {{PAM_TEXT_INFO, "Welcome"},
            {PAM_PROMPT_ECHO_ON, "Token: "},
            {PAM_ERROR_MSG, "careful"},
            {PAM_PROMPT_ECHO_OFF, "Password: "}};
  PamRound seen;
  PamAsk ask = [&](const PamRound& r) {
    seen = r;
    return std::optional<std::vector<std::string>>({"123456", "s3cret"});
  };
  REQUIRE(c.Run(ask) == PAM_SUCCESS);
  CHECK(seen.instruction == "Welcome\ncareful");
  REQUIRE(seen.prompts.size() == 2);
  CHECK(seen.prompts[0].text == "Token: ");
  CHECK(seen.prompts[0].echo);
  CHECK(seen.prompts[1].text == "Password: ");
  CHECK_FALSE(seen.prompts[1].echo);
  // Answers land on the prompt messages; info messages get none.
  CHECK(c.resp[0].resp == nullptr);
  CHECK(c.Answer(1) == "123456");
  CHECK(c.resp[2].resp == nullptr);
  CHECK(c.Answer(3) == "s3cret");
}

TEST_CASE("pam: info-only rounds are answered without asking") {
  Converse c;
  c.msgs = {{PAM_TEXT_INFO, "Your account expires soon"}};
  int asked = 0;
  PamAsk ask = [&](const PamRound&) {
    ++asked;
    return std::optional<std::vector<std::string>>(std::vector<std::string>{});
  };
  CHECK(c.Run(ask) == PAM_SUCCESS);
  CHECK(asked == 0);
}

TEST_CASE(
    "pam: a client that leaves or answers wrongly ends the conversation") {
  Converse gone;
  gone.msgs = {{PAM_PROMPT_ECHO_OFF, "Password: "}};
  CHECK(gone.Run([](const PamRound&) {
    return std::optional<std::vector<std::string>>();
  }) == PAM_CONV_ERR);
  CHECK(gone.resp == nullptr);

  Converse short_answer;
  short_answer.msgs = {{PAM_PROMPT_ECHO_OFF, "A: "},
                       {PAM_PROMPT_ECHO_OFF, "B: "}};
  CHECK(short_answer.Run([](const PamRound&) {
    return std::optional<std::vector<std::string>>({"only one"});
  }) == PAM_CONV_ERR);

  Converse nobody;  // after authentication no one answers for the client
  nobody.msgs = {{PAM_PROMPT_ECHO_OFF, "Password: "}};
  CHECK(nobody.Run(PamAsk()) == PAM_CONV_ERR);
}

TEST_CASE("pam: the password asker answers one echo-off prompt, once") {
  PamAsk ask = PasswordAsker("hunter2");
  PamRound echo_on{"", {{"Login: ", true}}};
  CHECK_FALSE(ask(echo_on).has_value());
  PamRound pw{"", {{"Password: ", false}}};
  auto first = ask(pw);
  REQUIRE(first.has_value());
  CHECK(*first == std::vector<std::string>{"hunter2"});
  // A second round would be a password change: not over "password".
  CHECK_FALSE(ask(pw).has_value());
}

TEST_CASE("pam: the refusing asker shows the prompts, never the answers") {
  std::vector<PamRound> seen;
  PamAsk client = [&](const PamRound& r) {
    seen.push_back(r);
    return std::optional<std::vector<std::string>>(
        std::vector<std::string>(r.prompts.size(), "the-right-password"));
  };
  PamAsk ask = RefusingAsker(client);
  PamRound round{"Two factors", {{"Password: ", false}, {"Code: ", true}}};
  auto got = ask(round);
  REQUIRE(got.has_value());
  CHECK(*got == std::vector<std::string>(2, std::string(kRefusedAnswer)));
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].instruction == "Two factors");
  REQUIRE(seen[0].prompts.size() == 2);
  CHECK(seen[0].prompts[1].text == "Code: ");
  CHECK(seen[0].prompts[1].echo);
  // A client that leaves ends the conversation as before.
  PamAsk gone = RefusingAsker(
      [](const PamRound&) -> std::optional<std::vector<std::string>> {
        return std::nullopt;
      });
  CHECK_FALSE(gone(round).has_value());
  // The password method's asker keeps its one-prompt rule underneath.
  PamAsk pw = RefusingAsker(PasswordAsker("hunter2"));
  PamRound p{"", {{"Password: ", false}}};
  auto once = pw(p);
  REQUIRE(once.has_value());
  CHECK(*once == std::vector<std::string>{std::string(kRefusedAnswer)});
  CHECK_FALSE(pw(p).has_value());
}

// A PAM configuration directory of our own, so the real libpam stack runs
// with modules whose verdict is known (pam_permit, pam_deny).
struct PamDir {
  std::filesystem::path dir;
  explicit PamDir(const std::string& stack) {
    char tmpl[] = "/tmp/sftpd-pam-test.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    std::ofstream(dir / kPamService) << stack;
  }
  ~PamDir() { std::filesystem::remove_all(dir); }
};

std::string SomeUser() {
  struct passwd* pw = getpwuid(getuid());
  return pw != nullptr ? pw->pw_name : "root";
}

TEST_CASE("pam: the real libpam stack decides, through our conversation") {
  PamDir permit(
      "auth required pam_permit.so\naccount required pam_permit.so\n"
      "session required pam_permit.so\n");
  auto login = PamLogin::Start(SomeUser(), "127.0.0.1", permit.dir.string());
  REQUIRE(login.ok());
  auto ok = (*login)->Authenticate(PasswordAsker("x"));
  CHECK(ok.ok());
  CHECK((*login)->OpenSession().ok());

  PamDir deny_account(
      "auth required pam_permit.so\naccount required pam_deny.so\n");
  auto refused =
      PamLogin::Start(SomeUser(), "127.0.0.1", deny_account.dir.string());
  REQUIRE(refused.ok());
  CHECK_FALSE((*refused)->Authenticate(PasswordAsker("x")).ok());
  CHECK_FALSE((*refused)->CheckAccount().ok());

  PamDir deny_auth(
      "auth required pam_deny.so\naccount required pam_permit.so\n");
  auto wrong = PamLogin::Start(SomeUser(), "", deny_auth.dir.string());
  REQUIRE(wrong.ok());
  CHECK_FALSE((*wrong)->Authenticate(PasswordAsker("x")).ok());
}

}  // namespace
}  // namespace sftpd
