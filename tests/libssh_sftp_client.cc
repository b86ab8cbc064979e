// A libssh SFTP client for the cross-process tests: the client library of
// KDE's sftp:/ (kio-extras) and of other libssh programs, which choose
// SYMLINK's argument order by the server's version string.
//
// Usage: libssh_sftp_client PORT USER KEY OP ARGS...
//   put LOCAL REMOTE     upload LOCAL (mode 0644) to REMOTE
//   get REMOTE LOCAL     download REMOTE to LOCAL
//   symlink TARGET LINK  create LINK pointing at TARGET
//   readlink LINK        print LINK's target
//   window               print the bytes the server lets the client send
//                        on the SFTP channel now (its receive window)
//   put-adjusts LOCAL REMOTE
//                        put, then print how many window adjusts of the
//                        server's arrived meanwhile (libssh's log)
// Connects to 127.0.0.1:PORT as USER with the private key file KEY,
// accepting any host key. Exits 0 on success, 1 with a message otherwise.
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int Fail(const std::string& what, const char* why) {
  fprintf(stderr, "libssh_sftp_client: %s: %s\n", what.c_str(),
          why != nullptr ? why : "?");
  return 1;
}

int Put(sftp_session sftp, const char* local, const char* remote) {
  int in = open(local, O_RDONLY);
  if (in < 0) return Fail(local, strerror(errno));
  sftp_file f = sftp_open(sftp, remote, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (f == nullptr) {
    close(in);
    return Fail(remote, "open failed");
  }
  std::vector<char> buf(32768);
  int rc = 0;
  for (;;) {
    ssize_t n = read(in, buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0 || sftp_write(f, buf.data(), size_t(n)) != n) {
      rc = Fail(remote, "write failed");
      break;
    }
  }
  close(in);
  if (sftp_close(f) != SSH_NO_ERROR && rc == 0) rc = Fail(remote, "close");
  return rc;
}

int Get(sftp_session sftp, const char* remote, const char* local) {
  sftp_file f = sftp_open(sftp, remote, O_RDONLY, 0);
  if (f == nullptr) return Fail(remote, "open failed");
  int out = open(local, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) {
    sftp_close(f);
    return Fail(local, strerror(errno));
  }
  std::vector<char> buf(32768);
  int rc = 0;
  for (;;) {
    ssize_t n = sftp_read(f, buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0 || write(out, buf.data(), size_t(n)) != n) {
      rc = Fail(remote, "read failed");
      break;
    }
  }
  close(out);
  sftp_close(f);
  return rc;
}

// Window adjusts received, from libssh's protocol log.
int g_adjusts = 0;

void CountAdjusts(int, const char*, const char* line, void*) {
  if (strstr(line, "Adding ") != nullptr &&
      strstr(line, " bytes to channel") != nullptr) {
    ++g_adjusts;
  }
}

int Run(sftp_session sftp, const std::string& op, char** args, int n) {
  if (op == "put" && n == 2) return Put(sftp, args[0], args[1]);
  if (op == "put-adjusts" && n == 2) {
    ssh_set_log_callback(CountAdjusts);
    ssh_set_log_level(SSH_LOG_PROTOCOL);
    const int rc = Put(sftp, args[0], args[1]);
    ssh_set_log_level(SSH_LOG_NOLOG);
    if (rc == 0) printf("%d\n", g_adjusts);
    return rc;
  }
  if (op == "get" && n == 2) return Get(sftp, args[0], args[1]);
  if (op == "symlink" && n == 2) {
    if (sftp_symlink(sftp, args[0], args[1]) != 0) {
      return Fail(std::string("symlink ") + args[1], "refused");
    }
    return 0;
  }
  if (op == "readlink" && n == 1) {
    char* target = sftp_readlink(sftp, args[0]);
    if (target == nullptr) return Fail(args[0], "readlink failed");
    printf("%s\n", target);
    ssh_string_free_char(target);
    return 0;
  }
  if (op == "window" && n == 0) {
    // The server's window adjusts came before its VERSION reply, which
    // sftp_init has read.
    printf("%u\n", ssh_channel_window_size(sftp->channel));
    return 0;
  }
  return Fail(op, "unknown operation or wrong number of arguments");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s PORT USER KEY OP ARGS...\n", argv[0]);
    return 2;
  }
  ssh_session s = ssh_new();
  if (s == nullptr) return Fail("ssh_new", "out of memory");
  unsigned port = unsigned(atoi(argv[1]));
  long timeout = 20;
  ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
  ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  ssh_options_set(s, SSH_OPTIONS_USER, argv[2]);
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
  int rc = 1;
  ssh_key key = nullptr;
  sftp_session sftp = nullptr;
  if (ssh_connect(s) != SSH_OK) {
    rc = Fail("connect", ssh_get_error(s));
  } else if (ssh_pki_import_privkey_file(argv[3], nullptr, nullptr, nullptr,
                                         &key) != SSH_OK) {
    rc = Fail(argv[3], "cannot read the key");
  } else if (ssh_userauth_publickey(s, nullptr, key) != SSH_AUTH_SUCCESS) {
    rc = Fail("publickey login", ssh_get_error(s));
  } else if ((sftp = sftp_new(s)) == nullptr || sftp_init(sftp) != SSH_OK) {
    rc = Fail("sftp", ssh_get_error(s));
  } else {
    rc = Run(sftp, argv[4], argv + 5, argc - 5);
  }
  if (sftp != nullptr) sftp_free(sftp);
  ssh_key_free(key);
  ssh_disconnect(s);
  ssh_free(s);
  return rc;
}
