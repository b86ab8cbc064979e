// The one path a session takes once a front door knows whom it serves: the
// user's granted exports opened, the process confined to them
// (sandbox::Enter: the AppArmor hat, no_new_privs, Landlock), then the
// login, the session served, the logout. Both front doors take it, --stdio
// (frontdoor/stdio.h) and the daemon's connection (daemon/connection.h);
// each supplies what differs between them as a FrontDoor. Plain functions;
// single-threaded, and ConfineAndServe only once per process.
#ifndef SFTPD_SFTPD_FRONTDOOR_SESSION_PATH_H_
#define SFTPD_SFTPD_FRONTDOOR_SESSION_PATH_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/result.h"
#include "sftpd/audit/audit.h"
#include "sftpd/engine/session.h"
#include "sftpd/frontdoor/identity.h"
#include "sftpd/sandbox/sandbox.h"
#include "sftpd/vfs/exports.h"

namespace sftpd {

// What a front door does at the points of the path where the two differ:
// where its lines go, how it tells the client, how it serves the session.
class FrontDoor {
 public:
  virtual ~FrontDoor() = default;
  // The granted exports whose directories do not exist, as soon as the
  // exports were opened; `opened` is false when the session cannot be
  // served after all (Refuse follows).
  virtual void LeftOut(std::span<const AbsentExport> absent, bool opened) = 0;
  // The session cannot be served. `rule` is the audit rule of the step that
  // failed: "sandbox" (the layer switches, or the confinement; `why` then
  // starts "cannot confine: ") or "export" (the exports cannot be opened).
  // Returns the process exit status.
  virtual int Refuse(std::string_view rule, const std::string& why) = 0;
  // Serves the session over `exports` in the confined process; `layers` is
  // what confines it (sandbox::Enter's description, then the test build's
  // switches when some are off). Returns the process exit status.
  virtual int Serve(Exports& exports, const std::string& layers) = 0;
};

// Reads the layer switches (sandbox/layers.h), opens `granted` as `user`,
// confines the process to those trees, then has `door` serve the session.
// Returns door.Serve's status, or door.Refuse's when a step fails.
// REQUIRES: the process runs as `user` already (the daemon drops to it
// first); `granted` holds the exports the user has from its address.
int ConfineAndServe(std::span<const Export* const> granted,
                    const UserInfo& user, FrontDoor& door);

// What sandbox::Enter confines a session to: each export's root, through
// the fd Exports opened (never looked up by name again), read-only or not.
// The fds stay owned by `exports`.
std::vector<sandbox::Tree> SandboxTrees(const Exports& exports);

// The start of session `id`: "session ID: WHO N exports; DETAIL" on syslog
// (`who` ends with its own separator: "user U from P, " or ": "), then
// `login` (op "login", its detail DETAIL) on `audit`.
void RecordLogin(AuditSink& audit, std::string_view id, std::string_view who,
                 size_t exports, const AuditEvent& login);

// The end of session `id`: closes its open files (each close audited), logs
// "session ID: ended: WHY" on syslog when `end` is an error, then records
// the logout on `audit` (result "ok", or the error).
void RecordLogout(Session& session, AuditSink& audit, std::string_view id,
                  const Result<void>& end);

}  // namespace sftpd

#endif  // SFTPD_SFTPD_FRONTDOOR_SESSION_PATH_H_
