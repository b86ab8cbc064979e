// sandbox::ConfineBeforeLogin (sandbox.h): Landlock over what the daemon's
// connection process may change while it is still root.
#include <fcntl.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "sftpd/sandbox/landlock.h"
#include "sftpd/sandbox/sandbox.h"

namespace sftpd::sandbox {

Result<std::string> ConfineBeforeLogin(std::span<const std::string> writable,
                                       const Layers& layers) {
  Result<std::string> profile = ConfiningProfile();
  if (!profile) return Error{profile.error()};
  if (!profile->starts_with("apparmor ")) {
    // no_new_privs would forbid the change into the user's hat.
    return "apparmor " + *profile + " (landlock from login on)";
  }
  if (!layers.landlock) return std::string("landlock off");
  std::vector<Fd> dirs;
  for (const std::string& path : writable) {
    if (path.empty()) {
      return std::string("landlock from login on (an export lies in a home)");
    }
    Fd dir(open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) {
      if (errno == ENOENT) continue;  // that export is never served
      return Error{"sandbox: " + path + ": " + std::strerror(errno)};
    }
    dirs.push_back(std::move(dir));
  }
  const Fd proc(open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!proc.valid()) {
    return Error{std::string("sandbox: /proc/self: ") + std::strerror(errno)};
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Error{std::string("sandbox: no_new_privs: ") + std::strerror(errno)};
  }
  Result<LandlockState> state = RestrictChanges(dirs, proc);
  if (!state) return Error{state.error()};
  if (!state->active) return "no_new_privs, " + state->text;
  return "no_new_privs, " + state->text + ", changes beneath exports only";
}

}  // namespace sftpd::sandbox
