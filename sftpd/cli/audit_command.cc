#include <cstdio>

#include "sftpd/audit/query.h"
#include "sftpd/base/io.h"
#include "sftpd/cli/common.h"

namespace sftpd {

// `sftpd audit`: the trail of the config's [audit] log, or of --file.
int Audit(const Args& args) {
  Result<AuditQuery> q = ParseAuditArgs(args.rest, WallMicros());
  if (!q) {
    fprintf(stderr, "sftpd audit: %s\n", q.error().c_str());
    return 2;
  }
  std::vector<std::string> files = q->files;
  if (files.empty()) {
    LoadResult r = LoadConfig(args.config);
    if (!r.config) {
      PrintConfigErrors(r.errors);
      fprintf(stderr,
              "sftpd audit: %s has errors; fix it, or name the log with "
              "--file\n",
              args.config.c_str());
      return 1;
    }
    const std::string& log = r.config->audit.log;
    if (log.empty()) {
      fprintf(stderr,
              "sftpd audit: %s writes no audit file ([audit] log is \"\"): "
              "its events are in syslog\n",
              args.config.c_str());
      return 1;
    }
    files = AuditFiles(log);
    if (files.empty()) {
      fprintf(stderr, "sftpd audit: no audit log at %s yet\n", log.c_str());
      return 1;
    }
  }
  AuditTotals t = RunAuditQuery(*q, files, stdout, stderr);
  if (t.corrupt > 0) {
    fprintf(stderr, "sftpd audit: %llu corrupt line%s skipped\n",
            (unsigned long long)t.corrupt, t.corrupt == 1 ? "" : "s");
  }
  return t.unreadable.empty() ? 0 : 1;
}

}  // namespace sftpd
