#include "sftpd/cli/daemon_loader.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sftpd/vfs/hostpath.h"

namespace sftpd {

std::string DaemonModulePath(const std::string& exe) {
  std::filesystem::path dir = std::filesystem::path(exe).parent_path();
  return (dir / ".." / "lib" / "sftpd" / "sftpd-daemon.so")
      .lexically_normal()
      .string();
}

namespace {

// Why `path` (whose stat is `st`) could be changed by someone other than
// root or the caller, or "" if it cannot. With `sticky_ok`, a root-owned
// sticky directory (/tmp) is fine: its entries can be replaced by their
// owners only, and those are checked too.
std::string OthersMayWrite(const std::string& path, const struct stat& st,
                           bool sticky_ok) {
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    return path + " is owned by uid " + std::to_string(st.st_uid) +
           ", not root";
  }
  bool sticky = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && st.st_uid == 0;
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !(sticky_ok && sticky)) {
    return path + " is writable by group or others";
  }
  return "";
}

}  // namespace

Result<DaemonEntry> LoadDaemonModule(const std::string& path) {
  // The module and every directory above it may be changed by root (or the
  // caller) only, so nobody can swap a step between this check and the
  // load. The module's own directory may not even be sticky and writable:
  // anyone could put a file there before one is installed.
  std::string dir;
  struct stat dir_st = {};
  auto check = [&](const std::string& p, const struct stat& st) {
    if (S_ISDIR(st.st_mode)) {
      dir = p;
      dir_st = st;
      return OthersMayWrite(p, st, true);
    }
    std::string why = OthersMayWrite(p, st, false);
    return why.empty() ? OthersMayWrite(dir, dir_st, false) : why;
  };
  Result<HostFile> module = OpenHostPath(path, O_PATH, check);
  if (!module) {
    if (module.error().rfind("absent: ", 0) == 0) {
      return Error{"cannot find the daemon module " + path + ": " +
                   module.error().substr(8) + " (install it with the binary)"};
    }
    return Error{"refusing to load the daemon module " + path + ": " +
                 module.error()};
  }
  if (!S_ISREG(module->st.st_mode)) {
    return Error{"the daemon module " + path + " is not a regular file"};
  }
  // Loaded by the path the walk resolved, which only root (or the caller)
  // can change at any step, so it still leads to the file checked. (Not
  // /proc/self/fd/N: the loader knows objects by name, and would hand back
  // whatever an earlier load of that fd number mapped.)
  void* handle = dlopen(module->real.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Error{"cannot load the daemon module " + path + ": " +
                 (why != nullptr ? why : "unknown error")};
  }
  void* entry = dlsym(handle, kDaemonEntryName);
  if (entry == nullptr) {
    dlclose(handle);
    return Error{path + " has no " + kDaemonEntryName +
                 "; it is not this sftpd's daemon module"};
  }
  return reinterpret_cast<DaemonEntry>(entry);
}

}  // namespace sftpd
