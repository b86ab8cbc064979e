#include "sftpd/frontdoor/stop_signal.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>

namespace sftpd {

namespace {

volatile sig_atomic_t caught = 0;

void OnStop(int sig) {
  if (caught == 0) caught = sig;
}

}  // namespace

void CatchStopSignals() {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnStop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll and read return EINTR
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
}

int StopSignal() { return caught; }

std::string StoppedBy(int sig) {
  const char* name = sig == SIGTERM  ? "SIGTERM"
                     : sig == SIGINT ? "SIGINT"
                     : sig == SIGHUP ? "SIGHUP"
                                     : "a signal";
  return "ended by signal " + std::to_string(sig) + " (" + name + ")";
}

void EndBySignal(int sig) {
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
  _exit(128 + sig);  // not reached unless the signal is ignored elsewhere
}

}  // namespace sftpd
