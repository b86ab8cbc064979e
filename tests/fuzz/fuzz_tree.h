// The export tree the session harnesses serve, as session_testing.h's Harness
// lays it out: home (rw, the first export), shared (rw, umask 027, and here
// atomic_uploads, so staged uploads are fuzzed too), ro (ro) and own (rw,
// owner_only) in a fresh temporary directory, and
// outside/canary beside them, which no request may reach. Fuzz code only;
// a setup failure aborts (a harness bug, not a finding). Not thread-safe.
#ifndef SFTPD_TESTS_FUZZ_FUZZ_TREE_H_
#define SFTPD_TESTS_FUZZ_FUZZ_TREE_H_

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "sftpd/audit/audit.h"
#include "sftpd/vfs/exports.h"

namespace sftpd::fuzz {

inline void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "fuzz harness: %s\n", what);
    abort();
  }
}

// Checks every event the engine records: an operation and a result, always,
// and a reason for a request it could not parse or does not serve.
class CheckingAudit final : public AuditSink {
 public:
  void Record(const AuditEvent& e) override {
    Check(!e.op.empty(), "an audit event without an operation");
    Check(!e.result.empty(), "an audit event without a result");
    Check((e.rule != kRuleMalformed && e.rule != kRuleUnsupported) ||
              !e.detail.empty(),
          "a malformed or unsupported request audited without its reason");
  }
};

class FuzzTree {
 public:
  static constexpr const char* kExports[] = {"home", "shared", "ro", "own"};
  static constexpr const char* kCanary = "the canary outside the exports";

  FuzzTree() {
    umask(0);  // as the front doors do: each export's umask is the only one
    const char* tmp = getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr ? tmp : "/tmp") + "/sftpd-fuzz-XXXXXX";
    Check(mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
    root_ = tmpl;
    for (const char* d : kExports)
      Check(mkdir(Sub(d).c_str(), 0755) == 0, "mkdir");
    Check(mkdir(Sub("outside").c_str(), 0755) == 0, "mkdir outside");
    std::vector<ExportSpec> specs = {
        {"home", Sub("home"), Access::kReadWrite, false, 022},
        {"shared", Sub("shared"), Access::kReadWrite, false, 027, true},
        {"ro", Sub("ro"), Access::kReadOnly, false, 022},
        {"own", Sub("own"), Access::kReadWrite, true, 022},
    };
    Result<std::unique_ptr<Exports>> ex = Exports::Open(specs, getuid());
    Check(ex.ok(), "Exports::Open");
    exports_ = std::move(ex.value());
    Reset();
  }
  ~FuzzTree() {
    exports_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  FuzzTree(const FuzzTree&) = delete;
  FuzzTree& operator=(const FuzzTree&) = delete;

  Exports& exports() { return *exports_; }
  std::string Sub(const std::string& rel) const { return root_ + "/" + rel; }

  // Every input starts from the same tree: the exports emptied (links are
  // removed, never followed), their roots 0755 again, a file and a
  // directory in each, and the canary.
  void Reset() {
    for (const char* d : kExports) {
      const std::string dir = Sub(d);
      Check(chmod(dir.c_str(), 0755) == 0 &&
                chown(dir.c_str(), getuid(), getgid()) == 0,
            "chmod/chown export root");
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        std::filesystem::permissions(
            e.path(), std::filesystem::perms::owner_all,
            std::filesystem::perm_options::add |
                std::filesystem::perm_options::nofollow,
            ec);
        std::filesystem::remove_all(e.path(), ec);
      }
      Check(!ec, "emptying an export");
      Write(std::string(d) + "/f", "0123456789");
      Check(mkdir(Sub(std::string(d) + "/d").c_str(), 0755) == 0, "mkdir d");
    }
    std::error_code ec;
    std::filesystem::remove_all(Sub("outside"), ec);
    Check(mkdir(Sub("outside").c_str(), 0755) == 0, "mkdir outside");
    Write("outside/canary", kCanary);
    Check(chmod(Sub("outside/canary").c_str(), 0644) == 0, "chmod canary");
  }

  // Aborts if anything outside the exports changed: outside/ holds the
  // canary alone, with its content and mode.
  void CheckOutsideUntouched() const {
    size_t entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(Sub("outside"))) {
      (void)e;
      ++entries;
    }
    Check(entries == 1, "a request changed the directory outside the exports");
    struct stat st;
    Check(lstat(Sub("outside/canary").c_str(), &st) == 0 &&
              S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644,
          "a request changed the canary's type or mode");
    std::ifstream in(Sub("outside/canary"));
    std::string text((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    Check(text == kCanary, "a request changed the canary");
  }

 private:
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(Sub(rel), std::ios::binary) << text;
    Check(chmod(Sub(rel).c_str(), 0644) == 0, "chmod file");
  }

  std::string root_;
  std::unique_ptr<Exports> exports_;
};

}  // namespace sftpd::fuzz

#endif  // SFTPD_TESTS_FUZZ_FUZZ_TREE_H_
