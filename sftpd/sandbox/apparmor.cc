// The AppArmor step of sandbox::Enter: into the user's hat, for good.
#include <sys/apparmor.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sftpd/sandbox/sandbox.h"

namespace sftpd::sandbox {

Result<std::string> ConfiningProfile() {
  char* label = nullptr;
  char* mode = nullptr;  // points into label's allocation
  if (aa_getcon(&label, &mode) < 0) {
    const int err = errno;
    if (aa_is_enabled() == 0) {
      return std::string("apparmor unavailable (") + std::strerror(errno) + ")";
    }
    return Error{std::string("apparmor: cannot read the confinement: ") +
                 std::strerror(err)};
  }
  const std::string profile = label;
  std::free(label);
  if (profile == "unconfined") return std::string("apparmor unconfined");
  return profile;
}

Result<std::string> EnterHat(const std::string& hat) {
  // The confinement first: a process a profile confines must change into
  // its hat whatever else it may not read (aa_is_enabled reads files the
  // profile might not allow).
  Result<std::string> profile = ConfiningProfile();
  if (!profile || profile->starts_with("apparmor ")) return profile;
  // Token 0: the hat cannot be left again, whatever the session does.
  if (aa_change_hat(hat.c_str(), 0) != 0) {
    const int err = errno;
    return Error{"apparmor: profile " + *profile + " has no usable hat " + hat +
                 " (" + std::strerror(err) +
                 "); regenerate it with `sftpd policy apparmor` and reload"};
  }
  return "apparmor " + *profile + "^" + hat;
}

}  // namespace sftpd::sandbox
