// Test helpers shared by the unit tests of config/ and policy/: a temporary
// directory and text replacement. Test-only (uses Catch2's REQUIRE); not
// thread-safe.
#ifndef SFTPD_CONFIG_TESTING_H_
#define SFTPD_CONFIG_TESTING_H_

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sftpd::testing {

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "sftpd-config-XXXXXX");
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }
  std::string MakeDir(const std::string& name) const {
    std::filesystem::create_directories(Sub(name));
    return Sub(name);
  }
  std::string Write(const std::string& name, const std::string& text,
                    mode_t mode = 0644) const {
    const std::string p = Sub(name);
    std::ofstream(p) << text;
    REQUIRE(chmod(p.c_str(), mode) == 0);
    return p;
  }

 private:
  std::string path_;
};

inline std::string ReplaceAll(std::string text, const std::string& from,
                              const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The example config/sftpd.toml, as shipped.
inline std::string ReadExampleConfig() {
  std::ifstream in(std::string(SFTPD_SOURCE_DIR) + "/config/sftpd.toml");
  REQUIRE(in.good());
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace sftpd::testing

#endif  // SFTPD_CONFIG_TESTING_H_
