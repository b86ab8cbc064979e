#include "sftpd/daemon_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "sftpd/fd.h"

namespace sftpd {

namespace {

constexpr size_t kMaxKeysFile = 1 << 20;

// Empty when `st` (of `path`) could only have been written by root or uid.
std::string Unsafe(const std::string& path, const struct stat& st, uid_t uid) {
  if (st.st_uid != 0 && st.st_uid != uid) {
    return path + " is owned by uid " + std::to_string(st.st_uid) +
           ", not root or the user";
  }
  if ((st.st_mode & 022) == 0) return "";
  if (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && st.st_uid == 0) {
    return "";
  }
  return path + " is group- or other-writable";
}

}  // namespace

Result<std::string> ReadAuthorizedKeysFile(const std::string& path, uid_t uid) {
  char real[PATH_MAX];
  if (realpath(path.c_str(), real) == nullptr) {
    if (errno == ENOENT) return Error{"absent: " + path};
    return Error{path + ": " + strerror(errno)};
  }
  Fd fd(open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0) return Error{std::string(real) + ": " + strerror(errno)};
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return Error{std::string(real) + ": " + strerror(errno)};
  }
  if (!S_ISREG(st.st_mode)) return Error{std::string(real) + " is not a file"};
  if (std::string why = Unsafe(real, st, uid); !why.empty()) {
    return Error{why};
  }
  if (size_t(st.st_size) > kMaxKeysFile) {
    return Error{std::string(real) + " is larger than 1 MiB"};
  }
  std::string dir = real;
  while (dir != "/") {
    size_t slash = dir.rfind('/');
    dir = slash == 0 ? "/" : dir.substr(0, slash);
    struct stat ds;
    if (stat(dir.c_str(), &ds) != 0) return Error{dir + ": " + strerror(errno)};
    if (std::string why = Unsafe(dir, ds, uid); !why.empty()) {
      return Error{why};
    }
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{std::string(real) + ": " + strerror(errno)};
    if (n == 0) break;
    text.append(buf, size_t(n));
    if (text.size() > kMaxKeysFile) {
      return Error{std::string(real) + " is larger than 1 MiB"};
    }
  }
  return text;
}

AuthorizedKeys::~AuthorizedKeys() {
  for (ssh_key k : keys_) ssh_key_free(k);
}

AuthorizedKeys::AuthorizedKeys(AuthorizedKeys&& other) noexcept
    : keys_(std::move(other.keys_)) {
  other.keys_.clear();
}

int AuthorizedKeys::Add(std::string_view text) {
  int with_options = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? "" : text.substr(eol + 1);
    size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string_view::npos || line[start] == '#') continue;
    line = line.substr(start);
    size_t sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos) continue;
    std::string type(line.substr(0, sp));
    enum ssh_keytypes_e kt = ssh_key_type_from_name(type.c_str());
    if (kt == SSH_KEYTYPE_UNKNOWN) {
      ++with_options;  // options come first; the type does not
      continue;
    }
    std::string_view rest = line.substr(sp);
    size_t b = rest.find_first_not_of(" \t");
    if (b == std::string_view::npos) continue;
    rest = rest.substr(b);
    std::string b64(rest.substr(0, rest.find_first_of(" \t\r")));
    ssh_key key = nullptr;
    if (ssh_pki_import_pubkey_base64(b64.c_str(), kt, &key) == SSH_OK) {
      keys_.push_back(key);
    }
  }
  return with_options;
}

bool AuthorizedKeys::Contains(const ssh_key key) const {
  for (ssh_key k : keys_) {
    if (ssh_key_cmp(k, key, SSH_KEY_CMP_PUBLIC) == 0) return true;
  }
  return false;
}

}  // namespace sftpd
