// RecordingAudit: an AuditSink that keeps its events in memory, for the
// unit tests of what the engine and the limiter record. Test-only; the
// server links no code that includes it.
#ifndef SFTPD_SFTPD_AUDIT_RECORDING_AUDIT_H_
#define SFTPD_SFTPD_AUDIT_RECORDING_AUDIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sftpd/audit/audit.h"

namespace sftpd {

// Refusing() says what `refusing` does.
class RecordingAudit final : public AuditSink {
 public:
  bool Refusing() override { return refusing; }
  bool refusing = false;
  struct Entry {
    std::string op, path, target, result, rule, detail, method, key;
    int64_t bytes_read, bytes_written;
    uint64_t repeated;
  };
  void Record(const AuditEvent& e) override {
    entries.push_back({std::string(e.op), std::string(e.path),
                       std::string(e.target), std::string(e.result),
                       std::string(e.rule), std::string(e.detail),
                       std::string(e.method), std::string(e.key), e.bytes_read,
                       e.bytes_written, e.repeated});
  }
  std::vector<Entry> entries;
};

}  // namespace sftpd

#endif  // SFTPD_SFTPD_AUDIT_RECORDING_AUDIT_H_
