// Exports: the only code that touches the filesystem. Maps the virtual
// namespace a client sees ("/" holding one directory per export) onto real
// trees and resolves every path beneath an export's root fd (openat2 with
// RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, and a component walk for absolute
// symlinks that point back inside the export), so nothing reaches outside;
// and it does the I/O on the files a session holds open, through a FileIo
// that tests can replace. It also holds the two policy checks that need the
// filesystem: the read-only gate (fed by the request table's effect) and
// owner_only. One Exports per session; not thread-safe. Its definitions are
// split by what they do: exports.cc (opening the roots, resolution), open.cc
// (OPEN and staged uploads), entries.cc (stat, attributes, entry changes),
// listing.cc (directories, names), file_io.cc (I/O on open files).
#ifndef SFTPD_SFTPD_VFS_EXPORTS_H_
#define SFTPD_SFTPD_VFS_EXPORTS_H_

#include <dirent.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "config/result.h"
#include "sftpd/base/fd.h"
#include "sftpd/vfs/attrs.h"
#include "sftpd/vfs/file_io.h"
#include "sftpd/vfs/outcome.h"

namespace sftpd {

// What a request may do to the filesystem, from the request table.
enum class Effect : uint8_t { kNone, kRead, kWrite };

// An export as one session sees it: the config's export with %u/%h expanded.
struct ExportSpec {
  std::string name;
  std::string path;  // absolute, expanded
  Access access = Access::kReadWrite;
  bool owner_only = false;
  mode_t umask = 022;
  bool atomic_uploads = false;
  // A group share's group (Export::group_id); kNoGroup: not a group share.
  static constexpr gid_t kNoGroup = static_cast<gid_t>(-1);
  gid_t group = kNoGroup;

  // `e` as a session sees it, with its path expanded to `path`.
  static ExportSpec Of(const Export& e, std::string path) {
    return {e.name,  std::move(path),  e.access,  e.owner_only,
            e.umask, e.atomic_uploads, e.group_id};
  }
};

// An export left out of a session because its root does not exist.
struct AbsentExport {
  std::string name;
  std::string why;  // OpenHostPath's "absent: /srv/home/bob"
};

// A client path, normalized and located: which export, and where beneath it.
struct Location {
  int index = -1;     // export index; -1 is the virtual root "/"
  std::string vpath;  // normalized virtual path, for replies and the audit
  std::string rel;    // beneath the export root; "" is the root itself
  bool IsVirtualRoot() const { return index < 0; }
  bool IsExportRoot() const { return index >= 0 && rel.empty(); }
};

// An upload staged under a temporary name beside its final one
// (atomic_uploads): OpenFile makes it, CommitUpload or DiscardUpload ends
// it. Move-only, as its directory fd.
struct Upload {
  static constexpr std::string_view kPrefix = ".sftpd-upload.";
  Fd dir;                  // O_PATH: the directory holding both names
  std::string temp;        // kPrefix and 16 random hex digits
  std::string name;        // the final name
  int index = -1;          // the export
  bool exclusive = false;  // O_EXCL: the final name must still be free
  bool staged() const { return dir.valid(); }
};

// An open directory being listed.
class DirStream {
 public:
  DirStream(DIR* dir, int index) : dir_(dir), index_(index) {}
  ~DirStream();
  DirStream(const DirStream&) = delete;
  DirStream& operator=(const DirStream&) = delete;
  DIR* dir() const { return dir_; }
  int fd() const;
  int index() const { return index_; }

 private:
  DIR* dir_;
  int index_;
};

struct DirEntry {
  std::string name;
  struct stat st;
};

class Exports {
 public:
  // Opens every export root (O_PATH) with OpenHostPath: walked from "/",
  // following only the symlinks root placed where only root can change them,
  // so a user who can write the directory holding a root (an export of
  // "%h/public" beside one of "%h") cannot re-point it with a symlink. A root
  // that cannot be opened that way or is not a directory is an error naming
  // it, and so is a read-only export inside a read-write one (it would be
  // writable through the other). `uid` is the
  // session's user, for owner_only. REQUIRES: specs not empty.
  // `namespace_checks` false (test builds only, see layers.h) resolves paths
  // as plain openat does, following ".." and symlinks anywhere, and turns
  // the read-only gate and owner_only off, so that the kernel's layers are
  // all that is left to stop a client. With `absent`, a root that does not
  // exist (a %u directory not made yet) is left out instead and added there;
  // it is still an error when no root is left.
  static Result<std::unique_ptr<Exports>> Open(
      std::vector<ExportSpec> specs, uid_t uid, bool namespace_checks = true,
      std::vector<AbsentExport>* absent = nullptr);

