// sandbox::Enter: the order of the layers (the rules opened, the AppArmor
// hat, no_new_privs, Landlock) and the one line that says which are active.
#include "sftpd/sandbox/sandbox.h"

#include <errno.h>
#include <sys/prctl.h>

#include <cstring>
#include <string>
#include <vector>

#include "sftpd/sandbox/landlock.h"

namespace sftpd::sandbox {

Result<std::string> Enter(std::span<const Tree> trees, const std::string& hat,
                          const Layers& layers) {
  // Open everything first, so a missing export is an error on every kernel.
  Result<std::vector<LandlockRule>> rules = OpenLandlockRules(trees);
  if (!rules) return Error{rules.error()};

  Result<std::string> apparmor =
      layers.apparmor ? EnterHat(hat) : std::string("apparmor switched off");
  if (!apparmor) return apparmor;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Error{std::string("sandbox: PR_SET_NO_NEW_PRIVS: ") +
                 std::strerror(errno)};
  }

  if (!layers.landlock) {
    return "no_new_privs; landlock switched off; " + *apparmor;
  }
  Result<LandlockState> landlock = RestrictWithLandlock(*rules);
  if (!landlock) return Error{landlock.error()};
  // An active layer joins no_new_privs with a comma; an absent one is a
  // clause of its own, as a switched-off one is.
  return "no_new_privs" + std::string(landlock->active ? ", " : "; ") +
         landlock->text + "; " + *apparmor;
}

}  // namespace sftpd::sandbox
