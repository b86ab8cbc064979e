#include "sftpd/frontdoor/identity.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sftpd {
namespace {

// Bounds the buffer growth of the *_r lookups: a passwd or group entry
// larger than this is treated as a lookup failure, not a reason to allocate.
constexpr size_t kMaxLookupBuffer = 1 << 20;
// Bounds getgrouplist() retries; each retry is told the exact size needed.
constexpr int kMaxGroupListAttempts = 8;

std::vector<std::string_view> SplitOnSpaces(std::string_view s) {
  std::vector<std::string_view> fields;
  for (;;) {
    const size_t space = s.find(' ');
    fields.push_back(s.substr(0, space));
    if (space == std::string_view::npos) return fields;
    s.remove_prefix(space + 1);
  }
}

std::optional<int> ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int port = 0;
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

// sshd prints link-local IPv6 peers with their zone; Address has none.
std::optional<Address> ParseAddress(std::string_view text) {
  const size_t zone = text.find('%');
  if (zone != std::string_view::npos) {
    if (zone + 1 == text.size() || text.find(':') == std::string_view::npos) {
      return std::nullopt;
    }
    text = text.substr(0, zone);
  }
  return Address::Parse(text);
}

// `value` of variable `name`: `fields` space-separated fields, the first two
// being the client address and port.
Result<Peer> ParsePeer(const char* name, std::string_view value,
                       size_t fields) {
  const std::string bad = std::string("malformed ") + name;
  const auto parts = SplitOnSpaces(value);
  if (parts.size() != fields) {
    return Error{bad + ": expected " + std::to_string(fields) + " fields"};
  }
  Peer peer;
  peer.address = ParseAddress(parts[0]);
  if (!peer.address) return Error{bad + ": bad client address"};
  const auto port = ParsePort(parts[1]);
  if (!port) return Error{bad + ": bad client port"};
  peer.port = *port;
  if (fields == 4 && !ParseAddress(parts[2])) {
    return Error{bad + ": bad server address"};
  }
  if (!ParsePort(parts.back())) return Error{bad + ": bad server port"};
  const std::string addr = peer.address->ToString();
  peer.text = (peer.address->IsV4() ? addr : "[" + addr + "]") + ":" +
              std::to_string(peer.port);
  return peer;
}

// Calls lookup(buffer, size) -> errno-style int, growing the buffer while it
// says ERANGE.
template <typename Lookup>
int WithGrowingBuffer(std::vector<char>& buffer, Lookup lookup) {
  long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
  buffer.resize(hint > 0 ? static_cast<size_t>(hint) : 1024);
  for (;;) {
    const int rc = lookup(buffer.data(), buffer.size());
    if (rc != ERANGE) return rc;
    if (buffer.size() >= kMaxLookupBuffer) return ERANGE;
    buffer.resize(buffer.size() * 2);
  }
}

// No entry: POSIX lets the *_r functions say so with 0 or one of these.
bool IsNotFound(int rc) {
  return rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM;
}

std::optional<std::string> GroupName(gid_t gid) {
  struct group grp {};
  struct group* found = nullptr;
  std::vector<char> buffer;
  const int rc = WithGrowingBuffer(buffer, [&](char* buf, size_t size) {
    return getgrgid_r(gid, &grp, buf, size, &found);
  });
  if (rc != 0 || found == nullptr) return std::nullopt;
  return std::string(found->gr_name);
}

std::vector<std::string> GroupNames(const char* user, gid_t primary) {
  std::vector<gid_t> gids(32);
  for (int attempt = 0; attempt < kMaxGroupListAttempts; ++attempt) {
    int count = static_cast<int>(gids.size());
    const int rc = getgrouplist(user, primary, gids.data(), &count);
    if (rc >= 0) {
      gids.resize(static_cast<size_t>(count));
      break;
    }
    // count now says how many there are; they may grow before the retry.
    gids.resize(std::max(static_cast<size_t>(count), gids.size() * 2));
    if (attempt + 1 == kMaxGroupListAttempts) gids.clear();  // primary only
  }
  // Primary first whatever order the database gives, each gid once.
  std::erase(gids, primary);
  gids.insert(gids.begin(), primary);
  std::vector<std::string> names;
  std::vector<gid_t> seen;
  for (gid_t gid : gids) {
    if (std::find(seen.begin(), seen.end(), gid) != seen.end()) continue;
    seen.push_back(gid);
    if (auto name = GroupName(gid)) names.push_back(std::move(*name));
  }
  return names;
}

UserInfo FromPasswd(const struct passwd& pw) {
  UserInfo info;
  info.name = pw.pw_name;
  info.uid = pw.pw_uid;
  info.gid = pw.pw_gid;
  info.home = pw.pw_dir != nullptr ? pw.pw_dir : "";
  info.groups = GroupNames(pw.pw_name, pw.pw_gid);
  info.shell = pw.pw_shell != nullptr ? pw.pw_shell : "";
  return info;
}

}  // namespace

