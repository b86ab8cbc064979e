#include "sftpd/engine/session.h"

#include <cctype>
#include <cerrno>
#include <optional>
#include <string>
#include <utility>

#include "sftpd/base/limits.h"
#include "sftpd/base/log_line.h"
#include "sftpd/engine/protocol.h"

namespace sftpd {

// The request table: every request and extension, its handler and its
// effect. Dispatch, the read-only gate, the audit trail, VERSION's extension
// list and --list-requests all read it; no handler re-checks.
struct RequestSpec {
  RequestInfo info;
  Session::Handler handler;
  // A request on two files gates both by info.effect, unless its first is
  // only read from: copy-data may copy out of a read-only export.
  bool reads_first = false;
};

struct RequestTable {
  using S = Session;
  using E = TableEffect;
  static constexpr RequestSpec kAll[] = {
      {{fxp::kInit, "init", "", E::kNone, ""}, &S::OnInit},
      {{fxp::kOpen, "open", "", E::kByFlags, "open"}, &S::OnOpen},
      {{fxp::kClose, "close", "", E::kNone, "close"}, &S::OnClose},
      {{fxp::kRead, "read", "", E::kRead, ""}, &S::OnRead},
      {{fxp::kWrite, "write", "", E::kWrite, ""}, &S::OnWrite},
      {{fxp::kLstat, "lstat", "", E::kRead, ""}, &S::OnLstat},
      {{fxp::kFstat, "fstat", "", E::kRead, ""}, &S::OnFstat},
      {{fxp::kSetstat, "setstat", "", E::kWrite, "setstat"}, &S::OnSetstat},
      {{fxp::kFsetstat, "fsetstat", "", E::kWrite, "setstat"}, &S::OnFsetstat},
      {{fxp::kOpendir, "opendir", "", E::kRead, "opendir"}, &S::OnOpendir},
      {{fxp::kReaddir, "readdir", "", E::kRead, ""}, &S::OnReaddir},
      {{fxp::kRemove, "remove", "", E::kWrite, "remove"}, &S::OnRemove},
      {{fxp::kMkdir, "mkdir", "", E::kWrite, "mkdir"}, &S::OnMkdir},
      {{fxp::kRmdir, "rmdir", "", E::kWrite, "rmdir"}, &S::OnRmdir},
      {{fxp::kRealpath, "realpath", "", E::kNone, ""}, &S::OnRealpath},
      {{fxp::kStat, "stat", "", E::kRead, ""}, &S::OnStat},
      {{fxp::kRename, "rename", "", E::kWrite, "rename"}, &S::OnRename},
      {{fxp::kReadlink, "readlink", "", E::kRead, ""}, &S::OnReadlink},
      {{fxp::kSymlink, "symlink", "", E::kWrite, "symlink"}, &S::OnSymlink},
      {{fxp::kExtended, "posix-rename@openssh.com", "1", E::kWrite, "rename"},
       &S::OnPosixRename},
      {{fxp::kExtended, "statvfs@openssh.com", "2", E::kRead, ""},
       &S::OnStatvfs},
      {{fxp::kExtended, "fstatvfs@openssh.com", "2", E::kRead, ""},
       &S::OnFstatvfs},
      {{fxp::kExtended, "hardlink@openssh.com", "1", E::kWrite, "link"},
       &S::OnHardlink},
      {{fxp::kExtended, "fsync@openssh.com", "1", E::kRead, ""}, &S::OnFsync},
      {{fxp::kExtended, "lsetstat@openssh.com", "1", E::kWrite, "setstat"},
       &S::OnLsetstat},
      {{fxp::kExtended, "limits@openssh.com", "1", E::kNone, ""}, &S::OnLimits},
      {{fxp::kExtended, "expand-path@openssh.com", "1", E::kNone, ""},
       &S::OnExpandPath},
      {{fxp::kExtended, "copy-data", "1", E::kWrite, "copy"},
       &S::OnCopyData,
       /*reads_first=*/true},
      {{fxp::kExtended, "home-directory", "1", E::kNone, ""},
       &S::OnHomeDirectory},
      {{fxp::kExtended, "users-groups-by-id@openssh.com", "1", E::kNone, ""},
       &S::OnUsersGroupsById},
  };

