// The request handlers: one per row of the request table (session.cc).
// Each parses its body, resolves paths and handles through the read-only
// gate, calls Exports (which makes every system call on the client's
// files), and ends with exactly one reply.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "sftpd/base/limits.h"
#include "sftpd/engine/protocol.h"
#include "sftpd/engine/session.h"

namespace sftpd {

namespace {

std::string FlagsText(uint32_t pflags) {
  std::string s;
  if (pflags & fxp::kOpenRead) s += 'r';
  if (pflags & fxp::kOpenWrite) s += 'w';
  if (pflags & fxp::kOpenAppend) s += 'a';
  if (pflags & fxp::kOpenCreate) s += 'c';
  if (pflags & fxp::kOpenTruncate) s += 't';
  if (pflags & fxp::kOpenExclusive) s += 'x';
  return s;
}

bool OffsetOk(uint64_t off) { return off <= uint64_t(INT64_MAX); }

}  // namespace

void Session::OnOpen(Request& req) {
  std::string_view path = req.body.Text(kMaxPathLength, "path");
  uint32_t pflags = req.body.U32("pflags");
  Attrs attrs = ReadAttrs(req.body);
  if (!req.body.Done()) return BadMessage(req);
  req.detail = FlagsText(pflags);
  FsResult<Location> loc = Locate(req, path);
  if (!loc.ok()) return Finish(req, loc.outcome);

  // APPEND implies writing, and READ still asks for reading with it.
  bool rd = pflags & fxp::kOpenRead;
  bool wr = pflags & (fxp::kOpenWrite | fxp::kOpenAppend);
  int flags = rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY;
  if (pflags & fxp::kOpenAppend) flags |= O_APPEND;
  if (pflags & fxp::kOpenCreate) flags |= O_CREAT;
  if (pflags & fxp::kOpenTruncate) flags |= O_TRUNC;
  if (pflags & fxp::kOpenExclusive) flags |= O_EXCL;
  mode_t mode =
      attrs.Has(Attrs::kPermissions) ? attrs.permissions & 07777 : 0666;
  // A full table is refused before anything is created.
  if (handles_.open() >= kMaxHandles) return Finish(req, {EMFILE, {}});
  bool created = false;
  Upload upload;
  FsResult<Fd> fd =
      exports_.OpenFile(loc.value, flags, mode, &created, &upload);
  if (!fd.ok()) return Finish(req, fd.outcome);
  if (created || upload.staged()) {
    // The mode went in with open(); the rest of the attrs are applied now.
    Attrs rest = attrs;
    rest.flags &= ~Attrs::kPermissions;
    if (Outcome o = exports_.SetStatFd(loc.value.index, fd.value.get(), rest);
        !o.ok()) {
      if (upload.staged()) {
        exports_.DiscardUpload(upload, fd.value.get());
      } else {
        exports_.UndoCreate(loc.value, fd.value.get());
      }
      return Finish(req, o);
    }
  }
  if (upload.staged()) req.detail += " atomic";
  OpenHandle h;
  h.kind = OpenHandle::Kind::kFile;
  h.index = loc.value.index;
  h.vpath = loc.value.vpath;
  h.file = std::move(fd.value);
  h.append = pflags & fxp::kOpenAppend;
  h.upload = std::move(upload);
  std::optional<std::string> wire = handles_.Add(std::move(h));
  if (!wire) return Finish(req, {EMFILE, {}});  // checked above: not reached
  SendHandle(req.id, *wire);
  progress_.current = loc.value.vpath;
  Audit(req, {}, {});
}

void Session::OnClose(Request& req) {
  std::string_view wire = req.body.String("handle");
  if (!req.body.Done()) return BadMessage(req);
  std::optional<OpenHandle> h = handles_.Remove(wire);
  if (!h) return Finish(req, {EBADF, {}});
  // A listing's end is no file event: its OPENDIR line is its trail.
  if (h->kind != OpenHandle::Kind::kFile) {
    return SendStatus(req.id, StatusCode::kOk, "Success");
  }
  Finish(req, CloseFile(req, *h, true));
}

void Session::OnRead(Request& req) {
  std::string_view wire = req.body.String("handle");
  uint64_t offset = req.body.U64("offset");
  uint32_t len = req.body.U32("length");
  if (!req.body.Done()) return BadMessage(req);
  Outcome why;
  OpenHandle* h = FindHandle(req, wire, &why);
  if (h == nullptr) return Finish(req, why);
  if (h->kind != OpenHandle::Kind::kFile) return Finish(req, {EBADF, {}});
  if (!OffsetOk(offset)) return Finish(req, {EINVAL, {}});
  len = std::min(len, kMaxReadLength);

  // The data goes straight into the reply: header, then read into place.
  Writer w(out_);
  size_t p = w.Begin(fxp::kData);
  w.U32(req.id);
  size_t len_at = out_.size();
  w.U32(0);
  uint8_t* dst = w.Reserve(len);
  FsResult<size_t> r = exports_.ReadFile(h->file.get(), offset, {dst, len});
  if (len > 0 && (!r.ok() || r.value == 0)) {
    out_.resize(p);  // take the unfinished DATA back
    if (r.ok()) return SendStatus(req.id, StatusCode::kEof, "End of file");
    NoteFailure(*h, "read", r.outcome);
    return Finish(req, r.outcome);
  }
  const size_t n = r.ok() ? r.value : 0;  // a READ of 0 bytes gets no error
  w.Commit(len, n);
  uint8_t* at = out_.data() + len_at;
  uint32_t un = uint32_t(n);
  at[0] = uint8_t(un >> 24), at[1] = uint8_t(un >> 16);
  at[2] = uint8_t(un >> 8), at[3] = uint8_t(un);
  w.End(p);
  h->bytes_read += uint64_t(n);
  progress_.bytes_read += uint64_t(n);
}

void Session::OnWrite(Request& req) {
  std::string_view wire = req.body.String("handle");
  uint64_t offset = req.body.U64("offset");
  std::string_view data = req.body.String("data");
  // The data's length field decides what is written; bytes after the data
  // are ignored, as OpenSSH's sftp-server ignores them. Go's pkg/sftp up to
  // 1.13.5 (rclone, restic) sends its whole buffer after a short read's
  // data when it uploads with concurrent writes. Every other request stays
  // strict.
  if (!req.body.ok()) return BadMessage(req);
  Outcome why;
  OpenHandle* h = FindHandle(req, wire, &why);
  if (h == nullptr) return Finish(req, why);
  if (h->kind != OpenHandle::Kind::kFile) return Finish(req, {EBADF, {}});
  if (!OffsetOk(offset) || data.size() > uint64_t(INT64_MAX) - offset) {
    h->write_failed = true;
    return Finish(req, {EINVAL, {}});
  }
  // Either all of it is written or the client is told it was not; what
  // did get through still counts.
  FsResult<size_t> r =
      exports_.WriteFile(h->file.get(), offset, h->append, data);
  h->bytes_written += r.value;
  progress_.bytes_written += r.value;
  if (!r.ok()) {
    h->write_failed = true;
    NoteFailure(*h, "write", r.outcome);
  }
  Finish(req, r.outcome);
}

void Session::StatPath(Request& req, bool follow) {
  // v4+ clients send flags after the path; v3 has none, so any trailing
  // bytes are malformed.
  std::optional<Location> loc = OnlyPath(req);
  if (!loc) return;
  FsResult<struct stat> st = exports_.Stat(*loc, follow);
  if (!st.ok()) return Finish(req, st.outcome);
  SendAttrs(req.id, AttrsFromStat(st.value));
}

void Session::OnLstat(Request& req) { StatPath(req, false); }
void Session::OnStat(Request& req) { StatPath(req, true); }

void Session::OnFstat(Request& req) {
  std::string_view wire = req.body.String("handle");
  if (!req.body.Done()) return BadMessage(req);
  Outcome why;
  OpenHandle* h = FindHandle(req, wire, &why);
  if (h == nullptr) return Finish(req, why);
  if (h->kind == OpenHandle::Kind::kVirtualRoot) {
    return SendAttrs(req.id, AttrsFromStat(exports_.RootEntries()[0].st));
  }
  FsResult<struct stat> st = exports_.StatFd(h->fd());
  if (!st.ok()) return Finish(req, st.outcome);
  SendAttrs(req.id, AttrsFromStat(st.value));
}

void Session::SetstatPath(Request& req, bool follow) {
  std::string_view path = req.body.Text(kMaxPathLength, "path");
  Attrs attrs = ReadAttrs(req.body);
  if (!req.body.Done()) return BadMessage(req);
  FsResult<Location> loc = Locate(req, path);
  if (!loc.ok()) return Finish(req, loc.outcome);
  Finish(req, exports_.SetStat(loc.value, attrs, follow));
}

void Session::OnSetstat(Request& req) { SetstatPath(req, true); }
void Session::OnLsetstat(Request& req) { SetstatPath(req, false); }

void Session::OnFsetstat(Request& req) {
  std::string_view wire = req.body.String("handle");
  Attrs attrs = ReadAttrs(req.body);
  if (!req.body.Done()) return BadMessage(req);
  Outcome why;
  OpenHandle* h = FindHandle(req, wire, &why);
  if (h == nullptr) return Finish(req, why);
  Finish(req, exports_.SetStatFd(h->index, h->fd(), attrs));
}

void Session::OnOpendir(Request& req) {
  std::optional<Location> loc = OnlyPath(req);
  if (!loc) return;
  OpenHandle h;
  h.vpath = loc->vpath;
  h.index = loc->index;
  if (loc->IsVirtualRoot()) {
    h.kind = OpenHandle::Kind::kVirtualRoot;
  } else {
    FsResult<std::unique_ptr<DirStream>> d = exports_.OpenDir(*loc);
    if (!d.ok()) return Finish(req, d.outcome);
    h.kind = OpenHandle::Kind::kDir;
    h.dir = std::move(d.value);
  }
  std::optional<std::string> wire = handles_.Add(std::move(h));
  if (!wire) return Finish(req, {EMFILE, {}});
  SendHandle(req.id, *wire);
  Audit(req, {}, {});
}

void Session::OnReaddir(Request& req) {
  std::string_view wire = req.body.String("handle");
  if (!req.body.Done()) return BadMessage(req);
  Outcome why;
  OpenHandle* h = FindHandle(req, wire, &why);
  if (h == nullptr) return Finish(req, why);
  std::vector<DirEntry> entries;
  if (h->kind == OpenHandle::Kind::kVirtualRoot) {
    if (!h->listed) entries = exports_.RootEntries();
    h->listed = true;
  } else if (h->kind == OpenHandle::Kind::kDir) {
    FsResult<std::vector<DirEntry>> r =
        exports_.ReadDir(*h->dir, kReaddirMaxEntries, kReaddirReplyBytes);
    if (!r.ok()) return Finish(req, r.outcome);
    entries = std::move(r.value);
  } else {
    return Finish(req, {EBADF, {}});
  }
  if (entries.empty()) {
    return SendStatus(req.id, StatusCode::kEof, "End of directory");
  }
  time_t now = time(nullptr);
  Writer w(out_);
  size_t p = w.Begin(fxp::kName);
  w.U32(req.id);
  w.U32(uint32_t(entries.size()));
  for (const DirEntry& e : entries) {
    w.String(e.name);
    std::string user = exports_.UserName(e.st.st_uid);
    std::string group = exports_.GroupName(e.st.st_gid);
    if (user.empty()) user = std::to_string(e.st.st_uid);
    if (group.empty()) group = std::to_string(e.st.st_gid);
    w.String(LongName(e.name, e.st, user, group, now));
    WriteAttrs(w, AttrsFromStat(e.st));
  }
  w.End(p);
}

void Session::OnRemove(Request& req) {
  std::optional<Location> loc = OnlyPath(req);
  if (!loc) return;
  Finish(req, exports_.Remove(*loc));
}

void Session::OnMkdir(Request& req) {
  std::string_view path = req.body.Text(kMaxPathLength, "path");
  Attrs attrs = ReadAttrs(req.body);
  if (!req.body.Done()) return BadMessage(req);
  FsResult<Location> loc = Locate(req, path);
  if (!loc.ok()) return Finish(req, loc.outcome);
  mode_t mode =
      attrs.Has(Attrs::kPermissions) ? attrs.permissions & 07777 : 0777;
  Finish(req, exports_.MakeDir(loc.value, mode));
}

void Session::OnRmdir(Request& req) {
  std::optional<Location> loc = OnlyPath(req);
  if (!loc) return;
  Finish(req, exports_.RemoveDir(*loc));
}

void Session::OnRealpath(Request& req) {
  std::optional<Location> loc = OnlyPath(req);
  if (!loc) return;
  SendName(req.id, loc->vpath, loc->vpath);
}

void Session::RenamePaths(Request& req, bool replace) {
  std::string_view from = req.body.Text(kMaxPathLength, "old path");
  std::string_view to = req.body.Text(kMaxPathLength, "new path");
  if (!req.body.Done()) return BadMessage(req);
  FsResult<Location> a = Locate(req, from);
  FsResult<Location> b = Locate(req, to);
  if (!a.ok()) return Finish(req, a.outcome);
  if (!b.ok()) return Finish(req, b.outcome);
  Finish(req, exports_.Rename(a.value, b.value, replace));
}

void Session::OnRename(Request& req) { RenamePaths(req, false); }
void Session::OnPosixRename(Request& req) { RenamePaths(req, true); }

void Session::OnReadlink(Request& req) {
  std::optional<Location> loc = OnlyPath(req);
  if (!loc) return;
  FsResult<std::string> target = exports_.ReadLink(*loc);
  if (!target.ok()) return Finish(req, target.outcome);
  SendName(req.id, target.value, target.value);
}

void Session::OnSymlink(Request& req) {
  // OpenSSH's order, which its clients and sshfs send: target first, then
  // the path of the new link (the draft has them the other way round, and
  // the clients of SymlinkOrderFor send that).
  const bool link_first = symlink_order_ == SymlinkOrder::kLinkFirst;
  std::string_view first =
      req.body.Text(kMaxPathLength, link_first ? "link path" : "link target");
  std::string_view second =
      req.body.Text(kMaxPathLength, link_first ? "link target" : "link path");
  const std::string_view target = link_first ? second : first;
  const std::string_view link = link_first ? first : second;
  if (!req.body.Done()) return BadMessage(req);
  FsResult<Location> loc = Locate(req, link);
  req.target = std::string(target);
  if (!loc.ok()) return Finish(req, loc.outcome);
  Finish(req, exports_.Symlink(target, loc.value));
}

void Session::SendStatvfs(Request& req, const FsResult<struct statvfs>& r) {
  if (!r.ok()) return Finish(req, r.outcome);
  const struct statvfs& v = r.value;
  Writer w(out_);
  size_t p = w.Begin(fxp::kExtendedReply);
  w.U32(req.id);
  w.U64(v.f_bsize);
  w.U64(v.f_frsize);
  w.U64(v.f_blocks);
  w.U64(v.f_bfree);
  w.U64(v.f_bavail);
  w.U64(v.f_files);
  w.U64(v.f_ffree);
  w.U64(v.f_favail);
  w.U64(v.f_fsid);
  w.U64(((v.f_flag & ST_RDONLY) ? fxp::kStatvfsReadOnly : 0) |
        ((v.f_flag & ST_NOSUID) ? fxp::kStatvfsNoSuid : 0));
  w.U64(v.f_namemax);
  w.End(p);
}

void Session::OnStatvfs(Request& req) {
  std::optional<Location> loc = OnlyPath(req);
  if (!loc) return;
  SendStatvfs(req, exports_.StatVfs(*loc));
}

void Session::OnFstatvfs(Request& req) {
  std::string_view wire = req.body.String("handle");
  if (!req.body.Done()) return BadMessage(req);
  Outcome why;
  OpenHandle* h = FindHandle(req, wire, &why);
  if (h == nullptr) return Finish(req, why);
  if (h->index < 0) return Finish(req, {ENOENT, {}});
  SendStatvfs(req, exports_.StatVfsFd(h->index, h->fd()));
}

void Session::OnHardlink(Request& req) {
  std::string_view from = req.body.Text(kMaxPathLength, "old path");
  std::string_view to = req.body.Text(kMaxPathLength, "new path");
  if (!req.body.Done()) return BadMessage(req);
  FsResult<Location> a = Locate(req, from);
  FsResult<Location> b = Locate(req, to);
  if (!a.ok()) return Finish(req, a.outcome);
  if (!b.ok()) return Finish(req, b.outcome);
  Finish(req, exports_.Link(a.value, b.value));
}

void Session::OnFsync(Request& req) {
  std::string_view wire = req.body.String("handle");
  if (!req.body.Done()) return BadMessage(req);
  Outcome why;
  OpenHandle* h = FindHandle(req, wire, &why);
  if (h == nullptr) return Finish(req, why);
  if (h->kind != OpenHandle::Kind::kFile) return Finish(req, {EBADF, {}});
  Outcome o = exports_.SyncFile(h->file.get());
  NoteFailure(*h, "fsync", o);
  Finish(req, o);
}

void Session::OnLimits(Request& req) {
  if (!req.body.Done()) return BadMessage(req);
  Writer w(out_);
  size_t p = w.Begin(fxp::kExtendedReply);
  w.U32(req.id);
  w.U64(kMaxPacket);
  w.U64(kMaxReadLength);
  w.U64(kMaxWriteLength);
  w.U64(kMaxHandles);
  w.End(p);
}

void Session::OnExpandPath(Request& req) {
  std::string_view path = req.body.Text(kMaxPathLength, "path");
  if (!req.body.Done()) return BadMessage(req);
  // "~" and "~/x" are the user's first export; "~user" only names ourselves.
  std::string expanded(path);
  if (!path.empty() && path[0] == '~') {
    size_t slash = path.find('/');
    std::string_view who =
        path.substr(1, slash == path.npos ? path.npos : slash - 1);
    if (!who.empty() && who != user_) return Finish(req, {ENOENT, {}});
    expanded = exports_.start();
    if (slash != path.npos) expanded += path.substr(slash);
  }
  FsResult<Location> loc = Locate(req, expanded);
  if (!loc.ok()) return Finish(req, loc.outcome);
  SendName(req.id, loc.value.vpath, loc.value.vpath);
}

void Session::OnCopyData(Request& req) {
  std::string_view from_wire = req.body.String("read handle");
  uint64_t from_off = req.body.U64("read offset");
  uint64_t length = req.body.U64("length");  // 0: to the end of the file
  std::string_view to_wire = req.body.String("write handle");
  uint64_t to_off = req.body.U64("write offset");
  if (!req.body.Done()) return BadMessage(req);
  // The table gates the source for reading and the target for writing.
  Outcome why;
  OpenHandle* from = FindHandle(req, from_wire, &why);
  if (from == nullptr) return Finish(req, why);
  OpenHandle* to = FindHandle(req, to_wire, &why);
  if (to == nullptr) return Finish(req, why);
  if (from->kind != OpenHandle::Kind::kFile ||
      to->kind != OpenHandle::Kind::kFile) {
    return Finish(req, {EBADF, {}});
  }
  if (!OffsetOk(from_off) || !OffsetOk(to_off) ||
      (length != 0 && length > uint64_t(INT64_MAX) - from_off)) {
    return Finish(req, {EINVAL, {}});
  }
  // The copy ends at the source's size as it is now: a source that grows
  // while we copy (the target is the same file, ahead of the read offset)
  // would otherwise be chased forever.
  FsResult<struct stat> st = exports_.StatFd(from->file.get());
  if (!st.ok()) return Finish(req, st.outcome);
  uint64_t size = uint64_t(st.value.st_size);
  uint64_t avail = size > from_off ? size - from_off : 0;
  if (length == 0 || length > avail) length = avail;
  FsResult<uint64_t> copied = exports_.CopyFile(from->file.get(), from_off,
                                                length, to->file.get(), to_off);
  from->bytes_read += copied.value;
  to->bytes_written += copied.value;
  progress_.bytes_read += copied.value;
  progress_.bytes_written += copied.value;
  if (!copied.ok()) to->write_failed = true;
  req.detail = "bytes=" + std::to_string(copied.value);
  Finish(req, copied.outcome);
}

void Session::OnHomeDirectory(Request& req) {
  std::string_view who = req.body.Text(kMaxExtensionName, "user name");
  if (!req.body.Done()) return BadMessage(req);
  if (!who.empty() && who != user_) return Finish(req, {ENOENT, {}});
  SendName(req.id, exports_.start(), exports_.start());
}

void Session::OnUsersGroupsById(Request& req) {
  std::string_view uids = req.body.String("uid list");
  std::string_view gids = req.body.String("gid list");
  if (uids.size() % 4 != 0 || gids.size() % 4 != 0) {
    req.body.Fail("an id list's length is not a multiple of 4");
  } else if ((uids.size() + gids.size()) / 4 > kMaxIdsPerLookup) {
    req.body.Fail(std::to_string((uids.size() + gids.size()) / 4) +
                  " ids, more than " + std::to_string(kMaxIdsPerLookup));
  }
  if (!req.body.Done()) return BadMessage(req);
  auto names = [&](std::string_view ids, bool users) {
    Bytes blob;
    Writer bw(blob);
    Reader ir({reinterpret_cast<const uint8_t*>(ids.data()), ids.size()});
    while (ir.remaining() > 0) {
      uint32_t id = ir.U32();
      bw.String(users ? exports_.UserName(id) : exports_.GroupName(id));
    }
    return blob;
  };
  Bytes user_blob = names(uids, true), group_blob = names(gids, false);
  Writer w(out_);
  size_t p = w.Begin(fxp::kExtendedReply);
  w.U32(req.id);
  w.String(user_blob);
  w.String(group_blob);
  w.End(p);
}

}  // namespace sftpd