  size_t size() const { return roots_.size(); }
  const ExportSpec& spec(int index) const { return roots_[index].spec; }
  // The root as opened (O_PATH), and its resolved path: what the sandbox
  // confines the session to, so the root is never looked up by name again.
  int root_fd(int index) const { return roots_[index].fd.get(); }
  const std::string& root_path(int index) const { return roots_[index].real; }
  // Where relative paths start: "/" + the first export's name.
  const std::string& start() const { return start_; }

  // Normalizes `client_path` and checks the read-only gate for `effect`:
  // kWrite is refused on a ro export and on the virtual root. Unknown export
  // names give ENOENT.
  FsResult<Location> Locate(std::string_view client_path, Effect effect) const;
  // The same gate, for requests on an open handle of export `index`.
  Outcome Gate(int index, Effect effect) const;

  // Modes from the client (OPEN, MKDIR, SETSTAT) never set setuid or setgid;
  // a new entry's mode is masked by the export's umask. In a group share
  // (ExportSpec::group) what OPEN or MKDIR creates is given the group (by
  // fchown unless it inherited it from a setgid parent) and group rw (files)
  // or rwx and setgid (directories), whatever the client sent or the umask
  // removed, and SETSTAT keeps those bits; SETSTAT to another group is
  // refused. A session user who is not a member of the group (the kernel
  // would refuse the fchown) creates nothing there: refused, with the rule.
  //
  // OPEN. `flags` are open(2) flags (O_ACCMODE, O_CREAT, O_EXCL, O_TRUNC,
  // O_APPEND); mode as above. Only regular files are
  // opened. owner_only: an existing file must be the user's (O_TRUNC is
  // applied after that check). Sets *created when the call made the file.
  // With `upload` given and the export's atomic_uploads set, an OPEN for
  // writing that replaces the whole content (O_TRUNC, or O_CREAT|O_EXCL)
  // of a regular file or a free name opens a new file under a temporary
  // name in the same directory instead, and fills *upload: the final name
  // is left as it is (an existing file is checked as for writing into it,
  // and its mode is kept for the new one). A name that is a symlink is
  // opened in place, not staged.
  FsResult<Fd> OpenFile(const Location& loc, int flags, mode_t mode,
                        bool* created, Upload* upload = nullptr);
  // Gives a staged upload (open on `fd`) its final name, replacing what is
  // there unless it was exclusive (then EEXIST). owner_only: a file that
  // took the name meanwhile must be the user's. On any failure the staged
  // file is removed. Either way `up` is no longer staged.
  Outcome CommitUpload(Upload& up, int fd);
  // Removes the staged file (if it still is the one open on `fd`).
  void DiscardUpload(Upload& up, int fd);
  // Takes back a file OpenFile created when the OPEN fails after all:
  // removes the entry at `loc` if it is still the file open on `fd`
  // (another process may have replaced it meanwhile; that one is kept).
  void UndoCreate(const Location& loc, int fd);
  // OPENDIR. The virtual root is listed by RootEntries() instead.
  FsResult<std::unique_ptr<DirStream>> OpenDir(const Location& loc);
  // Up to `max_entries` entries (skipping foreign ones in owner_only
  // exports), stopping early once their names exceed `max_bytes`. An empty
  // vector means the end.
  FsResult<std::vector<DirEntry>> ReadDir(DirStream& dir, size_t max_entries,
                                          size_t max_bytes);
  // ".", ".." and one entry per export.
  std::vector<DirEntry> RootEntries() const;

