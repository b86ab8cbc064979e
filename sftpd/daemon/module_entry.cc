// The daemon module's entry (module.h): the one symbol
// sftpd-daemon.so exports; everything else in it is hidden.
#include <type_traits>

#include "sftpd/daemon/daemon.h"
#include "sftpd/daemon/module.h"

extern "C" __attribute__((visibility("default"))) int sftpd_run_daemon(
    const char* config_path, int inetd) {
  static_assert(
      std::is_same_v<decltype(&sftpd_run_daemon), sftpd::DaemonEntry>);
  return sftpd::RunDaemon(config_path, inetd != 0);
}
