// Loading: the file read (and its owner and mode checked), parsed by the
// Parser, its errors sorted; and the lenient reading of control_socket.
#include "config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <utility>

#include "config/parser.h"

namespace sftpd {
namespace {

using config_internal::Parser;

// A config is a page of text; anything this large is a mistake (or /dev/zero).
constexpr size_t kMaxConfigBytes = size_t{1} << 20;

LoadResult Finish(std::optional<Config> config,
                  std::vector<ConfigError> errors) {
  LoadResult r;
  if (errors.empty()) {
    r.config = std::move(config);
    return r;
  }
  // File order reads best; errors about the whole file (line 0) come first.
  std::stable_sort(errors.begin(), errors.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return std::pair(a.line, a.column) <
                            std::pair(b.line, b.column);
                   });
  r.errors = std::move(errors);
  return r;
}

ConfigError FileError(const std::string& path, std::string message) {
  return ConfigError{path, 0, 0, "", std::move(message)};
}

// Parses and validates; every failure becomes a ConfigError, nothing throws.
LoadResult ParseWithErrors(std::string_view text, const std::string& source,
                           std::vector<ConfigError> errors) {
  try {
    toml::table root;
    try {
      root = toml::parse(text, std::string_view(source));
    } catch (const toml::parse_error& e) {
      errors.push_back(ConfigError{source,
                                   static_cast<int>(e.source().begin.line),
                                   static_cast<int>(e.source().begin.column),
                                   "", std::string(e.description())});
      return Finish(std::nullopt, std::move(errors));
    }
    Parser parser(source);
    Config config = parser.Parse(root);
    for (ConfigError& e : parser.TakeErrors()) errors.push_back(std::move(e));
    return Finish(std::move(config), std::move(errors));
  } catch (const std::exception& e) {
    errors.push_back(
        FileError(source, std::string("internal error: ") + e.what()));
    return Finish(std::nullopt, std::move(errors));
  }
}

// Whoever can write the config file decides who logs in and what they see:
// a problem for each way someone but root could.
std::vector<std::string> OwnershipProblems(const struct stat& st) {
  std::vector<std::string> out;
  if (st.st_uid != 0) {
    out.push_back(
        "owned by uid " + std::to_string(st.st_uid) +
        ", not root; only root may be able to change it (chown root)");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    out.push_back("mode " + OctalMode(st.st_mode) +
                  " lets group or others write it; only root may (chmod go-w)");
  }
  return out;
}

// The whole of `fd`, or why not: a read error, or more than
// kMaxConfigBytes. Bounded: at most kMaxConfigBytes / 8192 + 1 reads that
// return data.
Result<std::string> ReadBounded(int fd) {
  std::string text;
  char buf[8192];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return Error{std::string("cannot read: ") + std::strerror(errno)};
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxConfigBytes) {
      return Error{"larger than " + std::to_string(kMaxConfigBytes) +
                   " bytes; not a config file?"};
    }
  }
}

}  // namespace

const Export* Config::FindExport(std::string_view name) const {
  for (const Export& e : exports) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string ConfigError::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  if (!key.empty()) out += (out.empty() ? "" : ": ") + key;
  out += (out.empty() ? "" : ": ") + message;
  return out;
}

LoadResult LoadConfig(const std::string& path) {
  std::vector<ConfigError> errors;
  const int fd =
      open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    errors.push_back(
        FileError(path, std::string("cannot open: ") + std::strerror(errno)));
    return Finish(std::nullopt, std::move(errors));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    errors.push_back(FileError(path, "not a regular file"));
    return Finish(std::nullopt, std::move(errors));
  }
  for (std::string& why : OwnershipProblems(st)) {
    errors.push_back(FileError(path, std::move(why)));
  }
  Result<std::string> text = ReadBounded(fd);
  close(fd);
  if (!text) {
    errors.push_back(FileError(path, text.error()));
    return Finish(std::nullopt, std::move(errors));
  }
  return ParseWithErrors(*text, path, std::move(errors));
}

LoadResult ParseConfig(std::string_view text, const std::string& source) {
  return ParseWithErrors(text, source, {});
}

Result<std::string> ControlSocketOf(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Error{"cannot read " + path};
  std::string socket = ServerSection{}.control_socket;
  try {
    toml::table root = toml::parse(text.str(), std::string_view(path));
    if (std::optional<std::string> v =
            root["server"]["control_socket"].value<std::string>()) {
      socket = *v;
    }
  } catch (const std::exception&) {
    // Not TOML: the default.
  }
  return socket;
}

}  // namespace sftpd
