// Handles: the session's bounded table of open files and directories. A
// handle on the wire is 8 bytes, {slot, generation}; a slot's generation moves
// on when it is freed, so a closed handle can never reach a later file. The
// table owns every fd and DIR it holds. Not thread-safe.
#ifndef SFTPD_SFTPD_ENGINE_HANDLES_H_
#define SFTPD_SFTPD_ENGINE_HANDLES_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sftpd/base/fd.h"
#include "sftpd/base/limits.h"
#include "sftpd/vfs/exports.h"

namespace sftpd {

struct OpenHandle {
  enum class Kind : uint8_t { kFile, kDir, kVirtualRoot };
  Kind kind = Kind::kFile;
  int index = -1;                  // export; -1 for the virtual root
  std::string vpath;               // for the audit trail
  Fd file;                         // kFile
  std::unique_ptr<DirStream> dir;  // kDir
  bool listed = false;             // kVirtualRoot: entries already sent
  bool append = false;             // opened with SSH_FXF_APPEND
  Upload upload;                   // kFile: staged by atomic_uploads
  bool write_failed = false;       // a WRITE or copy-data into it failed
  // The first READ, WRITE or fsync on it that failed ("write: No space left
  // on device"), for its close line: the trail keeps what went wrong with
  // a file even where the failing request writes no line of its own.
  std::string io_failure;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;

  // The fd for fstat/fsetstat/fstatvfs/fsync, whatever the kind; -1 for the
  // virtual root.
  int fd() const;
};

class HandleTable {
 public:
  static constexpr size_t kHandleBytes = 8;

  // Stores `h` and returns its wire handle; nullopt when the table is full.
  std::optional<std::string> Add(OpenHandle h);
  // The open handle `wire` names, or nullptr if it is malformed, unused or
  // stale (an earlier generation of its slot).
  OpenHandle* Find(std::string_view wire);
  // Removes and returns the handle, or nullopt as for Find.
  std::optional<OpenHandle> Remove(std::string_view wire);
  size_t open() const { return open_; }
  // Calls f(handle) for every open handle, then frees it.
  template <typename F>
  void CloseAll(F f) {
    for (Slot& s : slots_) {
      if (!s.handle) continue;
      f(*s.handle);
      s.handle.reset();
      ++s.generation;
      --open_;
    }
  }

 private:
  struct Slot {
    uint32_t generation = 0;
    std::optional<OpenHandle> handle;
  };
  Slot* Lookup(std::string_view wire);

  std::array<Slot, kMaxHandles> slots_;
  size_t open_ = 0;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_ENGINE_HANDLES_H_
