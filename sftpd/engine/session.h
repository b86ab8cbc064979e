// Session: the SFTP v3 protocol engine. Bytes in, bytes out: it parses
// requests, dispatches them through one constexpr request table (name,
// handler, effect; session.cc) to their handlers (file_handlers.cc,
// path_handlers.cc, server_handlers.cc), and appends replies to its output
// buffer; all filesystem work goes through Exports and
// every file operation to the AuditSink. It owns the protocol state and the
// handle table. No I/O of its own; not thread-safe (one session, one thread).
#ifndef SFTPD_SFTPD_ENGINE_SESSION_H_
#define SFTPD_SFTPD_ENGINE_SESSION_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "config/result.h"
#include "sftpd/audit/audit.h"
#include "sftpd/base/wire.h"
#include "sftpd/engine/handles.h"
#include "sftpd/engine/status.h"
#include "sftpd/vfs/exports.h"

namespace sftpd {

struct RequestSpec;

// How the request table classes a request; the read-only gate reads it.
enum class TableEffect : uint8_t {
  kNone,     // touches no file (INIT, REALPATH, limits...)
  kRead,     // reads or lists
  kWrite,    // changes something: refused on ro exports
  kByFlags,  // OPEN: write if it asks for WRITE, APPEND, CREAT or TRUNC
};

// One row of the request table, as `sftpd --list-requests` shows it.
struct RequestInfo {
  uint8_t type;                  // SSH_FXP_*; 200 for extensions
  std::string_view name;         // "open", or the extension name
  std::string_view ext_version;  // advertised in VERSION; "" for standard
  TableEffect effect;
  std::string_view audit_op;  // "" when success is not audited
};

// The order of SYMLINK's two paths. OpenSSH's sftp-server takes the target
// first, then the new link's path, the reverse of the draft's; most clients
// send that order to every server. Some send it only to a server whose SSH
// version names OpenSSH, and the draft's order to every other: the daemon
// tells them by their own version string (SymlinkOrderFor).
enum class SymlinkOrder : uint8_t {
  kTargetFirst,  // OpenSSH's: target, link
  kLinkFirst,    // the draft's: link, target
};

// The order a client whose SSH version string is `client_version` (as
// "SSH-2.0-AsyncSSH_2.10.1") sends to a server that is not OpenSSH:
// kLinkFirst for AsyncSSH, libssh (KDE's sftp) and WinSCP, which choose by
// the server's version; kTargetFirst for every other client.
SymlinkOrder SymlinkOrderFor(std::string_view client_version);

class Session {
 public:
  // Replies beyond this many buffered bytes make Process() return early so
  // the transport drains them first (pipelined READs cannot grow memory).
  static constexpr size_t kOutputHighWater = 1024 * 1024;

  // `user` is the session's user name, for home-directory; `symlink_order`
  // how SYMLINK's paths are read.
  Session(Exports& exports, AuditSink& audit, std::string user,
          SymlinkOrder symlink_order = SymlinkOrder::kTargetFirst);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Handles the complete packets at the front of `input` in order and
  // appends their replies to output(). Returns how many bytes it consumed;
  // a partial packet at the end (or packets after the high-water mark) is
  // left for the next call. An error means the framing is broken (length 0
  // or over kMaxPacket): the session must end; the message says why.
  Result<size_t> Process(std::span<const uint8_t> input);

  Bytes& output() { return out_; }

  // Closes every open handle, auditing each file's close. Idempotent; the
  // destructor calls it.
  void Close();

  // The request table, in dispatch order.
  static std::span<const RequestInfo> Requests();

  // What the session has moved so far, for the daemon's live sessions:
  // bytes read from and written to files, and the file opened last that is
  // still open ("" when none is).
  struct Progress {
    uint64_t bytes_read = 0;
    uint64_t bytes_written = 0;
    std::string current;
  };
  const Progress& progress() const { return progress_; }

 private:
  friend struct RequestTable;
  friend struct RequestSpec;
  // One request being handled.
  struct Request {
    const RequestSpec* spec;  // nullptr: a request the table has no row for
    std::string_view name;    // as the client named it: the row's name, or
                              // "extended" / "unknown" without a row
    uint32_t id;              // for INIT, the client's version
    Reader body;
    // From the table: the effect on the request's second operand, or its
    // only one (OPEN: from its pflags), and on the first of two (copy-data
    // only reads its source). Locate and FindHandle gate by them in turn.
    Effect effect = Effect::kNone;
    Effect source_effect = Effect::kNone;
    int operands = 0;  // paths and handles looked up so far
    // For the audit trail, filled in by the handler.
    std::string path{};
    std::string target{};
    std::string detail{};
    int64_t bytes_read = -1;  // CLOSE: the file's totals
    int64_t bytes_written = -1;
  };
  using Handler = void (Session::*)(Request&);

