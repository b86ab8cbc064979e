#include "sftpd/daemon_module.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
namespace sftpd {

std::string DaemonModulePath(const std::string& exe) {
  std::filesystem::path dir = std::filesystem::path(exe).parent_path();
  return (dir / ".." / "lib" / "sftpd" / "sftpd-daemon.so")
      .lexically_normal()
      .string();
}

namespace {

// Why `path` (whose stat is `st`) could be changed by someone other than
// root or the caller, or "" if it cannot.
std::string OthersMayWrite(const std::string& path, const struct stat& st) {
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    return path + " is owned by uid " + std::to_string(st.st_uid) +
           ", not root";
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return path + " is writable by group or others";
  }
  return "";
}

}  // namespace

Result<DaemonEntry> LoadDaemonModule(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return Error{"cannot find the daemon module " + path + ": " +
                 strerror(errno) + " (install it with the binary)"};
  }
  if (!S_ISREG(st.st_mode)) {
    return Error{"the daemon module " + path + " is not a regular file"};
  }
  // The module and its directory may be changed by root (or the caller)
  // only; then no one else can swap the file between this check and the
  // load.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  struct stat dir_st;
  if (stat(dir.empty() ? "." : dir.c_str(), &dir_st) != 0) {
    return Error{"cannot stat " + dir + ": " + strerror(errno)};
  }
  for (const std::string& why :
       {OthersMayWrite(path, st), OthersMayWrite(dir, dir_st)}) {
    if (!why.empty()) {
      return Error{"refusing to load the daemon module " + path + ": " + why};
    }
  }
  void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module == nullptr) {
    const char* why = dlerror();
    return Error{"cannot load the daemon module " + path + ": " +
                 (why != nullptr ? why : "unknown error")};
  }
  void* entry = dlsym(module, kDaemonEntryName);
  if (entry == nullptr) {
    dlclose(module);
    return Error{path + " has no " + kDaemonEntryName +
                 "; it is not this sftpd's daemon module"};
  }
  return reinterpret_cast<DaemonEntry>(entry);
}

}  // namespace sftpd
