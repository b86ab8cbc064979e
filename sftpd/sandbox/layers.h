// Layer switches: a test build (CMake -DSFTPD_TEST_HOOKS=ON) lets a test turn
// confinement layers off through the environment variable
// SFTPD_TEST_LAYERS_OFF, so each remaining layer can be shown to hold alone.
// Any other build refuses to serve while the variable is set. Plain values.
#ifndef SFTPD_SFTPD_SANDBOX_LAYERS_H_
#define SFTPD_SFTPD_SANDBOX_LAYERS_H_

#include <string>

#include "config/result.h"

namespace sftpd {

inline constexpr const char* kLayersOffVariable = "SFTPD_TEST_LAYERS_OFF";

struct Layers {
  bool namespace_checks = true;  // path resolution beneath the export root,
                                 // the read-only gate, owner_only
  bool landlock = true;
  bool apparmor = true;  // the change into the user's hat
  bool seccomp = true;   // the system call filter

  // "" when all are on, else e.g. "TEST BUILD, layers off: namespace,landlock".
  std::string Describe() const;
};

// Reads SFTPD_TEST_LAYERS_OFF: ParseLayers(its value, whether this is a
// test build).
Result<Layers> LayersFromEnvironment();

// `value` null or empty gives every layer on. A comma list of "namespace",
// "landlock", "apparmor" and "seccomp" turns those off when `test_hooks`.
// Errors: a value without `test_hooks`, or a word that is not a layer.
Result<Layers> ParseLayers(const char* value, bool test_hooks);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_SANDBOX_LAYERS_H_
