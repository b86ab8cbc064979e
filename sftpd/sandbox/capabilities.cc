#include "sftpd/sandbox/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sftpd::sandbox {

namespace {

Error Errno(const char* what) {
  return Error{std::string("capabilities: ") + what + ": " + strerror(errno)};
}

struct Sets {
  uint64_t effective = 0, permitted = 0, inheritable = 0;
};

Result<Sets> Get() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return Errno("capget");
  auto join = [&](uint32_t __user_cap_data_struct::*field) {
    return uint64_t(data[0].*field) | uint64_t(data[1].*field) << 32;
  };
  return Sets{join(&__user_cap_data_struct::effective),
              join(&__user_cap_data_struct::permitted),
              join(&__user_cap_data_struct::inheritable)};
}

Result<void> Set(const Sets& s) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = uint32_t(s.effective >> (32 * i));
    data[i].permitted = uint32_t(s.permitted >> (32 * i));
    data[i].inheritable = uint32_t(s.inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &header, data) != 0) return Errno("capset");
  return {};
}

}  // namespace

uint64_t CapabilityMask(std::initializer_list<int> caps) {
  uint64_t mask = 0;
  for (int c : caps) mask |= uint64_t(1) << c;
  return mask;
}

Result<void> KeepOnly(std::initializer_list<int> keep) {
  const uint64_t mask = CapabilityMask(keep);
  Result<Sets> now = Get();
  if (!now) return Error{now.error()};
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
      errno != EINVAL) {  // EINVAL: a kernel without ambient capabilities
    return Errno("clearing the ambient set");
  }
  // The bounding set first, while CAP_SETPCAP is still held. A kernel
  // that knows fewer capabilities than these headers answers EINVAL.
  if ((now->effective & CapabilityMask({CAP_SETPCAP})) != 0) {
    for (int c = 0; c <= CAP_LAST_CAP; ++c) {
      if ((mask & CapabilityMask({c})) != 0) continue;
      if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) {
        return Errno("dropping from the bounding set");
      }
    }
  }
  return Set({.effective = now->permitted & mask,
              .permitted = now->permitted & mask,
              .inheritable = 0});
}

}  // namespace sftpd::sandbox
