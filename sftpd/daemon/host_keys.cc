#include "sftpd/daemon/host_keys.h"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "sftpd/base/fd.h"
#include "sftpd/base/log_line.h"

namespace sftpd {

namespace {

// User key types accepted for publickey logins: no SHA-1 (ssh-rsa), no DSA.
constexpr const char* kUserKeyAlgorithms =
    "ssh-ed25519,ecdsa-sha2-nistp521,ecdsa-sha2-nistp384,"
    "ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256";

// As sshd: the key must be the server's own (root's, or the account's in
// non-root mode) and no one else may read or change it.
Result<void> CheckKeyFile(const struct stat& st, const std::string& path) {
  if (st.st_uid != geteuid()) {
    return Error{"cannot use host key " + path + ": it is owned by uid " +
                 std::to_string(st.st_uid) + ", not by uid " +
                 std::to_string(geteuid()) + " that the server runs as"};
  }
  if ((st.st_mode & 077) != 0) {
    return Error{"cannot use host key " + path + ": its mode " +
                 OctalMode(st.st_mode) +
                 " lets the group or others at it (chmod 600 " + path + ")"};
  }
  return {};
}

// The text of the key, read from the descriptor that was checked (not
// opened again by name). A private key file is a few KiB.
Result<std::string> ReadKeyText(int fd, const std::string& path) {
  constexpr size_t kMaxKeyFile = 64 * 1024;
  std::string text(kMaxKeyFile + 1, '\0');
  size_t have = 0;
  while (have < text.size()) {
    ssize_t n = read(fd, text.data() + have, text.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Error{"cannot read host key " + path + ": " + strerror(errno)};
    }
    if (n == 0) break;
    have += size_t(n);
  }
  if (have > kMaxKeyFile) {
    explicit_bzero(text.data(), text.size());
    return Error{"cannot read host key " + path + ": larger than 64 KiB"};
  }
  if (have == 0) {
    return Error{"cannot read host key " + path + ": the file is empty"};
  }
  text.resize(have);
  return text;
}

}  // namespace

Result<void> AddHostKey(ssh_bind bind, const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    ssh_key fresh = nullptr;
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &fresh) != SSH_OK) {
      return Error{"cannot generate a host key"};
    }
    // Written whole beside it, then linked into place, which fails if the
    // name exists: of daemons starting at once (nodes on shared storage,
    // `serve --inetd` processes) one key wins, and none reads a half file.
    const std::string tmp = path + ".new." + std::to_string(getpid());
    unlink(tmp.c_str());
    mode_t old = umask(077);  // libssh creates the file under our umask
    int rc = ssh_pki_export_privkey_file(fresh, nullptr, nullptr, nullptr,
                                         tmp.c_str());
    umask(old);
    ssh_key_free(fresh);
    if (rc != SSH_OK) {
      unlink(tmp.c_str());
      return Error{"cannot write host key " + path};
    }
    const bool linked = link(tmp.c_str(), path.c_str()) == 0;
    const int err = errno;
    unlink(tmp.c_str());
    if (linked) {
      Say(LOG_NOTICE, "generated host key " + path);
    } else if (err != EEXIST) {
      return Error{"cannot write host key " + path + ": " + strerror(err)};
    }
  }
  // libssh says only that it failed; find out why first, so the message
  // names the file and the reason.
  Fd probe(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!probe.valid()) {
    return Error{"cannot read host key " + path + ": " + strerror(errno) +
                 (geteuid() != 0 ? " (running as uid " +
                                       std::to_string(geteuid()) + ", not root)"
                                 : "")};
  }
  if (fstat(probe.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Error{"cannot read host key " + path + ": not a regular file"};
  }
  if (st.st_size == 0) {
    return Error{"cannot read host key " + path + ": the file is empty"};
  }
  if (Result<void> safe = CheckKeyFile(st, path); !safe) return safe;
  Result<std::string> text = ReadKeyText(probe.get(), path);
  if (!text) return Error{text.error()};
  ssh_key key = nullptr;
  const int imported = ssh_pki_import_privkey_base64(text->c_str(), nullptr,
                                                     nullptr, nullptr, &key);
  explicit_bzero(text->data(), text->size());
  if (imported != SSH_OK) {
    return Error{"cannot read host key " + path +
                 ": not an unencrypted private key in OpenSSH or PEM format "
                 "(make one with ssh-keygen -t ed25519 -N '' -f " +
                 path + ", or remove the file and a new one is made at start)"};
  }
  // The bind owns the key from here on.
  if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) != SSH_OK) {
    ssh_key_free(key);
    return Error{"cannot use host key " + path + ": " + ssh_get_error(bind)};
  }
  return {};
}
Result<BindPtr> MakeBind(const Config& config) {
  BindPtr bind(ssh_bind_new());
  if (!bind) return Error{"ssh_bind_new failed"};
  bool no = false;
  // The config allows only modern names (config.h's kAllowed* lists).
  auto joined = [](const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
  };
  const std::string kex = joined(config.server.kex);
  const std::string ciphers = joined(config.server.ciphers);
  const std::string macs = joined(config.server.macs);
  const std::string host_keys = joined(config.server.host_key_algorithms);
  struct Option {
    ssh_bind_options_e key;
    const void* value;
  };
  const Option options[] = {
      {SSH_BIND_OPTIONS_PROCESS_CONFIG, &no},
      {SSH_BIND_OPTIONS_KEY_EXCHANGE, kex.c_str()},
      {SSH_BIND_OPTIONS_CIPHERS_C_S, ciphers.c_str()},
      {SSH_BIND_OPTIONS_CIPHERS_S_C, ciphers.c_str()},
      {SSH_BIND_OPTIONS_HMAC_C_S, macs.c_str()},
      {SSH_BIND_OPTIONS_HMAC_S_C, macs.c_str()},
      {SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, host_keys.c_str()},
      {SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES, kUserKeyAlgorithms},
  };
  for (const Option& o : options) {
    if (ssh_bind_options_set(bind.get(), o.key, o.value) != SSH_OK) {
      return Error{std::string("ssh_bind option: ") +
                   ssh_get_error(bind.get())};
    }
  }
  for (const std::string& path : config.server.host_keys) {
    if (Result<void> added = AddHostKey(bind.get(), path); !added) {
      return Error{added.error()};
    }
  }
  return bind;
}

}  // namespace sftpd
