// The Landlock step of sandbox::Enter (landlock.h): the rules opened
// first, then the process restricted to them, with the ABI probed at run
// time so one binary serves kernels from 5.13 on.
#include "sftpd/sandbox/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "sftpd/base/fd.h"
#include "sftpd/vfs/hostpath.h"

namespace sftpd::sandbox {
namespace {

// Rights by the ABI that introduced them. Spelled out rather than taken from
// <linux/landlock.h>, which may be older than the kernel (Debian 12's lacks
// TRUNCATE, the network rights and the scopes). IOCTL_DEV (ABI 5) is not
// used: no export holds a device the session could open.
constexpr uint64_t kExecute = 1ULL << 0;
constexpr uint64_t kWriteFile = 1ULL << 1;
constexpr uint64_t kReadFile = 1ULL << 2;
constexpr uint64_t kReadDir = 1ULL << 3;
constexpr uint64_t kRemoveDir = 1ULL << 4;
constexpr uint64_t kRemoveFile = 1ULL << 5;
constexpr uint64_t kMakeChar = 1ULL << 6;
constexpr uint64_t kMakeDir = 1ULL << 7;
constexpr uint64_t kMakeReg = 1ULL << 8;
constexpr uint64_t kMakeSock = 1ULL << 9;
constexpr uint64_t kMakeFifo = 1ULL << 10;
constexpr uint64_t kMakeBlock = 1ULL << 11;
constexpr uint64_t kMakeSym = 1ULL << 12;
constexpr uint64_t kRefer = 1ULL << 13;     // ABI 2
constexpr uint64_t kTruncate = 1ULL << 14;  // ABI 3

// ABI 4: TCP rights, handled with no rule granting them, so a session can
// neither bind nor connect a TCP socket.
constexpr uint64_t kNetBindTcp = 1ULL << 0;
constexpr uint64_t kNetConnectTcp = 1ULL << 1;
// ABI 6: scopes. A session may not connect to an abstract unix socket or
// signal a process outside its own Landlock domain (the listener, sshd,
// other sessions). Sockets it was handed already connected are unaffected.
constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0;
constexpr uint64_t kScopeSignal = 1ULL << 1;

// struct landlock_ruleset_attr as of ABI 6; older kernels are given the
// prefix they know (Debian 12's header has only the first field).
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;  // ABI 4
  uint64_t scoped;              // ABI 6
};

constexpr uint64_t kAbi1Rights = (1ULL << 13) - 1;  // EXECUTE .. MAKE_SYM
static_assert(kAbi1Rights ==
              (kExecute | kWriteFile | kReadFile | kReadDir | kRemoveDir |
               kRemoveFile | kMakeChar | kMakeDir | kMakeReg | kMakeSock |
               kMakeFifo | kMakeBlock | kMakeSym));
static_assert(LANDLOCK_ACCESS_FS_MAKE_SYM == kMakeSym &&
              LANDLOCK_ACCESS_FS_REFER == kRefer);

// Handled everywhere and granted nowhere: an export holds data, never
// programs or device nodes, fifos or sockets.
constexpr uint64_t kNeverGranted =
    kExecute | kMakeChar | kMakeBlock | kMakeFifo | kMakeSock;

constexpr const char* kSystemFiles[] = {"/etc/passwd", "/etc/group",
                                        "/etc/nsswitch.conf", "/etc/localtime"};

uint64_t HandledRights(int abi) {
  uint64_t rights = kAbi1Rights;
  if (abi >= 2) rights |= kRefer;
  if (abi >= 3) rights |= kTruncate;
  return rights;
}

std::string Errno(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

// Everything handled but kNeverGranted for writable trees, which includes
// REFER (rename/link between writable trees) and TRUNCATE where the ABI has
// them; reading for the rest. File rules may carry file rights only.
uint64_t Rights(LandlockRule::Kind kind, uint64_t handled) {
  switch (kind) {
    case LandlockRule::Kind::kWritableTree:
      return handled & ~kNeverGranted;
    case LandlockRule::Kind::kReadOnlyTree:
      return kReadFile | kReadDir;
    case LandlockRule::Kind::kSystemFile:
      return kReadFile;
  }
  return 0;
}

}  // namespace

Result<std::vector<LandlockRule>> OpenLandlockRules(
    std::span<const Tree> trees) {
  std::vector<LandlockRule> rules;
  for (const Tree& tree : trees) {
    int fd = -1;
    if (tree.fd >= 0) {
      fd = fcntl(tree.fd, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return Error{Errno("sandbox: " + tree.path, errno)};
    } else {
      Result<HostFile> dir = OpenHostPath(tree.path, O_PATH | O_DIRECTORY);
      if (!dir) return Error{"sandbox: cannot open " + dir.error()};
      fd = dir->fd.Release();
    }
    rules.push_back({Fd(fd),
                     tree.writable ? LandlockRule::Kind::kWritableTree
                                   : LandlockRule::Kind::kReadOnlyTree,
                     tree.path});
  }
  for (const char* file : kSystemFiles) {
    // Following the symlink is intended: /etc/localtime names a zone file.
    const int fd = open(file, O_PATH | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return Error{Errno(std::string("sandbox: cannot open ") + file, errno)};
    }
    rules.push_back({Fd(fd), LandlockRule::Kind::kSystemFile, file});
  }
  return rules;
}

namespace {

// The kernel's Landlock ABI; 0 with `unavailable` said when it has none.
Result<int> ProbeAbi(LandlockState& unavailable) {
  const long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0,
                           LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 0) {
    const int err = errno;
    if (err == ENOSYS || err == EOPNOTSUPP) {
      unavailable = LandlockState{
          .active = false,
          .text = std::string("landlock unavailable (") +
                  (err == ENOSYS ? "not in this kernel" : "disabled at boot") +
                  ")"};
      return 0;
    }
    return Error{Errno("sandbox: landlock ABI probe", err)};
  }
  return static_cast<int>(abi);
}

// A ruleset handling `attr`, of which the kernel is given the first
// `attr_size` bytes (the fields its ABI knows).
Result<Fd> NewRuleset(const RulesetAttr& attr, size_t attr_size) {
  const long ruleset_fd =
      syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
  if (ruleset_fd < 0) {
    return Error{Errno("sandbox: landlock_create_ruleset", errno)};
  }
  return Fd(static_cast<int>(ruleset_fd));
}

Result<void> AddRule(const Fd& ruleset, int dir, uint64_t rights,
                     const std::string& path) {
  landlock_path_beneath_attr beneath{};
  beneath.allowed_access = rights;
  beneath.parent_fd = dir;
  if (syscall(SYS_landlock_add_rule, ruleset.get(), LANDLOCK_RULE_PATH_BENEATH,
              &beneath, 0) != 0) {
    return Error{Errno("sandbox: landlock rule for " + path, errno)};
  }
  return {};
}

Result<LandlockState> RestrictSelf(const Fd& ruleset, int abi,
                                   const std::string& extras) {
  if (syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) {
    return Error{Errno("sandbox: landlock_restrict_self", errno)};
  }
  return LandlockState{.active = true,
                       .text = "landlock ABI " + std::to_string(abi) + extras};
}

}  // namespace

Result<LandlockState> RestrictWithLandlock(
    std::span<const LandlockRule> rules) {
  LandlockState unavailable;
  Result<int> abi = ProbeAbi(unavailable);
  if (!abi) return Error{abi.error()};
  if (*abi == 0) return unavailable;
  RulesetAttr attr{};
  attr.handled_access_fs = HandledRights(*abi);
  size_t attr_size = sizeof attr.handled_access_fs;
  std::string extras;
  if (*abi >= 4) {
    attr.handled_access_net = kNetBindTcp | kNetConnectTcp;
    attr_size = offsetof(RulesetAttr, scoped);
    extras += " +tcp";
  }
  if (*abi >= 6) {
    attr.scoped = kScopeAbstractUnixSocket | kScopeSignal;
    attr_size = sizeof attr;
    extras += " +scopes";
  }
  Result<Fd> ruleset = NewRuleset(attr, attr_size);
  if (!ruleset) return Error{ruleset.error()};
  for (const LandlockRule& rule : rules) {
    Result<void> added =
        AddRule(*ruleset, rule.fd.get(),
                Rights(rule.kind, attr.handled_access_fs), rule.path);
    if (!added) return Error{added.error()};
  }
  return RestrictSelf(*ruleset, *abi, extras);
}

Result<LandlockState> RestrictChanges(std::span<const Fd> writable,
                                      const Fd& proc) {
  LandlockState unavailable;
  Result<int> abi = ProbeAbi(unavailable);
  if (!abi) return Error{abi.error()};
  if (*abi == 0) return unavailable;
  const uint64_t handled = HandledRights(*abi) & ~(kReadFile | kReadDir);
  // Files only: PAM and NSS modules may reach their servers over TCP.
  RulesetAttr attr{};
  attr.handled_access_fs = handled;
  Result<Fd> ruleset = NewRuleset(attr, sizeof attr.handled_access_fs);
  if (!ruleset) return Error{ruleset.error()};
  for (const Fd& dir : writable) {
    Result<void> added =
        AddRule(*ruleset, dir.get(), handled & ~kExecute, "a writable tree");
    if (!added) return Error{added.error()};
  }
  // pam_loginuid opens loginuid with O_TRUNC.
  if (Result<void> added = AddRule(*ruleset, proc.get(),
                                   handled & (kWriteFile | kTruncate), "/proc");
      !added) {
    return Error{added.error()};
  }
  return RestrictSelf(*ruleset, *abi, "");
}

}  // namespace sftpd::sandbox
