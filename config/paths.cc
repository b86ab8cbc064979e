// Export paths: patterns checked when the config is loaded, %u, %h and %%
// expanded for one user, and host path parts.
#include <algorithm>

#include "config/config.h"
#include "config/parser.h"

namespace sftpd {

namespace config_internal {

Result<PathPattern> ParsePathPattern(std::string_view p) {
  const bool from_home = p.substr(0, 2) == "%h";
  if (p.empty() || (p.front() != '/' && !from_home)) {
    return Error{"'" + std::string(p) +
                 "' is not an absolute path (nor does it start with %h)"};
  }
  PathPattern out;
  bool dynamic = from_home;
  size_t start = 0;
  while (start <= p.size()) {
    const size_t end = std::min(p.find('/', start), p.size());
    const std::string_view part = p.substr(start, end - start);
    start = end + 1;
    if (part == "." || part == "..") {
      return Error{"'" + std::string(p) +
                   "' must not have '.' or '..' components"};
    }
    std::string literal;
    for (size_t i = 0; i < part.size(); ++i) {
      if (part[i] != '%') {
        literal += part[i];
        continue;
      }
      const char next = i + 1 < part.size() ? part[i + 1] : '\0';
      ++i;
      if (next == 'u' || next == 'h') {
        dynamic = true;
      } else if (next == '%') {
        literal += '%';
      } else {
        return Error{"'" + std::string(p) +
                     "' has an unknown escape; only %u (user), %h (home) "
                     "and %% are known"};
      }
    }
    if (!dynamic && !part.empty()) out.fixed += "/" + literal;
  }
  if (!from_home && out.fixed.empty()) out.fixed = "/";
  return out;
}

}  // namespace config_internal

std::string FixedDirectory(std::string_view pattern) {
  Result<config_internal::PathPattern> parsed =
      config_internal::ParsePathPattern(pattern);
  return parsed ? parsed->fixed : std::string();
}

std::string ParentDir(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return std::string(path.substr(0, slash == 0 ? 1 : slash));
}

Result<std::string> ExpandPath(std::string_view pattern, std::string_view user,
                               std::string_view home) {
  // A user name is one path component at most: "a/b", ".", ".." or a NUL
  // would let a crafted account name point the export elsewhere.
  if (user.empty() || user == "." || user == ".." ||
      user.find('/') != std::string_view::npos ||
      user.find('\0') != std::string_view::npos) {
    return Error{"the user name is not one path component"};
  }
  if (home.find('\0') != std::string_view::npos) {
    return Error{"the home directory holds a NUL"};
  }
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      out += pattern[i];
      continue;
    }
    const char escape = i + 1 < pattern.size() ? pattern[++i] : '\0';
    if (escape == 'u') {
      out += user;
    } else if (escape == 'h' && !home.empty()) {
      out += home;
    } else if (escape == 'h') {
      return Error{"%h with no home directory"};
    } else if (escape == '%') {
      out += '%';
    } else {
      return Error{"an unknown escape (only %u, %h and %% are known)"};
    }
  }
  if (out.empty() || out.front() != '/') {
    return Error{"'" + out + "' is not an absolute path"};
  }
  size_t start = 0;
  while (start <= out.size()) {
    const size_t end = std::min(out.find('/', start), out.size());
    const std::string_view part =
        std::string_view(out).substr(start, end - start);
    if (part == "." || part == "..") {
      return Error{"'" + out + "' has a '.' or '..' component"};
    }
    start = end + 1;
  }
  return out;
}

}  // namespace sftpd
