// Golden files for the generators' tests: the expected output lives in
// policy/testdata/NAME (or another file of the source tree) and is reviewed
// in diffs. With SFTPD_UPDATE_GOLDEN=1 in the environment the test rewrites
// the file instead of comparing.
// Test-only; not thread-safe.
#ifndef SFTPD_POLICY_GOLDEN_H_
#define SFTPD_POLICY_GOLDEN_H_

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace sftpd::policy {

// `source_path` is relative to the top of the source tree.
inline std::string SourcePath(const std::string& source_path) {
  return std::string(SFTPD_SOURCE_DIR) + "/" + source_path;
}

inline std::string TestdataPath(const std::string& name) {
  return SourcePath("policy/testdata/" + name);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string ReadTestdata(const std::string& name) {
  return ReadFile(TestdataPath(name));
}

inline void CheckGoldenFile(const std::string& source_path,
                            const std::string& actual) {
  const std::string path = SourcePath(source_path);
  const char* update = std::getenv("SFTPD_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << actual;
    WARN("rewrote " << path);
    return;
  }
  INFO("golden file " << path << " (SFTPD_UPDATE_GOLDEN=1 rewrites it)");
  CHECK(actual == ReadFile(path));
}

inline void CheckGolden(const std::string& name, const std::string& actual) {
  CheckGoldenFile("policy/testdata/" + name, actual);
}

}  // namespace sftpd::policy

#endif  // SFTPD_POLICY_GOLDEN_H_