Result<Peer> PeerFromSsh(const char* ssh_connection, const char* ssh_client) {
  if (ssh_connection != nullptr && *ssh_connection != '\0') {
    return ParsePeer("SSH_CONNECTION", ssh_connection, 4);
  }
  if (ssh_client != nullptr && *ssh_client != '\0') {
    return ParsePeer("SSH_CLIENT", ssh_client, 3);
  }
  return Peer{.address = std::nullopt, .port = 0, .text = "local"};
}

Result<UserInfo> LookUpUser(uid_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buffer;
  const int rc = WithGrowingBuffer(buffer, [&](char* buf, size_t size) {
    return getpwuid_r(uid, &pw, buf, size, &found);
  });
  if (found == nullptr) {
    if (IsNotFound(rc)) return Error{"no user with uid " + std::to_string(uid)};
    return Error{"looking up uid " + std::to_string(uid) + ": " +
                 std::strerror(rc)};
  }
  return FromPasswd(*found);
}

Result<UserInfo> LookUpUser(std::string_view name) {
  if (name.empty() || name.find('\0') != std::string_view::npos) {
    return Error{"not a user name"};
  }
  const std::string owned(name);
  // The name may come from a client; keep error messages short.
  const std::string shown(name.substr(0, 64));
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buffer;
  const int rc = WithGrowingBuffer(buffer, [&](char* buf, size_t size) {
    return getpwnam_r(owned.c_str(), &pw, buf, size, &found);
  });
  if (found == nullptr) {
    if (IsNotFound(rc)) return Error{"no user named " + shown};
    return Error{"looking up user " + shown + ": " + std::strerror(rc)};
  }
  return FromPasswd(*found);
}

NamedUsers LookUpNamedUsers(std::span<const std::string> users,
                            std::span<const std::string> groups) {
  NamedUsers out;
  std::vector<std::string> names;
  for (const std::string& u : users) {
    Result<UserInfo> info = LookUpUser(u);
    if (info) {
      names.push_back(u);
    } else {
      out.missing.push_back("user " + u);
    }
  }
  std::vector<gid_t> gids;
  for (const std::string& g : groups) {
    struct group grp {};
    struct group* found = nullptr;
    std::vector<char> buffer;
    WithGrowingBuffer(buffer, [&](char* buf, size_t size) {
      return getgrnam_r(g.c_str(), &grp, buf, size, &found);
    });
    if (found == nullptr) {
      out.missing.push_back("group " + g);
      continue;
    }
    gids.push_back(found->gr_gid);
    for (char** m = found->gr_mem; m != nullptr && *m != nullptr; ++m) {
      names.push_back(*m);
    }
  }
  if (!gids.empty()) {
    setpwent();
    while (const struct passwd* pw = getpwent()) {
      if (std::find(gids.begin(), gids.end(), pw->pw_gid) != gids.end()) {
        names.push_back(pw->pw_name);
      }
    }
    endpwent();
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const std::string& name : names) {
    if (Result<UserInfo> info = LookUpUser(name)) {
      out.users.push_back(std::move(*info));
    }
  }
  return out;
}

}  // namespace sftpd
