// The daemon module's entry (daemon_module.h): the one symbol
// sftpd-daemon.so exports; everything else in it is hidden.
#include <type_traits>

#include "sftpd/daemon.h"
#include "sftpd/daemon_module.h"

extern "C" __attribute__((visibility("default"))) int sftpd_run_daemon(
    const char* config_path) {
  static_assert(
      std::is_same_v<decltype(&sftpd_run_daemon), sftpd::DaemonEntry>);
  return sftpd::RunDaemon(config_path);
}
