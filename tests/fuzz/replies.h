// Checks of what a session wrote, shared by the session harnesses: the
// output is whole frames, each within kMaxPacket and long enough for a type
// and an id, and (for the sequence harness) one reply per request, in order.
#ifndef SFTPD_TESTS_FUZZ_REPLIES_H_
#define SFTPD_TESTS_FUZZ_REPLIES_H_

#include <cstdint>
#include <vector>

#include "sftpd/base/limits.h"
#include "sftpd/engine/protocol.h"
#include "sftpd/base/wire.h"
#include "tests/fuzz/fuzz_tree.h"

namespace sftpd::fuzz {

struct ReplyHead {
  uint8_t type;
  uint32_t id;
};

// Splits `out` into frames; aborts on a frame the engine should never write.
inline std::vector<ReplyHead> SplitReplies(const Bytes& out) {
  std::vector<ReplyHead> heads;
  size_t pos = 0;
  while (pos < out.size()) {
    Check(out.size() - pos >= 4, "a reply's length is cut");
    const uint32_t len = LoadU32(out.data() + pos);
    Check(len >= 5 && len <= kMaxPacket, "a reply's length is out of range");
    Check(out.size() - pos - 4 >= len, "a reply is cut");
    heads.push_back({out[pos + 4], LoadU32(out.data() + pos + 5)});
    pos += 4 + size_t(len);
  }
  return heads;
}

}  // namespace sftpd::fuzz

#endif  // SFTPD_TESTS_FUZZ_REPLIES_H_
