// libFuzzer harness: the SFTP framing, as a transport delivers it. The input
// is the raw byte stream a client sends; the first byte picks how the
// transport cuts it into reads (1 byte at a time up to large slices), and
// PumpSession (pump.h, shared by both front doors) splits it into packets
// for a Session over a real export tree. Whatever arrives: no crash, every
// reply a well-formed frame, the session either ends cleanly at the end of
// input or reports a framing error, and nothing outside the exports changes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "sftpd/engine/session.h"
#include "sftpd/frontdoor/pump.h"
#include "tests/fuzz/fuzz_tree.h"
#include "tests/fuzz/replies.h"

namespace sftpd::fuzz {
namespace {

void RunOne(FuzzTree& tree, const uint8_t* data, size_t size) {
  if (size == 0) return;
  static constexpr size_t kSlices[] = {1, 3, 4, 5, 7, 64, 4096, 1 << 20};
  const size_t slice = kSlices[data[0] % std::size(kSlices)];
  std::span<const uint8_t> stream(data + 1, size - 1);
  size_t at = 0;
  PumpIo io{
      .read_some = [&](std::span<uint8_t> buf) -> Result<size_t> {
        const size_t n = std::min({slice, buf.size(), stream.size() - at});
        std::copy_n(stream.data() + at, n, buf.data());
        at += n;
        return n;
      },
      .write_all = [](std::span<const uint8_t> bytes) -> Result<void> {
        SplitReplies(Bytes(bytes.begin(), bytes.end()));
        return {};
      },
  };
  CheckingAudit audit;
  {
    Session session(tree.exports(), audit, "fuzz");
    const Result<void> end = PumpSession(session, io);
    if (!end) Check(!end.error().empty(), "a framing error without a reason");
  }
  tree.CheckOutsideUntouched();
}

}  // namespace
}  // namespace sftpd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sftpd::fuzz::FuzzTree* tree = new sftpd::fuzz::FuzzTree();
  sftpd::fuzz::RunOne(*tree, data, size);
  tree->Reset();
  return 0;
}
