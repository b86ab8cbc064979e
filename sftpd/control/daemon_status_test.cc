// The status answer read back, ban targets, and the client commands against
// a stand-in listener.
#include "sftpd/control/daemon_status.h"

#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "config/testing.h"
#include "sftpd/control/control.h"

namespace sftpd {
namespace {

using testing::TempDir;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

DaemonStatus Sample() {
  DaemonStatus s;
  s.pid = 4242;
  s.config = "/etc/sftpd/odd\nname.toml";
  s.loaded_us = 1795444564123456;
  s.listen = {"127.0.0.1:2222", "[::1]:2222"};
  s.sessions = 2;
  s.connections = 3;
  s.pid_file = "/run/sftpd/sftpd.pid";
  s.reload = {.count = 4,
              .time_us = 1795444600000000,
              .ok = false,
              .errors = {"/etc/sftpd/sftpd.toml:3:1: server.bogus: unknown key",
                         "second"}};
  s.bans = {{"127.0.0.3", 5, 17}, {"2001:db8::/64", 5, 1800}};
  return s;
}

TEST_CASE("daemon status: the answer reads back") {
  const std::string text = FormatStatus(Sample());
  CHECK(text.find("config /etc/sftpd/odd?name.toml\n") != std::string::npos);
  Result<DaemonStatus> s = ParseStatus(Lines(text));
  REQUIRE(s.ok());
  CHECK(s->pid == 4242);
  CHECK(s->config == "/etc/sftpd/odd?name.toml");  // one line per value
  CHECK(s->loaded_us == 1795444564123456);
  CHECK(s->listen == Sample().listen);
  CHECK(s->sessions == 2);
  CHECK(s->connections == 3);
  CHECK(s->pid_file == "/run/sftpd/sftpd.pid");
  CHECK(s->reload.count == 4);
  CHECK(s->reload.time_us == 1795444600000000);
  CHECK_FALSE(s->reload.ok);
  CHECK(s->reload.errors == Sample().reload.errors);
  REQUIRE(s->bans.size() == 2);
  CHECK(s->bans[1].address == "2001:db8::/64");
  CHECK(s->bans[1].score == 5);
  CHECK(s->bans[1].seconds_left == 1800);

  DaemonStatus fresh;  // no reload yet, no pid file, no bans
  Result<DaemonStatus> f = ParseStatus(Lines(FormatStatus(fresh)));
  REQUIRE(f.ok());
  CHECK(f->reload.count == 0);
  CHECK(f->pid_file.empty());
  CHECK(f->bans.empty());
  // A newer daemon's keys are skipped; broken values are errors.
  CHECK(ParseStatus({"pid 1", "uptime 5"}).ok());
  for (const char* bad :
       {"pid x", "pid", "sessions -1", "reload 1 2 maybe", "reload 1",
        "ban 1.2.3.4 5", "ban  5 6", "ban 1.2.3.4 five 6", "loaded 1.5"}) {
    INFO(bad);
    CHECK_FALSE(ParseStatus({bad}).ok());
  }
}

TEST_CASE("daemon status: ban targets") {
  CHECK(ParseBanTarget("127.0.0.3")->ToString() == "127.0.0.3/32");
  CHECK(ParseBanTarget("127.0.0.3/32")->ToString() == "127.0.0.3/32");
  CHECK(ParseBanTarget("127.0.0.0/8")->ToString() == "127.0.0.0/8");
  CHECK(ParseBanTarget("2001:db8::/64")->ToString() == "2001:db8::/64");
  CHECK(ParseBanTarget("2001:db8::/48")->ToString() == "2001:db8::/48");
  CHECK(ParseBanTarget("::1/128")->ToString() == "::1/128");
  CHECK(ParseBanTarget("2001:db8::5")->ToString() == "2001:db8::5/128");
  // Host bits set beyond the prefix would lift more or less than written.
  for (const char* bad : {"", "host.example", "2001:db8::5/64", "10.1.2.3/8",
                          "127.0.0.3/", "/64", "127.0.0.3/64", "::1/129"}) {
    INFO(bad);
    CHECK_FALSE(ParseBanTarget(bad));
  }
}

// Answers one client of `path` with `answer`, recording its request.
std::thread StandIn(Fd& listening, std::string answer, std::string* got) {
  return std::thread([&listening, answer, got] {
    int c = -1;
    for (int i = 0; i < 200 && c < 0; ++i) {
      c = accept(listening.get(), nullptr, nullptr);
      if (c < 0) usleep(10000);
    }
    if (c < 0) return;
    char ch;
    while (recv(c, &ch, 1, 0) == 1 && ch != '\n') *got += ch;
    send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
    close(c);
  });
}

// Runs `f(out, err)` with both captured.
template <typename F>
int Captured(F f, std::string* out, std::string* err) {
  char* obuf = nullptr;
  char* ebuf = nullptr;
  size_t olen = 0, elen = 0;
  FILE* o = open_memstream(&obuf, &olen);
  FILE* e = open_memstream(&ebuf, &elen);
  const int rc = f(o, e);
  fclose(o);
  fclose(e);
  *out = std::string(obuf, olen);
  *err = std::string(ebuf, elen);
  free(obuf);
  free(ebuf);
  return rc;
}

TEST_CASE("daemon status: the commands") {
  TempDir dir;
  const std::string path = dir.path() + "/control.sock";
  Result<Fd> listening = ListenControl(path);
  REQUIRE(listening.ok());
  std::string got, out, err;

  std::thread t = StandIn(*listening, FormatStatus(Sample()), &got);
  int rc =
      Captured([&](FILE* o, FILE* e) { return PrintStatus(path, false, o, e); },
               &out, &err);
  t.join();
  CHECK(rc == 0);
  CHECK(got == "status");
  CHECK(out.find("pid:          4242\n") != std::string::npos);
  CHECK(out.find("127.0.0.1:2222\n              [::1]:2222\n") !=
        std::string::npos);
  CHECK(out.find("2 logged in, 3 connections") != std::string::npos);
  CHECK(out.find("refused; the previous config is kept") != std::string::npos);
  CHECK(out.find("127.0.0.3 (score 5, 17 s left)") != std::string::npos);
  CHECK(out.find("2001:db8::/64 (score 5, 30 min 0 s left)") !=
        std::string::npos);

  got.clear();
  t = StandIn(*listening, FormatStatus(Sample()), &got);
  rc = Captured([&](FILE* o, FILE* e) { return PrintStatus(path, true, o, e); },
                &out, &err);
  t.join();
  CHECK(rc == 0);
  CHECK(out.find("\"pid\":4242,") != std::string::npos);
  CHECK(out.find("\"listen\":[\"127.0.0.1:2222\",\"[::1]:2222\"]") !=
        std::string::npos);
  CHECK(out.find("\"last_reload\":{\"time\":\"") != std::string::npos);
  CHECK(out.find("\"ok\":false") != std::string::npos);
  CHECK(
      out.find("{\"address\":\"127.0.0.3\",\"score\":5,\"seconds_left\":17}") !=
      std::string::npos);

  // A refused reload: its errors, and exit 1.
  got.clear();
  t = StandIn(*listening, FormatStatus(Sample()), &got);
  rc = Captured([&](FILE* o, FILE* e) { return Reload(path, o, e); }, &out,
                &err);
  t.join();
  CHECK(rc == 1);
  CHECK(got == "reload");
  CHECK(err.find("server.bogus: unknown key\nsecond\n") != std::string::npos);
  CHECK(err.find("not taken") != std::string::npos);
  // A taken one.
  DaemonStatus ok = Sample();
  ok.reload.ok = true;
  ok.reload.errors.clear();
  t = StandIn(*listening, FormatStatus(ok), &got);
  rc = Captured([&](FILE* o, FILE* e) { return Reload(path, o, e); }, &out,
                &err);
  t.join();
  CHECK(rc == 0);
  CHECK(out.find("reloaded /etc/sftpd/odd?name.toml") == 0);

  got.clear();
  t = StandIn(*listening, FormatBan({"127.0.0.3", 5, 17}), &got);
  rc = Captured([&](FILE* o, FILE* e) { return PrintBans(path, false, o, e); },
                &out, &err);
  t.join();
  CHECK(rc == 0);
  CHECK(got == "bans");
  CHECK(out.find("ADDRESS") == 0);
  CHECK(out.find("127.0.0.3") != std::string::npos);

  got.clear();
  t = StandIn(*listening, "error: no ban on 127.0.0.9\n", &got);
  rc =
      Captured([&](FILE* o, FILE* e) { return Unban(path, "127.0.0.9", o, e); },
               &out, &err);
  t.join();
  CHECK(rc == 1);
  CHECK(got == "unban 127.0.0.9");
  CHECK(err.find("no ban on 127.0.0.9") != std::string::npos);
  // Not an address: a usage error, the daemon never asked.
  rc = Captured([&](FILE* o, FILE* e) { return Unban(path, "nobody", o, e); },
                &out, &err);
  CHECK(rc == 2);
}

}  // namespace
}  // namespace sftpd
