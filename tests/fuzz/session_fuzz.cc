// libFuzzer harness: sequences of requests against the whole Session engine
// over a real export tree (fuzz_tree.h). The input is a list of records,
// each [type: 1 byte][body length: 2 bytes, big-endian][body]; the harness
// frames each with a correct length and a fresh id after an INIT, so the
// fuzzer spends its time on request bodies and on what one request does to
// the next (handles, renames, links). After each input: exactly one reply
// per request, in order, with its id; every reply a well-formed frame;
// every audit event complete; nothing outside the exports changed.
#include <cstddef>
#include <cstdint>
#include <span>

#include "sftpd/engine/protocol.h"
#include "sftpd/engine/session.h"
#include "sftpd/base/wire.h"
#include "tests/fuzz/fuzz_tree.h"
#include "tests/fuzz/replies.h"

namespace sftpd::fuzz {
namespace {

constexpr size_t kMaxRequests = 64;

Bytes Frame(uint8_t type, uint32_t id, std::span<const uint8_t> body) {
  Bytes b;
  Writer w(b);
  size_t at = w.Begin(type);
  if (type != fxp::kInit) w.U32(id);
  b.insert(b.end(), body.begin(), body.end());
  w.End(at);
  return b;
}

void RunOne(FuzzTree& tree, const uint8_t* data, size_t size) {
  Bytes in;
  const uint8_t init_body[] = {0, 0, 0, 3};  // version 3
  Bytes init = Frame(fxp::kInit, 0, init_body);
  in.insert(in.end(), init.begin(), init.end());
  std::vector<uint32_t> ids;
  size_t pos = 0;
  while (pos + 3 <= size && ids.size() < kMaxRequests) {
    const uint8_t type = data[pos];
    size_t len = size_t(data[pos + 1]) << 8 | data[pos + 2];
    pos += 3;
    if (len > size - pos) len = size - pos;
    if (type == fxp::kInit) {  // a second INIT is a framing-level matter
      pos += len;
      continue;
    }
    const uint32_t id = uint32_t(ids.size() + 1);
    Bytes p = Frame(type, id, {data + pos, len});
    in.insert(in.end(), p.begin(), p.end());
    ids.push_back(id);
    pos += len;
  }

  CheckingAudit audit;
  std::vector<ReplyHead> replies;
  {
    Session session(tree.exports(), audit, "fuzz");
    size_t done = 0;
    for (int rounds = 0; done < in.size(); ++rounds) {
      Check(rounds < 10000, "the session stopped consuming its input");
      Result<size_t> n = session.Process({in.data() + done, in.size() - done});
      Check(n.ok(), "a correctly framed request broke the session");
      done += *n;
      for (const ReplyHead& r : SplitReplies(session.output())) {
        replies.push_back(r);
      }
      session.output().clear();
    }
  }
  Check(!replies.empty() && replies[0].type == fxp::kVersionReply,
        "INIT did not get VERSION first");
  Check(replies.size() == ids.size() + 1, "not one reply per request");
  for (size_t i = 0; i < ids.size(); ++i) {
    Check(replies[i + 1].id == ids[i], "a reply with another request's id");
    Check(replies[i + 1].type >= fxp::kStatus, "a reply of a request type");
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
