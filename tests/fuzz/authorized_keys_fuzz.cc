// libFuzzer harness: the authorized_keys parser (sftpd/daemon/authorized_keys.h). The
// input is a file's text. Add must skip or take each line, never crash; a
// skipped line has a 1-based number within the text and a printable,
// bounded reason. Then a fixed key is offered from an IPv4 and an IPv6
// address: a decision that grants names a line of the text.
#include <libssh/libssh.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string_view>

#include "config/cidr.h"
#include "sftpd/daemon/authorized_keys.h"
#include "tests/fuzz/fuzz_tree.h"

namespace sftpd::fuzz {
namespace {

// The key every input is asked about: the public half of a fixed ed25519
// key, so inputs can name it (the seed corpus does).
constexpr const char* kKey =
    "AAAAC3NzaC1lZDI1NTE5AAAAIDfgZZJvc3r105Ga8B+YFMjXSa3FucIMaSYkMBi8u0WG";

void RunOne(std::string_view text) {
  static ssh_key key = [] {
    ssh_key k = nullptr;
    Check(ssh_pki_import_pubkey_base64(kKey, SSH_KEYTYPE_ED25519, &k) == SSH_OK,
          "the harness's key does not import");
    return k;
  }();
  const size_t lines = size_t(std::count(text.begin(), text.end(), '\n')) + 1;
  AuthorizedKeys keys;
  for (const SkippedLine& s : keys.Add(text, "fuzz_keys")) {
    Check(s.line >= 1 && size_t(s.line) <= lines,
          "a skipped line the text does not have");
    Check(!s.reason.empty() && s.reason.size() <= 1024,
          "a skipped line's reason is empty or unbounded");
    for (char c : s.reason) {
      Check(c >= 0x20 && c != 0x7f, "a reason with a control character");
    }
  }
  for (const char* peer : {"127.0.0.1", "::1"}) {
    std::optional<Address> a = Address::Parse(peer);
    Check(a.has_value(), "the harness's address does not parse");
    KeyDecision d = keys.Accepts(key, *a, time(nullptr));
    if (d.granted) {
      Check(d.origin == "fuzz_keys" && d.line >= 1 && size_t(d.line) <= lines,
            "a grant that names no line of the text");
    }
  }
}

}  // namespace
}  // namespace sftpd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sftpd::fuzz::RunOne(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
