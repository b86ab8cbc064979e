// The handlers of the extensions that ask about the server rather than a
// file: statvfs, limits, expand-path, home-directory and
// users-groups-by-id. Each ends with exactly one reply.
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
