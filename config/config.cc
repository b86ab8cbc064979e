#include "config/config.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <utility>

namespace sftpd {
namespace {

// The id of the Unix group `name`, if there is one.
std::optional<gid_t> GroupId(const std::string& name) {
  if (name.empty()) return std::nullopt;
  // A group with many members needs a larger buffer: grown up to 1 MiB.
  for (size_t size = 16384; size <= (size_t{1} << 20); size *= 4) {
    struct group gr {};
    struct group* found = nullptr;
    std::vector<char> buf(size);
    int rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
    if (rc == ERANGE) continue;
    if (rc != 0 || found == nullptr) return std::nullopt;
    return found->gr_gid;
  }
  return std::nullopt;
}

// A config is a page of text; anything this large is a mistake (or /dev/zero).
constexpr size_t kMaxConfigBytes = size_t{1} << 20;
// Names and keys longer than this get no "did you mean" hint (the edit
// distance is quadratic).
constexpr size_t kMaxHintLength = 64;
constexpr size_t kMaxNameLength = 255;
constexpr int64_t kMaxUmask = 0777;

constexpr std::array<std::string_view, 8> kTopKeys = {
    "server", "auth",    "audit", "defender",
    "policy", "exports", "users", "groups"};
constexpr std::array<std::string_view, 14> kServerKeys = {
    "listen",
    "control_socket",
    "host_keys",
    "max_startups",
    "max_startups_per_address",
    "max_connections",
    "max_connections_per_address",
    "max_sessions_per_user",
    "max_channels_per_connection",
    "idle_timeout",
    "kex",
    "ciphers",
    "macs",
    "host_key_algorithms"};
constexpr std::array<std::string_view, 4> kAuthKeys = {
    "methods", "authorized_keys", "login_grace_time", "max_tries"};
constexpr std::array<std::string_view, 3> kAuditKeys = {"log", "syslog",
                                                        "on_failure"};
constexpr std::array<std::string_view, 9> kDefenderKeys = {
    "enabled",          "threshold",          "observation_time",
    "ban_time",         "score_failed_login", "score_invalid_user",
    "score_no_auth",    "score_over_limit",   "never_ban"};
constexpr std::array<std::string_view, 1> kPolicyKeys = {"audit_writes"};
constexpr std::array<std::string_view, 6> kExportKeys = {
    "path", "access", "owner_only", "umask", "atomic_uploads", "group"};
constexpr std::array<std::string_view, 2> kGrantKeys = {"exports",
                                                        "allow_from"};
constexpr std::array<std::string_view, 3> kAuthMethods = {
    "publickey", "password", "keyboard-interactive"};

// An integer key of a section, the field it sets and its inclusive range.
template <typename Section>
struct IntKey {
  std::string_view key;
  int Section::*field;
  int min;
  int max;
};

// max_startups is an integer or "start:rate:full" (ParseStartups).
constexpr int kMaxStartups = 10000;
constexpr std::array<IntKey<ServerSection>, 6> kServerInts = {{
    {"max_startups_per_address", &ServerSection::max_startups_per_address, 1,
     kMaxStartups},
    {"max_connections", &ServerSection::max_connections, 1, 100000},
    {"max_connections_per_address", &ServerSection::max_connections_per_address,
     1, 100000},
    {"max_sessions_per_user", &ServerSection::max_sessions_per_user, 1, 100000},
    {"max_channels_per_connection", &ServerSection::max_channels_per_connection,
     1, 100},
    {"idle_timeout", &ServerSection::idle_timeout, 0, 604800},
}};
constexpr std::array<IntKey<AuthSection>, 2> kAuthInts = {{
    {"login_grace_time", &AuthSection::login_grace_time, 1, 3600},
    {"max_tries", &AuthSection::max_tries, 1, 100},
}};

constexpr std::array<IntKey<DefenderSection>, 7> kDefenderInts = {{
    {"threshold", &DefenderSection::threshold, 1, 10000},
    {"observation_time", &DefenderSection::observation_time, 1, 86400},
    {"ban_time", &DefenderSection::ban_time, 1, 604800},
    {"score_failed_login", &DefenderSection::score_failed_login, 0, 10000},
    {"score_invalid_user", &DefenderSection::score_invalid_user, 0, 10000},
    {"score_no_auth", &DefenderSection::score_no_auth, 0, 10000},
    {"score_over_limit", &DefenderSection::score_over_limit, 0, 10000},
}};

template <typename Range>
std::string JoinNames(const Range& names) {
  std::string out;
  for (std::string_view n : names) {
    out += (out.empty() ? "" : ", ") + std::string(n);
  }
  return out;
}

// Optimal string alignment distance: a swapped pair of letters counts as one
// edit, the commonest typo in key names.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1,
                                     std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// "; did you mean 'access'?" for the closest candidate, or "".
template <typename Range>
std::string Hint(std::string_view wrong, const Range& candidates) {
  if (wrong.size() > kMaxHintLength) return "";
  std::string_view best;
  size_t best_distance = 0;
  for (std::string_view c : candidates) {
    if (c.size() > kMaxHintLength) continue;
    const size_t d = EditDistance(wrong, c);
    const size_t limit = std::max<size_t>(1, c.size() / 3);
    if (d <= limit && (best.empty() || d < best_distance)) {
      best = c;
      best_distance = d;
    }
  }
  if (best.empty()) return "";
  return "; did you mean '" + std::string(best) + "'?";
}

bool IsBareKey(std::string_view k) {
  return !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Dotted key as the admin would write it in TOML ("exports.\"a.b\".path").
std::string Dotted(std::string_view prefix, std::string_view key) {
  std::string part =
      IsBareKey(key) ? std::string(key) : "\"" + std::string(key) + "\"";
  if (prefix.empty()) return part;
  return std::string(prefix) + "." + part;
}

std::string Indexed(const std::string& key, size_t i) {
  return key + "[" + std::to_string(i) + "]";
}

std::string TypeName(toml::node_type t) {
  switch (t) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

bool IsNameChar(char c, bool allow_at) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
         (allow_at && c == '@');
}

// Export names become a directory name in the client's view.
std::string ExportNameProblem(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || name == "." ||
      name == ".." || !std::all_of(name.begin(), name.end(), [](char c) {
        return IsNameChar(c, false);
      })) {
    return "export name '" + std::string(name) +
           "' must be a single path component of letters, digits, '.', "
           "'_' or '-' (not '.' or '..')";
  }
  return "";
}

// User and group names end up in sshd Match lines and AppArmor hat names,
// where blanks, commas, quotes or a leading '-' would change the meaning.
std::string AccountNameProblem(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > kMaxNameLength || name.front() == '-' ||
      !std::all_of(name.begin(), name.end(),
                   [](char c) { return IsNameChar(c, true); })) {
    return std::string(what) + " name '" + std::string(name) +
           "' must be letters, digits, '.', '_', '-' or '@', not starting "
           "with '-'";
  }
  return "";
}

// An export or key-file path with %u / %h / %% escapes, checked before use.
struct PathPattern {
  // The leading directories without %u or %h, escapes undone; must exist.
  // Empty when the pattern starts with %h (the home is known only at login).
  std::string fixed;
};

Result<PathPattern> ParsePathPattern(std::string_view p) {
  const bool from_home = p.substr(0, 2) == "%h";
  if (p.empty() || (p.front() != '/' && !from_home)) {
    return Error{"'" + std::string(p) +
                 "' is not an absolute path (nor does it start with %h)"};
  }
  PathPattern out;
  bool dynamic = from_home;
  size_t start = 0;
  while (start <= p.size()) {
    const size_t end = std::min(p.find('/', start), p.size());
    const std::string_view part = p.substr(start, end - start);
    start = end + 1;
    if (part == "." || part == "..") {
      return Error{"'" + std::string(p) +
                   "' must not have '.' or '..' components"};
    }
    std::string literal;
    for (size_t i = 0; i < part.size(); ++i) {
      if (part[i] != '%') {
        literal += part[i];
        continue;
      }
      const char next = i + 1 < part.size() ? part[i + 1] : '\0';
      ++i;
      if (next == 'u' || next == 'h') {
        dynamic = true;
      } else if (next == '%') {
        literal += '%';
      } else {
        return Error{"'" + std::string(p) +
                     "' has an unknown escape; only %u (user), %h (home) "
                     "and %% are known"};
      }
    }
    if (!dynamic && !part.empty()) out.fixed += "/" + literal;
  }
  if (!from_home && out.fixed.empty()) out.fixed = "/";
  return out;
}

using Entry = std::pair<const toml::key*, const toml::node*>;

// toml::table iterates in key order; the Config keeps the file's order.
std::vector<Entry> InFileOrder(const toml::table& t) {
  std::vector<Entry> out;
  for (const auto& [k, v] : t) out.emplace_back(&k, &v);
  std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return std::pair(pa.line, pa.column) < std::pair(pb.line, pb.column);
  });
  return out;
}

