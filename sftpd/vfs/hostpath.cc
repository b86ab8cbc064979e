#include "sftpd/vfs/hostpath.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

namespace sftpd {

namespace {

// Symlinks followed in one walk, as the kernel's limit.
constexpr int kMaxLinks = 40;

struct Step {
  Fd fd;  // O_PATH
  std::string path;
  struct stat st;
};

std::string Join(const std::string& dir, std::string_view name) {
  return (dir == "/" ? dir : dir + "/") + std::string(name);
}

Error Failed(const std::string& path, int err) {
  return Error{(err == ENOENT ? "absent: " : "") + path + ": " + strerror(err)};
}

}  // namespace

std::deque<std::string> PathComponents(std::string_view p) {
  std::deque<std::string> out;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    if (j > i) out.emplace_back(p.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool OnlyRootChanges(const struct stat& dir) {
  return S_ISDIR(dir.st_mode) && dir.st_uid == 0 &&
         ((dir.st_mode & (S_IWGRP | S_IWOTH)) == 0 ||
          (dir.st_mode & S_ISVTX) != 0);
}

Result<HostFile> OpenHostPath(std::string_view path, int flags,
                              const HostPathCheck& check) {
  if (path.empty() || path[0] != '/') {
    return Error{"not an absolute path: " + std::string(path)};
  }
  std::vector<Step> stack;
  {
    Step root{Fd(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)), "/", {}};
    if (!root.fd.valid() || fstat(root.fd.get(), &root.st) != 0) {
      return Failed("/", errno);
    }
    stack.push_back(std::move(root));
  }
  std::deque<std::string> todo = PathComponents(path);
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    const Step& dir = stack.back();
    if (!S_ISDIR(dir.st.st_mode)) return Failed(dir.path, ENOTDIR);
    if (c == ".") continue;
    if (c == "..") {
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    Step next{
        Fd(openat(dir.fd.get(), c.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC)),
        Join(dir.path, c),
        {}};
    if (!next.fd.valid() || fstat(next.fd.get(), &next.st) != 0) {
      return Failed(next.path, errno);
    }
    if (!S_ISLNK(next.st.st_mode)) {
      stack.push_back(std::move(next));
      continue;
    }
    // Only a link root made, where nobody else can replace it, is followed.
    if (next.st.st_uid != 0 || !OnlyRootChanges(dir.st)) {
      return Error{next.path + " is a symlink in " + dir.path +
                   ", which someone other than root can change (or the link "
                   "is not root's): not followed"};
    }
    if (++links > kMaxLinks) return Failed(next.path, ELOOP);
    char target[PATH_MAX];
    ssize_t n = readlinkat(next.fd.get(), "", target, sizeof target);
    if (n <= 0 || size_t(n) >= sizeof target) {
      return Failed(next.path, n < 0 ? errno : ENAMETOOLONG);
    }
    if (target[0] == '/') stack.resize(1);
    std::deque<std::string> more =
        PathComponents(std::string_view(target, size_t(n)));
    todo.insert(todo.begin(), more.begin(), more.end());
  }

  const Step& object = stack.back();
  HostFile out{Fd(), object.path, object.st};
  if ((flags & O_DIRECTORY) && !S_ISDIR(object.st.st_mode)) {
    return Failed(object.path, ENOTDIR);
  }
  if (flags & O_PATH) {
    out.fd = Fd(fcntl(object.fd.get(), F_DUPFD_CLOEXEC, 0));
  } else if (stack.size() == 1) {
    out.fd = Fd(open("/", flags | O_CLOEXEC));
  } else {
    // Opened by name in the directory walked, then checked to be the very
    // object that was looked at.
    std::string_view name =
        std::string_view(object.path).substr(object.path.rfind('/') + 1);
    out.fd =
        Fd(openat(stack[stack.size() - 2].fd.get(), std::string(name).c_str(),
                  flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
  }
  if (!out.fd.valid() || fstat(out.fd.get(), &out.st) != 0) {
    return Failed(object.path, errno);
  }
  if (out.st.st_dev != object.st.st_dev || out.st.st_ino != object.st.st_ino) {
    return Error{object.path + " changed while it was opened"};
  }
  if (check) {
    for (size_t i = 0; i + 1 < stack.size(); ++i) {
      if (std::string why = check(stack[i].path, stack[i].st); !why.empty()) {
        return Error{why};
      }
    }
    if (std::string why = check(out.real, out.st); !why.empty()) {
      return Error{why};
    }
  }
  return out;
}

}  // namespace sftpd
