#include "sftpd/engine/handles.h"

#include "sftpd/base/wire.h"

namespace sftpd {

int OpenHandle::fd() const {
  switch (kind) {
    case Kind::kFile:
      return file.get();
    case Kind::kDir:
      return dir->fd();
    case Kind::kVirtualRoot:
      return -1;
  }
  return -1;
}

std::optional<std::string> HandleTable::Add(OpenHandle h) {
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (s.handle) continue;
    s.handle = std::move(h);
    ++open_;
    Bytes wire;
    Writer w(wire);
    w.U32(uint32_t(i));
    w.U32(s.generation);
    return std::string(wire.begin(), wire.end());
  }
  return std::nullopt;
}

HandleTable::Slot* HandleTable::Lookup(std::string_view wire) {
  if (wire.size() != kHandleBytes) return nullptr;
  const auto* p = reinterpret_cast<const uint8_t*>(wire.data());
  uint32_t slot = LoadU32(p), generation = LoadU32(p + 4);
  if (slot >= slots_.size()) return nullptr;
  Slot& s = slots_[slot];
  if (!s.handle || s.generation != generation) return nullptr;
  return &s;
}

OpenHandle* HandleTable::Find(std::string_view wire) {
  Slot* s = Lookup(wire);
  return s ? &*s->handle : nullptr;
}

std::optional<OpenHandle> HandleTable::Remove(std::string_view wire) {
  Slot* s = Lookup(wire);
  if (s == nullptr) return std::nullopt;
  std::optional<OpenHandle> out = std::move(s->handle);
  s->handle.reset();
  ++s->generation;
  --open_;
  return out;
}

}  // namespace sftpd
