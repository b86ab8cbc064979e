// The handlers of the requests on open files: open, close, read, write,
// fsync and copy-data (session.cc's table routes each here). Each parses
// its body, resolves its handle through the read-only gate, calls Exports
// (which makes every system call on the client's files), and ends with
// exactly one reply.
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

}  // namespace sftpd