  // STAT (follow) and LSTAT (no follow).
  FsResult<struct stat> Stat(const Location& loc, bool follow);

  // SETSTAT (follow) and lsetstat (no follow), and FSETSTAT on an open fd of
  // export `index`. Applies size, permissions, times, then owner; the
  // permissions as every client mode (see OpenFile: setuid and setgid
  // dropped, a group share's bits added). When the permissions were applied
  // (even if a later attribute failed) and `mode_set` is given, *mode_set is
  // the mode the entry was given, so the caller can tell what was dropped or
  // added; otherwise it is left as it was.
  Outcome SetStat(const Location& loc, const Attrs& attrs, bool follow,
                  std::optional<mode_t>* mode_set = nullptr);
  Outcome SetStatFd(int index, int fd, const Attrs& attrs,
                    std::optional<mode_t>* mode_set = nullptr);

  Outcome Remove(const Location& loc);
  Outcome MakeDir(const Location& loc, mode_t mode);
  Outcome RemoveDir(const Location& loc);
  // RENAME (replace = false: fails if `to` exists) and posix-rename.
  Outcome Rename(const Location& from, const Location& to, bool replace);
  // hardlink@openssh.com: `to` becomes a new name of `from`.
  Outcome Link(const Location& from, const Location& to);
  // SYMLINK: a link at `loc` holding `target`. A virtual absolute target in
  // one of the session's exports is stored as the real path, so it resolves
  // (beneath that export) for this and every other client.
  Outcome Symlink(std::string_view target, const Location& loc);
  // READLINK: the link's contents; real paths inside an export are shown as
  // virtual paths.
  FsResult<std::string> ReadLink(const Location& loc);
  // statvfs@openssh.com: the filesystem of the export; for the virtual
  // root "/", that of the first export, where relative paths start (what
  // `df` in OpenSSH's sftp asks about at "/").
  FsResult<struct statvfs> StatVfs(const Location& loc);
  FsResult<struct statvfs> StatVfsFd(int index, int fd) const;

  // I/O on a file OpenFile opened (`fd`). Every system call goes through
  // the FileIo (UseFileIo); an interrupted call is retried. REQUIRES: each
  // offset, and offset plus length, <= INT64_MAX (the engine checks them).
  //
  // READ: up to dst.size() bytes at `offset`, in one call. Fewer is not an
  // error (SFTP lets DATA be short; the client asks again); 0 is the end of
  // the file. Fails with the call's errno (EIO...).
  FsResult<size_t> ReadFile(int fd, uint64_t offset, std::span<uint8_t> dst);
  // WRITE: all of `data` at `offset` (with `append`, at the end: `fd` was
  // opened O_APPEND and the offset is not used). A short write is continued
  // until everything is written; a call that writes nothing is EIO. On
  // failure `value` is how many bytes were written before it.
  FsResult<size_t> WriteFile(int fd, uint64_t offset, bool append,
                             std::string_view data);
  // copy-data: `length` bytes of `from` at `from_offset` to `to` at
  // `to_offset`, through a bounded buffer, stopping early at the end of
  // `from`. `value` is how many bytes were copied, on failure too (the
  // errno of the read or write that failed).
  FsResult<uint64_t> CopyFile(int from, uint64_t from_offset, uint64_t length,
                              int to, uint64_t to_offset);
  // fsync@openssh.com.
  Outcome SyncFile(int fd);
  // FSTAT: stat of an open handle's fd (a file's or a directory's).
  FsResult<struct stat> StatFd(int fd) const;
  // Where the calls above go: FileIo::Posix() unless a test puts a fake
  // (fake_file_io.h) here. `io` must outlive this Exports.
  void UseFileIo(FileIo& io) { io_ = &io; }

  // Cached name lookups for long names and users-groups-by-id; "" if none.
  // The reference is valid until the next call (the cache is bounded).
  const std::string& UserName(uid_t uid);
  const std::string& GroupName(gid_t gid);

