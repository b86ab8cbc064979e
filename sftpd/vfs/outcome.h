// Outcome and FsResult: how every filesystem step in vfs/ reports back, an
// errno value (0: done) and, for a refusal by policy, the rule that refused.
// Both are [[nodiscard]]: a step whose result is dropped is a failure nobody
// saw. Plain values; thread-safe as any value is.
#ifndef SFTPD_SFTPD_VFS_OUTCOME_H_
#define SFTPD_SFTPD_VFS_OUTCOME_H_

#include <string_view>

namespace sftpd {

// The result of a filesystem step: 0 or an errno value. A refusal by policy
// has err == EACCES (or ENOENT, owner_only) and names the rule, for the audit
// trail.
struct [[nodiscard]] Outcome {
  int err = 0;
  std::string_view rule;  // static text; empty unless refused by policy
  bool ok() const { return err == 0; }
  bool refused() const { return !rule.empty(); }
};

// A step that also gives a value. Where a contract says so, `value` holds
// something on failure too (how many bytes a failed write got through).
template <typename T>
struct [[nodiscard]] FsResult {
  Outcome outcome;
  T value{};
  bool ok() const { return outcome.ok(); }
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_VFS_OUTCOME_H_
