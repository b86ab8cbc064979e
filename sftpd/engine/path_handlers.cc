// The handlers of the requests on names: the stat and setstat family,
// directories (opendir, readdir, mkdir, rmdir), remove, rename, links and
// realpath. Each resolves its paths beneath the exports, calls Exports, and
// ends with exactly one reply.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "sftpd/base/limits.h"
#include "sftpd/engine/protocol.h"
#include "sftpd/engine/session.h"

namespace sftpd {

namespace {

// The audit detail of a setstat: the attributes the client sent, in a
// fixed order ("mode=0644 size=0 atime=1700000000 mtime=1700000000 uid=1000
// gid=1000"). A mode given as other than asked (setuid or setgid dropped,
// a group share's bits added) reads "mode=04755->0755".
std::string SetstatText(const Attrs& a, const std::optional<mode_t>& mode_set) {
  std::string s;
  auto add = [&s](const char* key, uint64_t value, bool octal) {
    char buf[48];
    snprintf(buf, sizeof(buf), octal ? "%s%s=0%03llo" : "%s%s=%llu",
             s.empty() ? "" : " ", key, static_cast<unsigned long long>(value));
    s += buf;
  };
  if (a.Has(Attrs::kPermissions)) {
    const mode_t asked = a.permissions & 07777;
    add("mode", asked, true);
    if (mode_set && (*mode_set & 07777) != asked) {
      char buf[16];
      snprintf(buf, sizeof(buf), "->0%03o",
               static_cast<unsigned>(*mode_set & 07777));
      s += buf;
    }
  }
  if (a.Has(Attrs::kSize)) add("size", a.size, false);
  if (a.Has(Attrs::kAcModTime)) {
    add("atime", a.atime, false);
    add("mtime", a.mtime, false);
  }
  if (a.Has(Attrs::kUidGid)) {
    add("uid", a.uid, false);
    add("gid", a.gid, false);
  }
  return s;
}

}  // namespace

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
  req.detail = SetstatText(attrs, {});
  FsResult<Location> loc = Locate(req, path);
  if (!loc.ok()) return Finish(req, loc.outcome);
  std::optional<mode_t> mode_set;
  Outcome o = exports_.SetStat(loc.value, attrs, follow, &mode_set);
  req.detail = SetstatText(attrs, mode_set);
  Finish(req, o);
}

void Session::OnSetstat(Request& req) { SetstatPath(req, true); }
void Session::OnLsetstat(Request& req) { SetstatPath(req, false); }

void Session::OnFsetstat(Request& req) {
  std::string_view wire = req.body.String("handle");
  Attrs attrs = ReadAttrs(req.body);
  if (!req.body.Done()) return BadMessage(req);
  req.detail = SetstatText(attrs, {});
  Outcome why;
  OpenHandle* h = FindHandle(req, wire, &why);
  if (h == nullptr) return Finish(req, why);
  std::optional<mode_t> mode_set;
  Outcome o = exports_.SetStatFd(h->index, h->fd(), attrs, &mode_set);
  req.detail = SetstatText(attrs, mode_set);
  Finish(req, o);
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
  if (std::optional<std::pair<Location, Location>> p = TwoPaths(req)) {
    Finish(req, exports_.Rename(p->first, p->second, replace));
  }
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

void Session::OnHardlink(Request& req) {
  if (std::optional<std::pair<Location, Location>> p = TwoPaths(req)) {
    Finish(req, exports_.Link(p->first, p->second));
  }
}

}  // namespace sftpd
