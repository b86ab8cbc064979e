// [server], [auth], [audit] and [defender].
#include <algorithm>
#include <string>

#include "config/parser.h"

namespace sftpd::config_internal {
namespace {

std::string ListenProblem(const std::string& v) {
  const std::string usage =
      "'" + v + "' is not address:port (e.g. \"0.0.0.0:22\" or \"[::]:22\")";
  const size_t colon = v.rfind(':');
  if (colon == std::string::npos) return usage;
  const std::string host = v.substr(0, colon);
  const std::string port = v.substr(colon + 1);
  if (!Address::Parse(host)) return usage;
  // An unbracketed IPv6 address makes the port ambiguous ("::1:22").
  if (host.find(':') != std::string::npos && host.front() != '[') {
    return usage;
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(),
                   [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(port) < 1 || std::stoi(port) > 65535) {
    return "port '" + port + "' in '" + v + "' is not 1..65535";
  }
  return "";
}

// "start:rate:full" as three numbers, or nullopt when it is not three
// decimal numbers of at most 5 digits (so none overflows) between colons.
std::optional<std::array<int, 3>> SplitStartups(const std::string& text) {
  std::array<int, 3> parts = {0, 0, 0};
  size_t field = 0, digits = 0;
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (c == ':' && digits > 0 && field < 2) {
      ++field;
      digits = 0;
    } else if (c >= '0' && c <= '9' && digits < 5) {
      parts[field] = parts[field] * 10 + (c - '0');
      ++digits;
    } else {
      return std::nullopt;
    }
  }
  if (field != 2 || digits == 0) return std::nullopt;
  return parts;
}

}  // namespace

ServerSection Parser::ParseServer(const toml::table& t) {
  ServerSection s;
  CheckKeys(t, "server", kServerKeys);
  if (auto listen = GetStrings(t, "listen", "server")) {
    for (const Item& i : *listen) {
      if (std::string why = ListenProblem(i.value); !why.empty()) {
        Fail(i.node->source(), i.key, why);
      }
    }
    if (listen->empty()) {
      Fail(t.get("listen")->source(), "server.listen",
           "must name at least one address:port");
    }
    s.listen = Values(*listen);
  }
  if (auto keys = GetStrings(t, "host_keys", "server")) {
    for (const Item& i : *keys) {
      if (i.value.empty() || i.value.front() != '/') {
        Fail(i.node->source(), i.key,
             "'" + i.value + "' is not an absolute path");
      }
    }
    s.host_keys = Values(*keys);
  }
  if (auto from = GetCidrs(t, "proxy_from", "server")) {
    s.proxy_from = std::move(*from);
  }
  if (auto path = GetString(t, "control_socket", "server")) {
    // sockaddr_un holds 107 bytes and a NUL.
    if (!path->empty() && (path->front() != '/' || path->size() > 107)) {
      Fail(t.get("control_socket")->source(), "server.control_socket",
           "'" + *path +
               "' is not an absolute path of at most 107 bytes (or \"\" "
               "for none)");
    }
    s.control_socket = *path;
  }
  GetInts(t, "server", kServerInts, s);
  ParseStartups(t, s);
  if (auto v = GetAlgorithms(t, "kex", "server", kAllowedKex)) s.kex = *v;
  if (auto v = GetAlgorithms(t, "ciphers", "server", kAllowedCiphers)) {
    s.ciphers = *v;
  }
  if (auto v = GetAlgorithms(t, "macs", "server", kAllowedMacs)) s.macs = *v;
  if (auto v = GetAlgorithms(t, "host_key_algorithms", "server",
                             kAllowedHostKeyAlgorithms)) {
    s.host_key_algorithms = *v;
  }
  return s;
}

// [server] max_startups: an integer N (N:100:N), or OpenSSH's
// "start:rate:full".
void Parser::ParseStartups(const toml::table& t, ServerSection& s) {
  const toml::node* n = t.get("max_startups");
  if (n == nullptr) return;
  const std::string key = "server.max_startups";
  const std::string range = "1.." + std::to_string(kMaxStartups);
  if (const auto* i = n->as_integer()) {
    const int64_t v = i->get();
    if (v < 1 || v > kMaxStartups) {
      Fail(n->source(), key, "must be " + range + ", got " + std::to_string(v));
      return;
    }
    s.max_startups = s.max_startups_begin = static_cast<int>(v);
    s.max_startups_rate = 100;
    return;
  }
  const auto* str = n->as_string();
  if (str == nullptr) {
    WrongType(*n, key, "an integer or a \"start:rate:full\" string");
    return;
  }
  const std::string& text = str->get();
  const std::optional<std::array<int, 3>> parts = SplitStartups(text);
  if (!parts) {
    Fail(n->source(), key,
         "'" + text +
             "' is not \"start:rate:full\" (e.g. \"10:30:100\"); a plain "
             "cap is an integer");
    return;
  }
  const auto [begin, rate, full] = *parts;
  if (full < 1 || full > kMaxStartups) {
    Fail(n->source(), key,
         "full must be " + range + ", got " + std::to_string(full));
  } else if (begin < 1 || begin > full) {
    Fail(n->source(), key,
         "start must be 1..full (" + std::to_string(full) + "), got " +
             std::to_string(begin));
  } else if (rate < 1 || rate > 100) {
    Fail(n->source(), key,
         "rate must be 1..100 (a percentage), got " + std::to_string(rate));
  } else {
    s.max_startups_begin = begin;
    s.max_startups_rate = rate;
    s.max_startups = full;
  }
}

AuthSection Parser::ParseAuth(const toml::table& t) {
  AuthSection a;
  CheckKeys(t, "auth", kAuthKeys);
  if (auto methods = GetStrings(t, "methods", "auth")) {
    for (const Item& i : *methods) {
      if (std::find(kAuthMethods.begin(), kAuthMethods.end(), i.value) ==
          kAuthMethods.end()) {
        Fail(i.node->source(), i.key,
             "unknown method '" + i.value +
                 "' (known: publickey, password, keyboard-interactive)" +
                 Hint(i.value, kAuthMethods));
      }
    }
    if (methods->empty()) {
      Fail(t.get("methods")->source(), "auth.methods",
           "must name at least one method, or nobody can log in");
    }
    a.methods = Values(*methods);
  }
  if (auto files = GetStrings(t, "authorized_keys", "auth")) {
    for (const Item& i : *files) {
      auto pattern = ParsePathPattern(i.value);
      if (!pattern) Fail(i.node->source(), i.key, pattern.error());
    }
    a.authorized_keys = Values(*files);
  }
  GetInts(t, "auth", kAuthInts, a);
  return a;
}

AuditSection Parser::ParseAudit(const toml::table& t) {
  AuditSection a;
  CheckKeys(t, "audit", kAuditKeys);
  if (auto log = GetString(t, "log", "audit")) {
    if (!log->empty() && log->front() != '/') {
      Fail(t.get("log")->source(), "audit.log",
           "'" + *log + "' is not an absolute path (or \"\" for none)");
    }
    a.log = *log;
  }
  if (auto syslog = GetBool(t, "syslog", "audit")) a.syslog = *syslog;
  if (auto mode = GetString(t, "on_failure", "audit")) {
    if (*mode == "continue") {
      a.on_failure = AuditFailure::kContinue;
    } else if (*mode == "refuse") {
      a.on_failure = AuditFailure::kRefuse;
    } else {
      Fail(t.get("on_failure")->source(), "audit.on_failure",
           "on_failure must be \"continue\" or \"refuse\", got \"" + *mode +
               "\"");
    }
  }
  return a;
}

DefenderSection Parser::ParseDefender(const toml::table& t) {
  DefenderSection d;
  CheckKeys(t, "defender", kDefenderKeys);
  if (auto enabled = GetBool(t, "enabled", "defender")) d.enabled = *enabled;
  GetInts(t, "defender", kDefenderInts, d);
  const toml::node* wide = t.get("ipv6_wide_prefix");
  const toml::node* narrow = t.get("ipv6_prefix");
  // Each as read, or absent; a value refused above is not checked again.
  const auto taken = [](const toml::node* n, int field) {
    return n == nullptr || n->value<int64_t>() == std::optional<int64_t>(field);
  };
  if (d.ipv6_wide_prefix > d.ipv6_prefix && taken(wide, d.ipv6_wide_prefix) &&
      taken(narrow, d.ipv6_prefix)) {
    // Pointed at the one set later in the file (the other may be a default).
    const bool at_wide = wide != nullptr &&
                         (narrow == nullptr || wide->source().begin.line >=
                                                   narrow->source().begin.line);
    const std::string why =
        "ipv6_wide_prefix (/" + std::to_string(d.ipv6_wide_prefix) +
        (wide ? "" : ", the default") + ") must be at most ipv6_prefix (/" +
        std::to_string(d.ipv6_prefix) + (narrow ? "" : ", the default") + ")";
    Fail((at_wide ? wide : narrow)->source(),
         at_wide ? "defender.ipv6_wide_prefix" : "defender.ipv6_prefix", why);
  }
  if (d.ipv6_wide_networks == 1) {
    Fail(t.get("ipv6_wide_networks")->source(), "defender.ipv6_wide_networks",
         "must be 0 (no wide bans) or 2..10000, got 1 (the first network to "
         "offend would ban its whole ipv6_wide_prefix)");
  }
  if (auto never = GetCidrs(t, "never_ban", "defender")) {
    d.never_ban = std::move(*never);
  }
  return d;
}

}  // namespace sftpd::config_internal
