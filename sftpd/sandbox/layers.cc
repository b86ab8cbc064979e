// LayersFromEnvironment(): the test-only layer switches.
#include "sftpd/sandbox/layers.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace sftpd {
namespace {

// Set by CMake for this file alone (option SFTPD_TEST_HOOKS).
constexpr bool kTestHooks = SFTPD_TEST_HOOKS_ENABLED != 0;

}  // namespace

std::string Layers::Describe() const {
  std::string off;
  for (auto [on, name] :
       {std::pair{namespace_checks, "namespace"},
        std::pair{landlock, "landlock"}, std::pair{apparmor, "apparmor"},
        std::pair{seccomp, "seccomp"}}) {
    if (!on) off += (off.empty() ? "" : ",") + std::string(name);
  }
  return off.empty() ? "" : "TEST BUILD, layers off: " + off;
}

Result<Layers> LayersFromEnvironment() {
  return ParseLayers(std::getenv(kLayersOffVariable), kTestHooks);
}

Result<Layers> ParseLayers(const char* value, bool test_hooks) {
  Layers layers;
  if (value == nullptr || *value == '\0') return layers;
  if (!test_hooks) {
    return Error{std::string(kLayersOffVariable) +
                 " is set, but this build has no test hooks; refusing to "
                 "serve"};
  }
  const std::string_view list = value;
  for (size_t start = 0; start <= list.size();) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view word = list.substr(start, comma - start);
    start = comma + 1;
    if (word == "namespace") {
      layers.namespace_checks = false;
    } else if (word == "landlock") {
      layers.landlock = false;
    } else if (word == "apparmor") {
      layers.apparmor = false;
    } else if (word == "seccomp") {
      layers.seccomp = false;
    } else {
      return Error{std::string(kLayersOffVariable) + ": unknown layer '" +
                   std::string(word) +
                   "' (namespace, landlock, apparmor, seccomp)"};
    }
  }
  return layers;
}

}  // namespace sftpd
