#include "sftpd/vfs/vpath.h"

#include <vector>

namespace sftpd::vpath {

namespace {

void Walk(std::string_view path, std::vector<std::string_view>& parts) {
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (c == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!c.empty() && c != ".") {
      parts.push_back(c);
    }
    i = j + 1;
  }
}

}  // namespace

std::string Normalize(std::string_view path, std::string_view start) {
  std::vector<std::string_view> parts;
  if (path.empty() || path[0] != '/') Walk(start, parts);
  Walk(path, parts);
  if (parts.empty()) return "/";
  std::string out;
  for (std::string_view p : parts) {
    out += '/';
    out += p;
  }
  return out;
}

Split SplitExport(std::string_view normalized) {
  std::string_view s = normalized.substr(normalized.empty() ? 0 : 1);
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return {s, {}};
  return {s.substr(0, slash), s.substr(slash + 1)};
}

std::string_view Base(std::string_view rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

std::string_view Dir(std::string_view rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? std::string_view{}
                                         : rel.substr(0, slash);
}

std::string Join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty()) out += '/';
  out += name;
  return out;
}

}  // namespace sftpd::vpath
