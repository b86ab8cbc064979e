// sandbox::Enter: the order of the layers (the rules opened, the AppArmor
// hat, no_new_privs, Landlock, seccomp) and the one line that says which
// are active.
#include "sftpd/sandbox/sandbox.h"

#include <errno.h>
#include <sys/prctl.h>

#include <cstring>
#include <string>
#include <vector>

#include "sftpd/sandbox/landlock.h"
#include "sftpd/sandbox/seccomp.h"

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

  // Active layers join no_new_privs with commas; an absent or switched-off
  // one is a clause of its own, as AppArmor always is.
  std::string active = "no_new_privs";
  std::string absent;
  const auto add = [&](bool on, const std::string& text) {
    (on ? active : absent) += (on ? ", " : "; ") + text;
  };
  if (layers.landlock) {
    Result<LandlockState> landlock = RestrictWithLandlock(*rules);
    if (!landlock) return Error{landlock.error()};
    add(landlock->active, landlock->text);
  } else {
    add(false, "landlock switched off");
  }
  // Last, so that the steps before may make calls the filter refuses.
  if (layers.seccomp) {
    Result<SeccompState> seccomp = RestrictWithSeccomp();
    if (!seccomp) return Error{seccomp.error()};
    add(seccomp->active, seccomp->text);
  } else {
    add(false, "seccomp switched off");
  }
  return active + absent + "; " + *apparmor;
}

}  // namespace sftpd::sandbox