  static constexpr const RequestSpec* Standard(uint8_t type) {
    for (const RequestSpec& s : kAll) {
      if (s.info.type == type && type != fxp::kExtended) return &s;
    }
    return nullptr;
  }
  static constexpr const RequestSpec* Extension(std::string_view name) {
    for (const RequestSpec& s : kAll) {
      if (s.info.type == fxp::kExtended && s.info.name == name) return &s;
    }
    return nullptr;
  }
  static constexpr bool Complete() {
    // Every SFTP v3 request type (1 and 3..20) has exactly one row.
    for (int t = fxp::kInit; t <= fxp::kSymlink; ++t) {
      if (t == fxp::kVersionReply) continue;
      int rows = 0;
      for (const RequestSpec& s : kAll) rows += s.info.type == t;
      if (rows != 1) return false;
    }
    // Every row has a handler, and extension names are unique.
    for (const RequestSpec& s : kAll) {
      if (s.handler == nullptr) return false;
      if (s.info.type == fxp::kExtended && Extension(s.info.name) != &s) {
        return false;
      }
    }
    return true;
  }
};
static_assert(RequestTable::Complete(), "the request table must be complete");

namespace {

constexpr uint32_t kWriteFlags =
    fxp::kOpenWrite | fxp::kOpenAppend | fxp::kOpenCreate | fxp::kOpenTruncate;

// OPEN's effect is decided by its pflags, read without consuming the body.
Effect EffectOf(const RequestSpec& spec, Reader body) {
  switch (spec.info.effect) {
    case TableEffect::kNone:
      return Effect::kNone;
    case TableEffect::kRead:
      return Effect::kRead;
    case TableEffect::kWrite:
      return Effect::kWrite;
    case TableEffect::kByFlags:
      body.String();
      return (body.U32() & kWriteFlags) ? Effect::kWrite : Effect::kRead;
  }
  return Effect::kWrite;
}

// How reasons name a request: a standard one as the drafts write it
// ("OPEN"), an extension by its name.
std::string RequestLabel(const RequestInfo& info) {
  std::string label(info.name);
  if (info.type == fxp::kExtended) return label;
  for (char& c : label) c = char(toupper(static_cast<unsigned char>(c)));
  return label;
}

}  // namespace

std::span<const RequestInfo> Session::Requests() {
  static const std::vector<RequestInfo> infos = [] {
    std::vector<RequestInfo> v;
    for (const RequestSpec& s : RequestTable::kAll) v.push_back(s.info);
    return v;
  }();
  return infos;
}

SymlinkOrder SymlinkOrderFor(std::string_view client_version) {
  // The software name follows "SSH-2.0-"; each of these clients checks the
  // server's version for "OpenSSH" before it sends OpenSSH's order.
  constexpr std::string_view kPrefix = "SSH-2.0-";
  if (client_version.substr(0, kPrefix.size()) != kPrefix) {
    return SymlinkOrder::kTargetFirst;
  }
  std::string_view software = client_version.substr(kPrefix.size());
  for (std::string_view name : {"AsyncSSH_", "libssh_", "libssh-", "WinSCP_"}) {
    if (software.substr(0, name.size()) == name)
      return SymlinkOrder::kLinkFirst;
  }
  return SymlinkOrder::kTargetFirst;
}

Session::Session(Exports& exports, AuditSink& audit, std::string user,
                 SymlinkOrder symlink_order)
    : exports_(exports),
      audit_(audit),
      user_(std::move(user)),
      symlink_order_(symlink_order) {}

Session::~Session() { Close(); }

void Session::Close() {
  // A session that ends with a file open was cut short: an upload staged
  // for it never takes its name. Each file's close is audited as a CLOSE
  // request would be; a listing's close writes no line, as CLOSE's does not.
  const RequestSpec* close = RequestTable::Standard(fxp::kClose);
  handles_.CloseAll([&](OpenHandle& h) {
    if (h.kind != OpenHandle::Kind::kFile) return;
    Request req{
        .spec = close, .name = close->info.name, .id = 0, .body = Reader({})};
    Outcome o = CloseFile(req, h, false);
    Audit(req, o, StatusFromErrno(o.err).message);
  });
}

Result<size_t> Session::Process(std::span<const uint8_t> input) {
  size_t pos = 0;
  while (input.size() - pos >= 4 && out_.size() < kOutputHighWater) {
    uint32_t len = LoadU32(input.data() + pos);
    if (len == 0) return Error{"zero-length packet"};
    if (len > kMaxPacket) {
      return Error{"packet of " + std::to_string(len) +
                   " bytes exceeds the limit of " + std::to_string(kMaxPacket)};
    }
    if (input.size() - pos - 4 < len) break;
    Dispatch(input.subspan(pos + 4, len));
    pos += 4 + size_t(len);
  }
  return pos;
}

void Session::Dispatch(std::span<const uint8_t> packet) {
  Reader r(packet);
  uint8_t type = r.U8("request type");
  uint32_t id = r.U32("request id");
  const RequestSpec* spec = RequestTable::Standard(type);
  std::string_view ext_name;
  if (type == fxp::kExtended) {
    ext_name = r.Text(kMaxExtensionName, "extension name");
    spec = RequestTable::Extension(ext_name);
  }
  // What the audit trail calls the request, and its reasons start with.
  const std::string_view op = spec != nullptr          ? spec->info.name
                              : type == fxp::kExtended ? "extended"
                                                       : "unknown";
  if (!r.ok()) {  // not even an id (or an extension name) to answer
    const std::string label = spec != nullptr ? RequestLabel(spec->info)
                              : type == fxp::kExtended
                                  ? "EXTENDED"
                                  : "request type " + std::to_string(type);
    Request req{.spec = spec, .name = op, .id = id, .body = r};
    return RefuseRequest(req, StatusCode::kBadMessage, "Malformed packet",
                         kRuleMalformed, label + ": " + r.Why());
  }
  if (spec == nullptr) {
    Request req{.spec = nullptr, .name = op, .id = id, .body = r};
    // The name is the client's: escaped and bounded before any line.
    return type == fxp::kExtended
               ? RefuseRequest(req, StatusCode::kOpUnsupported,
                               "Unsupported extension", kRuleUnsupported,
                               "unsupported extension " +
                                   Printable(ext_name, kMaxShownName))
               : RefuseRequest(req, StatusCode::kOpUnsupported,
                               "Unsupported request", kRuleUnsupported,
                               "unknown request type " + std::to_string(type));
  }
  if (!initialized_ && type != fxp::kInit) {
    SendStatus(id, StatusCode::kFailure, "INIT expected");
    return;
  }
  if (initialized_ && type == fxp::kInit) {
    // Another VERSION would carry no request id for the client to match;
    // a repeated INIT is answered like any refused request, by its id field.
    SendStatus(id, StatusCode::kFailure, "INIT already received");
    return;
  }
  Request req{.spec = spec, .name = op, .id = id, .body = r};
  req.effect = EffectOf(*spec, r);
  req.source_effect = spec->reads_first ? Effect::kRead : req.effect;
  (this->*spec->handler)(req);
}

// --- replies ---------------------------------------------------------------

void Session::SendStatus(uint32_t id, StatusCode code,
                         std::string_view message) {
  Writer w(out_);
  size_t p = w.Begin(fxp::kStatus);
  w.U32(id);
  w.U32(uint32_t(code));
  w.String(message);
  w.String("en");
  w.End(p);
}

void Session::SendHandle(uint32_t id, std::string_view handle) {
  Writer w(out_);
  size_t p = w.Begin(fxp::kHandle);
  w.U32(id);
  w.String(handle);
  w.End(p);
}

void Session::SendName(uint32_t id, std::string_view name,
                       std::string_view longname) {
  Writer w(out_);
  size_t p = w.Begin(fxp::kName);
  w.U32(id);
  w.U32(1);
  w.String(name);
  w.String(longname);
  WriteAttrs(w, Attrs{});
  w.End(p);
}

void Session::SendAttrs(uint32_t id, const Attrs& attrs) {
  Writer w(out_);
  size_t p = w.Begin(fxp::kAttrs);
  w.U32(id);
  WriteAttrs(w, attrs);
  w.End(p);
}

void Session::Finish(Request& req, Outcome outcome) {
  Status st = StatusFromErrno(outcome.err);
  SendStatus(req.id, st.code, st.message);
  Audit(req, outcome, st.message);
}

void Session::Audit(const Request& req, Outcome outcome,
                    std::string_view message) {
  const std::string_view audit_op =
      req.spec != nullptr ? req.spec->info.audit_op : std::string_view();
  if (!outcome.refused() && audit_op.empty()) return;
  // A request refused before it was understood is named as it came, so a
  // client's malformed fsetstat reads as that, not as any setstat.
  const bool unserved =
      outcome.rule == kRuleMalformed || outcome.rule == kRuleUnsupported;
  AuditEvent e;
  e.op = unserved || audit_op.empty() ? req.name : audit_op;
  e.path = req.path;
  e.target = req.target;
  e.detail = req.detail;
  e.result = outcome.ok() ? std::string_view("ok") : message;
  e.rule = outcome.rule;
  e.bytes_read = req.bytes_read;
  e.bytes_written = req.bytes_written;
  audit_.Record(e);
}

void Session::BadMessage(Request& req) {
  RefuseRequest(req, StatusCode::kBadMessage, "Malformed request",
                kRuleMalformed,
                RequestLabel(req.spec->info) + ": " + req.body.Why());
}

void Session::RefuseRequest(Request& req, StatusCode code,
                            std::string_view message, std::string_view rule,
                            std::string reason) {
  SendStatus(req.id, code, message);
  req.detail = std::move(reason);
  // The error is never shown: the line carries the reply's message.
  Audit(req, {EINVAL, rule}, message);
}

Outcome Session::AuditGate(const Request& req) {
  if (req.effect != Effect::kNone && audit_.Refusing()) {
    return {EACCES, kRuleAuditUnavailable};
  }
  return {};
}

FsResult<Location> Session::Locate(Request& req, std::string_view path) {
  const bool first = req.operands++ == 0;
  FsResult<Location> r =
      exports_.Locate(path, first ? req.source_effect : req.effect);
  (first ? req.path : req.target) = r.value.vpath;
  if (r.ok()) r.outcome = AuditGate(req);
  return r;
}

std::optional<Location> Session::OnlyPath(Request& req) {
  std::string_view path = req.body.Text(kMaxPathLength, "path");
  if (!req.body.Done()) {
    BadMessage(req);
    return std::nullopt;
  }
  FsResult<Location> loc = Locate(req, path);
  if (!loc.ok()) {
    Finish(req, loc.outcome);
    return std::nullopt;
  }
  return std::move(loc.value);
}

std::optional<std::pair<Location, Location>> Session::TwoPaths(Request& req) {
  std::string_view from = req.body.Text(kMaxPathLength, "old path");
  std::string_view to = req.body.Text(kMaxPathLength, "new path");
  if (!req.body.Done()) {
    BadMessage(req);
    return std::nullopt;
  }
  FsResult<Location> a = Locate(req, from);
  FsResult<Location> b = Locate(req, to);
  for (const FsResult<Location>* r : {&a, &b}) {
    if (!r->ok()) {
      Finish(req, r->outcome);
      return std::nullopt;
    }
  }
  return std::pair(std::move(a.value), std::move(b.value));
}

OpenHandle* Session::FindHandle(Request& req, std::string_view wire,
                                Outcome* why) {
  const bool first = req.operands++ == 0;
  OpenHandle* h = handles_.Find(wire);
  if (h == nullptr) {
    *why = {EBADF, {}};
    return nullptr;
  }
  (first ? req.path : req.target) = h->vpath;
  *why = exports_.Gate(h->index, first ? req.source_effect : req.effect);
  if (why->ok()) *why = AuditGate(req);
  return why->ok() ? h : nullptr;
}

Outcome Session::CloseFile(Request& req, OpenHandle& h, bool commit) {
  if (h.vpath == progress_.current) progress_.current.clear();
  req.path = h.vpath;
  req.bytes_read = int64_t(h.bytes_read);
  req.bytes_written = int64_t(h.bytes_written);
  req.detail = h.io_failure;
  if (!h.upload.staged()) return {};
  if (commit && !h.write_failed) {
    Outcome o = exports_.CommitUpload(h.upload, h.file.get());
    req.detail = o.ok() ? "upload committed" : "upload discarded";
    return o;
  }
  exports_.DiscardUpload(h.upload, h.file.get());
  req.detail = commit ? "upload discarded: a write failed"
                      : "upload discarded: the session ended";
  return {ECANCELED, {}};
}

void Session::NoteFailure(OpenHandle& h, std::string_view what, Outcome o) {
  if (o.ok() || !h.io_failure.empty()) return;
  h.io_failure =
      std::string(what) + ": " + std::string(StatusFromErrno(o.err).message);
}

void Session::OnInit([[maybe_unused]] Request& req) {
  // req.id holds the client's version; v3 is all we speak, and a client
  // asking for more gets 3 back and decides.
  initialized_ = true;
  Writer w(out_);
  size_t p = w.Begin(fxp::kVersionReply);
  w.U32(fxp::kVersion);
  for (const RequestSpec& s : RequestTable::kAll) {
    if (s.info.ext_version.empty()) continue;
    w.String(s.info.name);
    w.String(s.info.ext_version);
  }
  w.End(p);
}

}  // namespace sftpd