 private:
  struct Root {
    ExportSpec spec;
    std::string real;  // spec.path resolved, for absolute symlinks
    Fd fd;             // O_PATH|O_DIRECTORY
    // Whether this process may give files spec.group: root, or a member.
    bool group_member = true;
  };
  // An entry named by its parent directory and its last component.
  struct Entry {
    Fd parent;
    std::string name;
  };

  Exports(std::vector<Root> roots, uid_t uid, bool namespace_checks);

  // OpenFile's atomic_uploads branch. Returns no fd and leaves *upload
  // unstaged when the name is a symlink (opened in place).
  FsResult<Fd> StageUpload(const Location& loc, int flags, mode_t mode,
                           Upload* upload) const;
  FsResult<Fd> Resolve(const Root& root, std::string_view rel, int flags,
                       mode_t mode, bool follow_last) const;
  FsResult<Fd> Walk(const Root& root, std::string_view rel, int flags,
                    mode_t mode, bool follow_last) const;
  // Walk's step at the symlink open (O_PATH) on `link`: its target's
  // components go in front of `todo`. An absolute target must lie in the
  // export (its real or its configured path) and restarts the walk at the
  // root (`stack`, the directories entered, is emptied); any other is
  // refused (kRuleOutside).
  Outcome FollowLink(const Root& root, int link, std::vector<Fd>& stack,
                     std::deque<std::string>& todo) const;
  // What an entry operation does to the entry's directory.
  enum class Change : uint8_t { kNone, kAdd };
  // The parent of `loc` and its name. The export root has no entry: that is
  // refused (it cannot be removed, renamed or replaced). With kAdd (a new
  // name appears in the parent) an owner_only export also requires the
  // parent to be the user's, or the export root.
  FsResult<Entry> ResolveEntry(const Location& loc, Change change) const;
  // A new file at `loc` (O_EXCL, never through a link), made in the parent
  // ResolveEntry checked (kAdd).
  FsResult<Fd> CreateFile(const Location& loc, int flags, mode_t mode) const;
  // lstat of an entry, refused (owner_only) unless it is the user's.
  FsResult<struct stat> OwnedEntry(int index, const Entry& e) const;
  // REMOVE (dir = false; directories are EISDIR) and RMDIR.
  Outcome Unlink(const Location& loc, bool dir);
  // owner_only: refuses `st` unless it belongs to the session's user, with
  // ENOENT (and the rule), as for a name that does not exist.
  Outcome CheckOwner(int index, const struct stat& st) const;
  Outcome ApplyAttrs(const Root& root, int fd, const struct stat& st,
                     bool path_only, const Attrs& attrs,
                     std::optional<mode_t>* mode_set) const;
  // The mode for one the client sent (see OpenFile): setuid and setgid
  // dropped; for a new entry (`create`) the umask applied; a group share's
  // bits added.
  static mode_t ClientMode(const Root& root, mode_t mode, bool dir,
                           bool create);
  // A group share: refused (with the rule) when this process cannot give
  // files the group; otherwise OK.
  static Outcome CheckGroupMember(const Root& root);
  // A group share: gives the entry just created, open on `fd`, the group
  // and the group bits, where it lacks them.
  static Outcome ForceGroup(const Root& root, int fd, bool dir);

  std::vector<Root> roots_;
  FileIo* io_ = &FileIo::Posix();
  uid_t uid_;
  bool checks_;
  std::string start_;
  time_t started_;
  std::unordered_map<uid_t, std::string> users_;
  std::unordered_map<gid_t, std::string> groups_;
};

// The exports `granted` (a Rights' exports) as a session of `user` (with
// home `home`, uid `uid`) gets them: paths expanded (ExpandPath; an export
// that does not expand to a safe path is an error) and opened by
// Exports::Open with `absent`.
Result<std::unique_ptr<Exports>> OpenGranted(
    std::span<const Export* const> granted, const std::string& user,
    const std::string& home, uid_t uid, bool namespace_checks,
    std::vector<AbsentExport>* absent);

// What a client is told on stderr when exports were left out: one line
// naming them ("sftpd: your export home is not available; ..."); "" when
// none were.
std::string AbsentNotice(std::span<const AbsentExport> absent);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_VFS_EXPORTS_H_
