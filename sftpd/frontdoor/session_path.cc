#include "sftpd/frontdoor/session_path.h"

#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include <memory>

#include "sftpd/base/log_line.h"
#include "sftpd/sandbox/layers.h"

namespace sftpd {

int ConfineAndServe(std::span<const Export* const> granted,
                    const UserInfo& user, FrontDoor& door) {
  Result<Layers> switches = LayersFromEnvironment();
  if (!switches) return door.Refuse("sandbox", switches.error());
  std::vector<AbsentExport> absent;
  Result<std::unique_ptr<Exports>> exports =
      OpenGranted(granted, user.name, user.home, user.uid,
                  switches->namespace_checks, &absent);
  door.LeftOut(absent, exports.ok());
  if (!exports) return door.Refuse("export", exports.error());

  tzset();   // long names use local time; /etc/localtime is read now
  umask(0);  // each export's own umask is applied by Exports
  Result<std::string> layers =
      sandbox::Enter(SandboxTrees(**exports), user.name, *switches);
  if (!layers) {
    return door.Refuse("sandbox", "cannot confine: " + layers.error());
  }
  if (!switches->Describe().empty()) *layers += "; " + switches->Describe();
  return door.Serve(**exports, *layers);
}

std::vector<sandbox::Tree> SandboxTrees(const Exports& exports) {
  std::vector<sandbox::Tree> trees;
  for (int i = 0; i < int(exports.size()); ++i) {
    trees.push_back({exports.root_path(i),
                     exports.spec(i).access == Access::kReadWrite,
                     exports.root_fd(i)});
  }
  return trees;
}

void RecordLogin(AuditSink& audit, std::string_view id, std::string_view who,
                 size_t exports, const AuditEvent& login) {
  Say(LOG_INFO,
      "session " + std::string(id) + ": " + std::string(who) +
          std::to_string(exports) + " exports; " + std::string(login.detail),
      LineTo::kSyslogOnly);
  audit.Record(login);
}

void RecordLogout(Session& session, AuditSink& audit, std::string_view id,
                  const Result<void>& end) {
  session.Close();
  if (!end) {
    Say(LOG_WARNING, "session " + std::string(id) + ": ended: " + end.error(),
        LineTo::kSyslogOnly);
  }
  audit.Record(
      {.op = "logout",
       .result = end ? std::string_view("ok") : std::string_view(end.error())});
}

}  // namespace sftpd
