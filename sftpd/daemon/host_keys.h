// The daemon's host keys and algorithms: the ssh_bind every connection's
// key exchange uses, made from [server] (kex, ciphers, macs, host key
// algorithms, host_keys), a missing host key file generated first. The bind
// owns its keys; plain functions, single-threaded.
#ifndef SFTPD_SFTPD_DAEMON_HOST_KEYS_H_
#define SFTPD_SFTPD_DAEMON_HOST_KEYS_H_

#include <libssh/server.h>

#include <memory>
#include <string>

#include "config/config.h"
#include "config/result.h"

namespace sftpd {

struct BindFree {
  void operator()(ssh_bind b) const { ssh_bind_free(b); }
};
using BindPtr = std::unique_ptr<ssh_bind_struct, BindFree>;

// Loads `path` into `bind`, generating an ed25519 key there first when the
// file does not exist (processes doing so at once all load the one key
// that took the name). The key is read from the descriptor whose owner and
// mode were checked. Errors name the file and why: it cannot be generated
// or written, read (with the uid when not root), is not a regular file, is
// empty or over 64 KiB, is not owned by the uid the server runs as, can be
// read or written by its group or others (as sshd, which refuses such a
// key), is not an unencrypted private key, or libssh refuses it.
Result<void> AddHostKey(ssh_bind bind, const std::string& path);

// A bind with the config's algorithms (modern names only: config.h's
// kAllowed* lists), user keys of kUserKeyAlgorithms, and every
// [server] host_keys file (AddHostKey). Errors: a libssh option is refused,
// or AddHostKey's.
Result<BindPtr> MakeBind(const Config& config);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_DAEMON_HOST_KEYS_H_