  void Dispatch(std::span<const uint8_t> packet);

  // Replies.
  void SendStatus(uint32_t id, StatusCode code, std::string_view message);
  void SendHandle(uint32_t id, std::string_view handle);
  void SendName(uint32_t id, std::string_view name, std::string_view longname);
  void SendAttrs(uint32_t id, const Attrs& attrs);
  // Ends a request: replies with the outcome's status and audits it.
  void Finish(Request& req, Outcome outcome);
  // The one place an audit line is built, from the request's table row and
  // how it ended (`message`: what the reply said). Written for every
  // refusal, and for any other end only when the row audits its op, which
  // names the line; a request refused as malformed or unsupported is named
  // as the client sent it (req.name).
  void Audit(const Request& req, Outcome outcome, std::string_view message);
  // Replies BAD_MESSAGE to a request whose body is malformed, and audits
  // why (the body's Reader says).
  void BadMessage(Request& req);
  // Replies `code` with `message` to a request the engine cannot parse or
  // does not serve, and audits it with `rule` and `reason`.
  void RefuseRequest(Request& req, StatusCode code, std::string_view message,
                     std::string_view rule, std::string reason);

  // While the audit trail cannot be written (and the config says so),
  // every request that touches a file is refused.
  Outcome AuditGate(const Request& req);
  // Path and handle lookup, through the read-only gate with the effect the
  // table gives this operand of req (the first or the second) and the audit
  // gate. The operand's virtual path goes to req.path (first) or req.target.
  FsResult<Location> Locate(Request& req, std::string_view path);
  // For requests whose body is one path: parses and locates it. When the
  // body is malformed or the lookup fails, the reply is sent and nullopt
  // returned.
  std::optional<Location> OnlyPath(Request& req);
  // The same for the two paths of rename and link (old, new), both located
  // before either failure is answered, as the audit line names both.
  std::optional<std::pair<Location, Location>> TwoPaths(Request& req);
  OpenHandle* FindHandle(Request& req, std::string_view wire, Outcome* why);
  // Ends an open file (h.kind == kFile): gives a staged upload its name
  // (`commit`, and every write into it succeeded) or removes it, and puts
  // what the close line says (path, byte counts, detail) in `req`, a CLOSE
  // request. Returns what CLOSE answers; the caller audits it.
  Outcome CloseFile(Request& req, OpenHandle& h, bool commit);
  // Remembers the first READ, WRITE or fsync on `h` that failed, for the
  // line its close writes.
  static void NoteFailure(OpenHandle& h, std::string_view what, Outcome o);

  // Handlers, one per table row.
  void OnInit(Request& req);
  void OnOpen(Request& req);
  void OnClose(Request& req);
  void OnRead(Request& req);
  void OnWrite(Request& req);
  void OnLstat(Request& req);
  void OnFstat(Request& req);
  void OnSetstat(Request& req);
  void OnFsetstat(Request& req);
  void OnOpendir(Request& req);
  void OnReaddir(Request& req);
  void OnRemove(Request& req);
  void OnMkdir(Request& req);
  void OnRmdir(Request& req);
  void OnRealpath(Request& req);
  void OnStat(Request& req);
  void OnRename(Request& req);
  void OnReadlink(Request& req);
  void OnSymlink(Request& req);
  void OnPosixRename(Request& req);
  void OnStatvfs(Request& req);
  void OnFstatvfs(Request& req);
  void OnHardlink(Request& req);
  void OnFsync(Request& req);
  void OnLsetstat(Request& req);
  void OnLimits(Request& req);
  void OnExpandPath(Request& req);
  void OnCopyData(Request& req);
  void OnHomeDirectory(Request& req);
  void OnUsersGroupsById(Request& req);

  void StatPath(Request& req, bool follow);
  // SETSTAT and lsetstat (FSETSTAT likewise): the audit detail names each
  // attribute the client sent, and a mode given as other than asked shows
  // both ("mode=04755->0755 size=0").
  void SetstatPath(Request& req, bool follow);
  void RenamePaths(Request& req, bool replace);
  void SendStatvfs(Request& req, const FsResult<struct statvfs>& r);

  Exports& exports_;
  AuditSink& audit_;
  std::string user_;
  SymlinkOrder symlink_order_;
  HandleTable handles_;
  Bytes out_;
  Progress progress_;
  bool initialized_ = false;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_ENGINE_SESSION_H_