// Turns a parsed document into a Config, noting every problem on the way.
// One instance per document; not thread-safe.
class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  Config Parse(const toml::table& root) {
    Config c;
    c.source = source_;
    CheckKeys(root, "", kTopKeys);
    if (const toml::table* t = SubTable(root, "server", "")) {
      c.server = ParseServer(*t);
    }
    if (const toml::table* t = SubTable(root, "auth", "")) {
      c.auth = ParseAuth(*t);
    }
    if (const toml::table* t = SubTable(root, "audit", "")) {
      c.audit = ParseAudit(*t);
    }
    if (const toml::table* t = SubTable(root, "defender", "")) {
      c.defender = ParseDefender(*t);
    }
    if (const toml::table* t = SubTable(root, "policy", "")) {
      CheckKeys(*t, "policy", kPolicyKeys);
      if (auto w = GetBool(*t, "audit_writes", "policy")) {
        c.policy.audit_writes = *w;
      }
    }
    // Export names are collected first so users and groups can refer to
    // exports defined further down, and a broken export is still "known"
    // (no second error for every user that lists it).
    std::vector<std::string> export_names;
    if (const toml::table* t = SubTable(root, "exports", "")) {
      for (const auto& [k, v] : InFileOrder(*t)) {
        export_names.emplace_back(k->str());
      }
      c.exports = ParseExports(*t);
    }
    if (const toml::table* t = SubTable(root, "users", "")) {
      c.users = ParseGrants(*t, "users", "user", export_names);
    }
    if (const toml::table* t = SubTable(root, "groups", "")) {
      c.groups = ParseGrants(*t, "groups", "group", export_names);
    }
    return c;
  }

  std::vector<ConfigError> TakeErrors() { return std::move(errors_); }

 private:
  void Fail(const toml::source_region& where, std::string key,
            std::string message) {
    errors_.push_back(ConfigError{source_, static_cast<int>(where.begin.line),
                                  static_cast<int>(where.begin.column),
                                  std::move(key), std::move(message)});
  }

  void WrongType(const toml::node& n, std::string key, std::string_view want) {
    Fail(n.source(), std::move(key),
         "expected " + std::string(want) + ", got " + TypeName(n.type()));
  }

  template <size_t N>
  void CheckKeys(const toml::table& t, const std::string& prefix,
                 const std::array<std::string_view, N>& allowed) {
    for (const auto& [k, v] : InFileOrder(t)) {
      const std::string_view name = k->str();
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
        continue;
      }
      Fail(k->source(), Dotted(prefix, name),
           "unknown key" + Hint(name, allowed));
    }
  }

  // The table at parent[key], or nullptr if absent or not a table (noted).
  const toml::table* SubTable(const toml::table& parent, std::string_view key,
                              const std::string& prefix) {
    const toml::node* n = parent.get(key);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) {
      WrongType(*n, Dotted(prefix, key), "a table");
      return nullptr;
    }
    return n->as_table();
  }

  void Missing(const toml::table& t, const std::string& prefix,
               std::string_view key) {
    Fail(t.source(), Dotted(prefix, key),
         "missing required key '" + std::string(key) + "'");
  }

  std::optional<std::string> GetString(const toml::table& t,
                                       std::string_view key,
                                       const std::string& prefix) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    if (const auto* s = n->as_string()) {
      if (HasNul(*s, Dotted(prefix, key))) return std::nullopt;
      return s->get();
    }
    WrongType(*n, Dotted(prefix, key), "a string");
    return std::nullopt;
  }

  // TOML allows "\u0000"; every string here ends up a C string (a path, a
  // name), where a NUL would silently cut it short: noted as an error.
  bool HasNul(const toml::value<std::string>& s, const std::string& key) {
    if (s.get().find('\0') == std::string::npos) return false;
    Fail(s.source(), key, "holds a NUL byte");
    return true;
  }

  std::optional<bool> GetBool(const toml::table& t, std::string_view key,
                              const std::string& prefix) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    if (const auto* b = n->as_boolean()) return b->get();
    WrongType(*n, Dotted(prefix, key), "a boolean");
    return std::nullopt;
  }

  // Sets section.*field for each key of `keys` present in `t` as a TOML
  // integer within the key's range; anything else is noted and leaves the
  // default.
  template <typename Section, size_t N>
  void GetInts(const toml::table& t, const std::string& prefix,
               const std::array<IntKey<Section>, N>& keys, Section& section) {
    for (const IntKey<Section>& k : keys) {
      const toml::node* n = t.get(k.key);
      if (n == nullptr) continue;
      const std::string dotted = Dotted(prefix, k.key);
      const auto* i = n->as_integer();
      if (i == nullptr) {
        WrongType(*n, dotted, "an integer");
        continue;
      }
      const int64_t v = i->get();
      if (v < k.min || v > k.max) {
        Fail(n->source(), dotted,
             "must be " + std::to_string(k.min) + ".." + std::to_string(k.max) +
                 ", got " + std::to_string(v));
        continue;
      }
      section.*k.field = static_cast<int>(v);
    }
  }

  // Each string with where it stood, so later checks can point at it.
  struct Item {
    std::string value;
    const toml::node* node;
    std::string key;
  };

  // nullopt when absent or not an array; elements of the wrong type are noted
  // and left out.
  std::optional<std::vector<Item>> GetStrings(const toml::table& t,
                                              std::string_view key,
                                              const std::string& prefix) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    const std::string dotted = Dotted(prefix, key);
    const toml::array* a = n->as_array();
    if (a == nullptr) {
      WrongType(*n, dotted, "an array of strings");
      return std::nullopt;
    }
    std::vector<Item> out;
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::node& e = *a->get(i);
      if (const auto* s = e.as_string()) {
        if (HasNul(*s, Indexed(dotted, i))) continue;
        out.push_back(Item{s->get(), &e, Indexed(dotted, i)});
      } else {
        WrongType(e, Indexed(dotted, i), "a string");
      }
    }
    return out;
  }

  // An array of addresses and CIDR blocks; bad ones are noted and left out.
  std::optional<std::vector<Cidr>> GetCidrs(const toml::table& t,
                                            std::string_view key,
                                            const std::string& prefix) {
    auto items = GetStrings(t, key, prefix);
    if (!items) return std::nullopt;
    std::vector<Cidr> out;
    for (const Item& i : *items) {
      Result<Cidr> cidr = Cidr::Parse(i.value);
      if (cidr) {
        out.push_back(*cidr);
      } else {
        Fail(i.node->source(), i.key, cidr.error());
      }
    }
    return out;
  }

  static std::vector<std::string> Values(const std::vector<Item>& items) {
    std::vector<std::string> out;
    for (const Item& i : items) out.push_back(i.value);
    return out;
  }

  // An SSH algorithm list: a non-empty subset of `allowed`, each name once,
  // order kept (it is the order of preference). nullopt when absent or not
  // an array; bad names are noted.
  template <size_t N>
  std::optional<std::vector<std::string>> GetAlgorithms(
      const toml::table& t, std::string_view key, const std::string& prefix,
      const std::array<std::string_view, N>& allowed) {
    auto items = GetStrings(t, key, prefix);
    if (!items) return std::nullopt;
    for (size_t i = 0; i < items->size(); ++i) {
      const Item& item = (*items)[i];
      if (std::find(allowed.begin(), allowed.end(), item.value) ==
          allowed.end()) {
        Fail(item.node->source(), item.key,
             "'" + item.value + "' is not allowed (allowed: " +
                 JoinNames(allowed) + ")" + Hint(item.value, allowed));
        continue;
      }
      for (size_t j = 0; j < i; ++j) {
        if ((*items)[j].value == item.value) {
          Fail(item.node->source(), item.key,
               "'" + item.value + "' is listed twice (also " + (*items)[j].key +
                   ")");
          break;
        }
      }
    }
    if (t.get(key)->as_array()->empty()) {
      Fail(t.get(key)->source(), Dotted(prefix, key),
           "must name at least one of: " + JoinNames(allowed));
    }
    return Values(*items);
  }

  ServerSection ParseServer(const toml::table& t) {
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
  void ParseStartups(const toml::table& t, ServerSection& s) {
    const toml::node* n = t.get("max_startups");
    if (n == nullptr) return;
    const std::string key = "server.max_startups";
    const std::string range = "1.." + std::to_string(kMaxStartups);
    if (const auto* i = n->as_integer()) {
      const int64_t v = i->get();
      if (v < 1 || v > kMaxStartups) {
        Fail(n->source(), key,
             "must be " + range + ", got " + std::to_string(v));
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
    // Three decimal numbers of at most 5 digits, so none overflows.
    int parts[3] = {0, 0, 0};
    size_t field = 0, digits = 0;
    bool ok = !text.empty();
    for (char c : text) {
      if (c == ':' && digits > 0 && field < 2) {
        ++field;
        digits = 0;
      } else if (c >= '0' && c <= '9' && digits < 5) {
        parts[field] = parts[field] * 10 + (c - '0');
        ++digits;
      } else {
        ok = false;
        break;
      }
    }
    if (!ok || field != 2 || digits == 0) {
      Fail(n->source(), key,
           "'" + text +
               "' is not \"start:rate:full\" (e.g. \"10:30:100\"); a plain "
               "cap is an integer");
      return;
    }
    const auto [begin, rate, full] = parts;
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

  static std::string ListenProblem(const std::string& v) {
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

  AuthSection ParseAuth(const toml::table& t) {
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

  AuditSection ParseAudit(const toml::table& t) {
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

  DefenderSection ParseDefender(const toml::table& t) {
    DefenderSection d;
    CheckKeys(t, "defender", kDefenderKeys);
    if (auto enabled = GetBool(t, "enabled", "defender")) d.enabled = *enabled;
    GetInts(t, "defender", kDefenderInts, d);
    if (auto never = GetCidrs(t, "never_ban", "defender")) {
      d.never_ban = std::move(*never);
    }
    return d;
  }

  std::vector<Export> ParseExports(const toml::table& exports) {
    std::vector<Export> out;
    std::vector<toml::source_region> path_at;  // beside `out`, for messages
    for (const auto& [k, v] : InFileOrder(exports)) {
      const std::string name(k->str());
      const std::string prefix = Dotted("exports", name);
      if (std::string why = ExportNameProblem(name); !why.empty()) {
        Fail(k->source(), prefix, why);
      }
      if (!v->is_table()) {
        WrongType(*v, prefix, "a table");
        continue;
      }
      const toml::table& t = *v->as_table();
      CheckKeys(t, prefix, kExportKeys);
      Export e;
      e.name = name;
      e.line = static_cast<int>(t.source().begin.line);
      if (auto path = GetString(t, "path", prefix)) {
        e.path = *path;
        CheckExportPath(*path, t.get("path")->source(), Dotted(prefix, "path"));
      } else if (t.get("path") == nullptr) {
        Missing(t, prefix, "path");
      }
      if (auto access = GetString(t, "access", prefix)) {
        if (*access == "rw") {
          e.access = Access::kReadWrite;
        } else if (*access == "ro") {
          e.access = Access::kReadOnly;
        } else {
          Fail(t.get("access")->source(), Dotted(prefix, "access"),
               "access must be \"rw\" or \"ro\", got \"" + *access + "\"");
        }
      }
      if (auto owner_only = GetBool(t, "owner_only", prefix)) {
        e.owner_only = *owner_only;
      }
      if (auto atomic = GetBool(t, "atomic_uploads", prefix)) {
        e.atomic_uploads = *atomic;
      }
      if (const toml::node* n = t.get("umask")) {
        if (auto mask = ParseUmask(*n, Dotted(prefix, "umask"))) {
          e.umask = *mask;
        }
      }
      if (auto group = GetString(t, "group", prefix); group && !group->empty()) {
        if (std::optional<gid_t> gid = GroupId(*group)) {
          e.group = *group;
          e.group_id = *gid;
        } else {
          Fail(t.get("group")->source(), Dotted(prefix, "group"),
               "no Unix group \"" + *group +
                   "\" (getent group); a group share needs one its users "
                   "are members of");
        }
      }
      path_at.push_back(t.get("path") ? t.get("path")->source() : t.source());
      out.push_back(std::move(e));
    }
    CheckNesting(out, path_at);
    return out;
  }

  // A read-only tree at or below a read-write one can be changed through
  // the read-write export (and Landlock's rights add up along a path), so
  // the "ro" would be a promise not kept. Paths with %u/%h are checked per
  // session, when they are known.
  void CheckNesting(const std::vector<Export>& exports,
                    const std::vector<toml::source_region>& path_at) {
    auto fixed = [](const std::string& p) {
      return p.find('%') == std::string::npos;
    };
    auto trimmed = [](std::string_view p) {
      while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
      return p;
    };
    for (size_t i = 0; i < exports.size(); ++i) {
      const Export& ro = exports[i];
      if (ro.access != Access::kReadOnly || !fixed(ro.path)) continue;
      std::string_view inner = trimmed(ro.path);
      for (const Export& rw : exports) {
        if (rw.access != Access::kReadWrite || !fixed(rw.path)) continue;
        std::string_view outer = trimmed(rw.path);
        bool below =
            inner == outer || outer == "/" ||
            (inner.substr(0, outer.size()) == outer &&
             inner.size() > outer.size() && inner[outer.size()] == '/');
        if (!below) continue;
        Fail(path_at[i], Dotted(Dotted("exports", ro.name), "path"),
             "read-only export lies inside read-write export '" + rw.name +
                 "' (" + rw.path + "), which could change it");
      }
    }
  }

  void CheckExportPath(const std::string& path,
                       const toml::source_region& where,
                       const std::string& key) {
    auto pattern = ParsePathPattern(path);
    if (!pattern) {
      Fail(where, key, pattern.error());
      return;
    }
    if (pattern->fixed.empty()) return;  // starts at %h: nothing fixed
    struct stat st {};
    const std::string needed =
        pattern->fixed == path ? "" : " (needed for " + path + ")";
    if (stat(pattern->fixed.c_str(), &st) != 0) {
      Fail(where, key, pattern->fixed + ": " + std::strerror(errno) + needed);
    } else if (!S_ISDIR(st.st_mode)) {
      Fail(where, key, pattern->fixed + " is not a directory" + needed);
    }
  }

  std::optional<mode_t> ParseUmask(const toml::node& n,
                                   const std::string& key) {
    const std::string usage =
        "umask must be octal 0..777, like 0o027 or \"027\"";
    if (const auto* i = n.as_integer()) {
      const int64_t v = i->get();
      if (v < 0 || v > kMaxUmask) {
        Fail(n.source(), key, usage);
        return std::nullopt;
      }
      // umask = 27 is decimal 27 (0o33), almost surely not what was meant.
      // The format is a 2-bit field (binary 1, octal 2, hex 3), not a bit.
      const auto format = static_cast<unsigned>(i->flags()) & 3u;
      if (v != 0 &&
          format != static_cast<unsigned>(toml::value_flags::format_as_octal)) {
        Fail(n.source(), key,
             "write the umask in octal, like 0o027 or \"027\" (" +
                 std::to_string(v) + " here is not octal)");
        return std::nullopt;
      }
      return static_cast<mode_t>(v);
    }
    if (const auto* s = n.as_string()) {
      const std::string& v = s->get();
      if (v.empty() || v.size() > 4 ||
          !std::all_of(v.begin(), v.end(),
                       [](char c) { return c >= '0' && c <= '7'; }) ||
          std::stoi(v, nullptr, 8) > kMaxUmask) {
        Fail(n.source(), key, usage + ", got \"" + v + "\"");
        return std::nullopt;
      }
      return static_cast<mode_t>(std::stoi(v, nullptr, 8));
    }
    WrongType(n, key, "an integer or a string");
    return std::nullopt;
  }

  std::vector<Grant> ParseGrants(const toml::table& grants,
                                 std::string_view section,
                                 std::string_view what,
                                 const std::vector<std::string>& export_names) {
    std::vector<Grant> out;
    for (const auto& [k, v] : InFileOrder(grants)) {
      const std::string name(k->str());
      const std::string prefix = Dotted(section, name);
      if (std::string why = AccountNameProblem(name, what); !why.empty()) {
        Fail(k->source(), prefix, why);
      }
      if (!v->is_table()) {
        WrongType(*v, prefix, "a table");
        continue;
      }
      const toml::table& t = *v->as_table();
      CheckKeys(t, prefix, kGrantKeys);
      Grant g;
      g.name = name;
      g.line = static_cast<int>(t.source().begin.line);
      if (auto exports = GetStrings(t, "exports", prefix)) {
        for (const Item& i : *exports) {
          if (std::find(export_names.begin(), export_names.end(), i.value) ==
              export_names.end()) {
            Fail(i.node->source(), i.key,
                 "no export named '" + i.value + "'" +
                     Hint(i.value, export_names));
          }
        }
        if (exports->empty()) {
          Fail(t.get("exports")->source(), Dotted(prefix, "exports"),
               "must name at least one export");
        }
        g.exports = Values(*exports);
      } else if (t.get("exports") == nullptr) {
        Missing(t, prefix, "exports");
      }
      if (auto from = GetCidrs(t, "allow_from", prefix)) {
        g.allow_from = std::move(*from);
      }
      out.push_back(std::move(g));
    }
    return out;
  }

  std::string source_;
  std::vector<ConfigError> errors_;
};

LoadResult Finish(std::optional<Config> config,
                  std::vector<ConfigError> errors) {
  LoadResult r;
  if (errors.empty()) {
    r.config = std::move(config);
    return r;
  }
  // File order reads best; errors about the whole file (line 0) come first.
  std::stable_sort(errors.begin(), errors.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return std::pair(a.line, a.column) <
                            std::pair(b.line, b.column);
                   });
  r.errors = std::move(errors);
  return r;
}

ConfigError FileError(const std::string& path, std::string message) {
  return ConfigError{path, 0, 0, "", std::move(message)};
}

std::string OctalMode(mode_t mode) {
  char buf[8];
  snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Parses and validates; every failure becomes a ConfigError, nothing throws.
LoadResult ParseWithErrors(std::string_view text, const std::string& source,
                           std::vector<ConfigError> errors) {
  try {
    toml::table root;
    try {
      root = toml::parse(text, std::string_view(source));
    } catch (const toml::parse_error& e) {
      errors.push_back(ConfigError{source,
                                   static_cast<int>(e.source().begin.line),
                                   static_cast<int>(e.source().begin.column),
                                   "", std::string(e.description())});
      return Finish(std::nullopt, std::move(errors));
    }
    Parser parser(source);
    Config config = parser.Parse(root);
    for (ConfigError& e : parser.TakeErrors()) errors.push_back(std::move(e));
    return Finish(std::move(config), std::move(errors));
  } catch (const std::exception& e) {
    errors.push_back(
        FileError(source, std::string("internal error: ") + e.what()));
    return Finish(std::nullopt, std::move(errors));
  }
}

}  // namespace

const Export* Config::FindExport(std::string_view name) const {
  for (const Export& e : exports) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string ConfigError::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  if (!key.empty()) out += (out.empty() ? "" : ": ") + key;
  out += (out.empty() ? "" : ": ") + message;
  return out;
}

LoadResult LoadConfig(const std::string& path) {
  std::vector<ConfigError> errors;
  const int fd =
      open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    errors.push_back(
        FileError(path, std::string("cannot open: ") + std::strerror(errno)));
    return Finish(std::nullopt, std::move(errors));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    errors.push_back(FileError(path, "not a regular file"));
    return Finish(std::nullopt, std::move(errors));
  }
  // Whoever can write this file decides who logs in and what they see.
  if (st.st_uid != 0) {
    errors.push_back(FileError(
        path,
        "owned by uid " + std::to_string(st.st_uid) +
            ", not root; only root may be able to change it (chown root)"));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    errors.push_back(FileError(
        path,
        "mode " + OctalMode(st.st_mode) +
            " lets group or others write it; only root may (chmod go-w)"));
  }
  std::string text;
  char buf[8192];
  bool too_large = false;
  bool read_failed = false;
  // Bounded: at most kMaxConfigBytes / sizeof(buf) + 1 reads that return data.
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read_failed = true;
      break;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxConfigBytes) {
      too_large = true;
      break;
    }
  }
  const int read_errno = errno;
  close(fd);
  if (read_failed) {
    errors.push_back(FileError(
        path, std::string("cannot read: ") + std::strerror(read_errno)));
    return Finish(std::nullopt, std::move(errors));
  }
  if (too_large) {
    errors.push_back(FileError(path, "larger than " +
                                         std::to_string(kMaxConfigBytes) +
                                         " bytes; not a config file?"));
    return Finish(std::nullopt, std::move(errors));
  }
  return ParseWithErrors(text, path, std::move(errors));
}

LoadResult ParseConfig(std::string_view text, const std::string& source) {
  return ParseWithErrors(text, source, {});
}

std::vector<std::string> ConfigKeys() {
  std::vector<std::string> out;
  auto add = [&out](std::string_view table, const auto& keys) {
    for (std::string_view k : keys) {
      out.push_back(std::string(table) + "." + std::string(k));
    }
  };
  add("server", kServerKeys);
  add("auth", kAuthKeys);
  add("audit", kAuditKeys);
  add("defender", kDefenderKeys);
  add("policy", kPolicyKeys);
  add("exports.NAME", kExportKeys);
  add("users.NAME", kGrantKeys);
  add("groups.NAME", kGrantKeys);
  return out;
}

std::string Describe(const Config& config) {
  auto count = [](size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  auto grants = [&](const std::vector<Grant>& gs) {
    std::string out;
    for (const Grant& g : gs) {
      std::vector<std::string> from;
      for (const Cidr& c : g.allow_from) from.push_back(c.ToString());
      out += "  " + g.name + ": " + list(g.exports) + "; from " +
             (from.empty() ? "any address" : list(from)) + "\n";
    }
    return out;
  };
  std::string out = config.source + ": " +
                    count(config.exports.size(), "export", "exports") + ", " +
                    count(config.users.size(), "user", "users") + ", " +
                    count(config.groups.size(), "group", "groups") + "\n";
  if (!config.exports.empty()) out += "exports:\n";
  for (const Export& e : config.exports) {
    out += "  " + e.name + " -> " + e.path + " (" +
           (e.access == Access::kReadOnly ? "ro" : "rw") +
           (e.owner_only ? ", owner_only" : "") +
           (e.atomic_uploads ? ", atomic_uploads" : "") + ", umask " +
           OctalMode(e.umask).substr(1) + ")\n";
  }
  if (!config.users.empty()) out += "users:\n" + grants(config.users);
  if (!config.groups.empty()) out += "groups:\n" + grants(config.groups);
  const DefenderSection& d = config.defender;
  if (d.enabled) {
    std::vector<std::string> never;
    for (const Cidr& c : d.never_ban) never.push_back(c.ToString());
    out += "defender: ban for " + std::to_string(d.ban_time) + " s at " +
           std::to_string(d.threshold) + " points; never: " +
           (never.empty() ? "none" : list(never)) + "\n";
  } else {
    out += "defender: off\n";
  }
  return out;
}

bool Rights::Allows(const Address& peer) const {
  if (any_address) return true;
  return std::any_of(allow_from.begin(), allow_from.end(),
                     [&](const Cidr& c) { return c.Contains(peer); });
}

namespace {

bool Admits(const Grant& g, const Address& peer) {
  return g.allow_from.empty() ||
         std::any_of(g.allow_from.begin(), g.allow_from.end(),
                     [&](const Cidr& c) { return c.Contains(peer); });
}

Rights Collect(const Config& config, std::string_view user,
               std::span<const std::string> groups, const Address* from) {
  Rights r;
  auto add = [&](const Grant& g, std::string table) {
    r.found = true;
    r.tables.push_back(&g);
    r.table_names.push_back(table);
    if (g.allow_from.empty()) r.any_address = true;
    for (const Cidr& c : g.allow_from) {
      const bool seen = std::any_of(
          r.allow_from.begin(), r.allow_from.end(), [&](const Cidr& o) {
            return o.prefix == c.prefix && o.base == c.base;
          });
      if (!seen) r.allow_from.push_back(c);
    }
    if (from != nullptr && !Admits(g, *from)) return;
    for (const std::string& name : g.exports) {
      const Export* e = config.FindExport(name);
      if (e != nullptr &&
          std::find(r.exports.begin(), r.exports.end(), e) == r.exports.end()) {
        r.exports.push_back(e);
        r.granted_by.push_back(table);
      }
    }
  };
  for (const Grant& g : config.users) {
    if (g.name == user) add(g, "users." + g.name);
  }
  for (const Grant& g : config.groups) {
    if (std::find(groups.begin(), groups.end(), g.name) != groups.end()) {
      add(g, "groups." + g.name);
    }
  }
  return r;
}

}  // namespace

Rights RightsFor(const Config& config, std::string_view user,
                 std::span<const std::string> groups) {
  return Collect(config, user, groups, nullptr);
}

Rights RightsFor(const Config& config, std::string_view user,
                 std::span<const std::string> groups, const Address& from) {
  return Collect(config, user, groups, &from);
}

std::optional<std::string> ControlSocketOf(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return std::nullopt;
  std::string socket = ServerSection{}.control_socket;
  try {
    toml::table root = toml::parse(text.str(), std::string_view(path));
    if (std::optional<std::string> v =
            root["server"]["control_socket"].value<std::string>()) {
      socket = *v;
    }
  } catch (const std::exception&) {
    // Not TOML: the default.
  }
  return socket;
}

std::string ParentDir(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return std::string(path.substr(0, slash == 0 ? 1 : slash));
}

std::optional<std::string> ExpandPath(std::string_view pattern,
                                      std::string_view user,
                                      std::string_view home) {
  // A user name is one path component at most: "a/b", ".", ".." or a NUL
  // would let a crafted account name point the export elsewhere.
  if (user.empty() || user == "." || user == ".." ||
      user.find('/') != std::string_view::npos ||
      user.find('\0') != std::string_view::npos ||
      home.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      out += pattern[i];
      continue;
    }
    if (i + 1 == pattern.size()) return std::nullopt;
    switch (pattern[++i]) {
      case 'u':
        out += user;
        break;
      case 'h':
        if (home.empty()) return std::nullopt;
        out += home;
        break;
      case '%':
        out += '%';
        break;
      default:
        return std::nullopt;
    }
  }
  if (out.empty() || out.front() != '/') return std::nullopt;
  size_t start = 0;
  while (start <= out.size()) {
    const size_t end = std::min(out.find('/', start), out.size());
    const std::string_view part =
        std::string_view(out).substr(start, end - start);
    if (part == "." || part == "..") return std::nullopt;
    start = end + 1;
  }
  return out;
}

}  // namespace sftpd
