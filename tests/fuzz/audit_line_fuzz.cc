// libFuzzer harness: reading audit lines back (sftpd/audit/record.h), as
// `sftpd audit` does with whatever a trail holds. The input is one line.
// ParseAuditLine must take it or say why, never crash; a line it takes,
// written again by FormatAuditEvent, must read back to the same record;
// and TerminalSafe of any field holds no control character.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sftpd/audit/audit.h"
#include "sftpd/audit/record.h"
#include "tests/fuzz/fuzz_tree.h"

namespace sftpd::fuzz {
namespace {

// No C0 or C1 control, no DEL, and valid UTF-8.
void CheckSafe(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    Check(b >= 0x20 && b != 0x7f, "TerminalSafe left a control byte");
    if (b == 0xC2 && i + 1 < s.size()) {
      const auto c = static_cast<unsigned char>(s[i + 1]);
      Check(c >= 0xA0, "TerminalSafe left a C1 control");
    }
  }
}

void RunOne(std::string_view line) {
  AuditRecord r;
  Result<void> parsed = ParseAuditLine(line, &r);
  if (!parsed) {
    Check(!parsed.error().empty(), "a corrupt line without a reason");
    return;
  }
  for (const std::string* s : {&r.user, &r.path, &r.target, &r.detail}) {
    CheckSafe(TerminalSafe(*s));
  }
  // Fields the writer cuts (4096 bytes escaped) may not survive a second
  // writing whole; only lines whose fields are short are compared.
  for (const std::string* s : {&r.session, &r.user, &r.address, &r.op, &r.path,
                               &r.target, &r.result, &r.rule, &r.detail}) {
    if (s->size() > 512) return;
  }
  const std::string again = FormatAuditEvent(
      {.session = r.session,
       .user = r.user,
       .uid = r.uid,
       .address = r.address,
       .port = int(r.port)},
      {.op = r.op,
       .path = r.path,
       .target = r.target,
       .result = r.result,
       .rule = r.rule,
       .detail = r.detail,
       .bytes_read = r.bytes_read,
       .bytes_written = r.bytes_written,
       .repeated = r.repeated > 0 ? uint64_t(r.repeated) : 0},
      r.time_us);
  AuditRecord back;
  Check(ParseAuditLine(again, &back).ok(), "a written line does not read back");
  Check(back.time_us == r.time_us, "the time changed");
  Check(back.op == r.op && back.path == r.path && back.target == r.target &&
            back.detail == r.detail && back.user == r.user &&
            back.rule == r.rule && back.result == r.result &&
            back.session == r.session && back.address == r.address,
        "a string changed on the way");
  // Counts the writer leaves out (negative ones) read back as absent.
  Check(back.bytes_read == (r.bytes_read >= 0 ? r.bytes_read : -1) &&
            back.bytes_written ==
                (r.bytes_written >= 0 ? r.bytes_written : -1) &&
            back.repeated == (r.repeated > 0 ? r.repeated : 0),
        "a count changed");
}

}  // namespace
}  // namespace sftpd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sftpd::fuzz::RunOne({reinterpret_cast<const char*>(data), size});
  return 0;
}
