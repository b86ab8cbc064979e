#include "sftpd/daemon/listen.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <set>

namespace sftpd {

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress a;
  std::string_view port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() ||
        text[close + 1] != ':') {
      return Error{"listen address " + std::string(text) +
                   ": expected [address]:port"};
    }
    a.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Error{"listen address " + std::string(text) + ": no port"};
    }
    a.host = std::string(text.substr(0, colon));
    if (a.host.find(':') != std::string::npos) {
      return Error{"listen address " + std::string(text) +
                   ": an IPv6 address needs brackets"};
    }
    port = text.substr(colon + 1);
  }
  if (a.host.empty()) {
    return Error{"listen address " + std::string(text) + ": empty host"};
  }
  auto [end, ec] =
      std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (ec != std::errc() || end != port.data() + port.size() || a.port < 1 ||
      a.port > 65535) {
    return Error{"listen address " + std::string(text) +
                 ": port must be 1..65535"};
  }
  return a;
}

bool SameListenAddresses(const std::vector<std::string>& a,
                         const std::vector<std::string>& b) {
  auto canonical = [](const std::vector<std::string>& list) {
    std::set<std::string> out;
    for (const std::string& text : list) {
      Result<ListenAddress> l = ParseListenAddress(text);
      if (!l) {
        out.insert(text);
        continue;
      }
      std::string host = l->host;
      unsigned char bytes[sizeof(in6_addr)];
      char buf[INET6_ADDRSTRLEN];
      if (inet_pton(AF_INET, host.c_str(), bytes) == 1) {
        host = inet_ntop(AF_INET, bytes, buf, sizeof buf);
      } else if (inet_pton(AF_INET6, host.c_str(), bytes) == 1) {
        host = "[" + std::string(inet_ntop(AF_INET6, bytes, buf, sizeof buf)) +
               "]";
      }
      out.insert(host + ":" + std::to_string(l->port));
    }
    return out;
  };
  return canonical(a) == canonical(b);
}

Rights ListenerFilter(const Config& config) {
  Rights r;
  for (const auto* list : {&config.users, &config.groups}) {
    for (const Grant& g : *list) {
      r.found = true;
      if (g.allow_from.empty()) r.any_address = true;
      r.allow_from.insert(r.allow_from.end(), g.allow_from.begin(),
                          g.allow_from.end());
    }
  }
  return r;
}

Result<Fd> Listen(const std::string& text) {
  Result<ListenAddress> a = ParseListenAddress(text);
  if (!a) return Error{a.error()};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(a->port);
  if (int rc = getaddrinfo(a->host.c_str(), port.c_str(), &hints, &res)) {
    return Error{"listen " + text + ": " + gai_strerror(rc)};
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, freeaddrinfo);
  Fd fd(socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Error{"socket: " + std::string(strerror(errno))};
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // [::] and 0.0.0.0 are separate entries; each socket serves its family.
  if (res->ai_family == AF_INET6) {
    setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  if (bind(fd.get(), res->ai_addr, res->ai_addrlen) != 0 ||
      listen(fd.get(), 128) != 0) {
    return Error{"listen " + text + ": " + strerror(errno)};
  }
  return fd;
}

Peer PeerOf(const sockaddr_storage& ss) {
  Peer peer;
  char host[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    peer.port = ntohs(in->sin_port);
    peer.text = std::string(host) + ":" + std::to_string(peer.port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    peer.port = ntohs(in6->sin6_port);
    peer.text = "[" + std::string(host) + "]:" + std::to_string(peer.port);
  }
  peer.address = Address::Parse(host);
  return peer;
}

}  // namespace sftpd
