// The TOML document of a config turned into a Config, every problem noted
// with its file, line, column and dotted key: the Parser, and the helpers
// its parts share. Internal to config/ (toml++ types appear here, so no
// other folder includes it). One Parser per document; not thread-safe.
#ifndef SFTPD_CONFIG_PARSER_H_
#define SFTPD_CONFIG_PARSER_H_

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/keys.h"
#include "config/result.h"

namespace sftpd::config_internal {

// Names and keys longer than this get no "did you mean" hint (the edit
// distance is quadratic).
inline constexpr size_t kMaxHintLength = 64;

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
size_t EditDistance(std::string_view a, std::string_view b);

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

// Dotted key as the admin would write it in TOML ("exports.\"a.b\".path").
std::string Dotted(std::string_view prefix, std::string_view key);
// "key[i]", for an element of an array.
std::string Indexed(const std::string& key, size_t i);
// "a string", "an integer", ...: what a message says was found.
std::string TypeName(toml::node_type t);

using Entry = std::pair<const toml::key*, const toml::node*>;
// toml::table iterates in key order; the Config keeps the file's order.
std::vector<Entry> InFileOrder(const toml::table& t);

// An export or key-file path with %u / %h / %% escapes, checked before use.
struct PathPattern {
  // The leading directories without %u or %h, escapes undone; must exist.
  // Empty when the pattern starts with %h (the home is known only at login).
  std::string fixed;
};
// An error says what is wrong with `p`: not absolute (nor starting at %h),
// a "." or ".." component, or an unknown escape.
Result<PathPattern> ParsePathPattern(std::string_view p);

// Turns a parsed document into a Config, noting every problem on the way.
// The sections are parsed in parser.cc (the generic getters), sections.cc
// ([server], [auth], [audit], [defender]) and grants.cc ([exports.*],
// [users.*], [groups.*]).
class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  Config Parse(const toml::table& root);
  std::vector<ConfigError> TakeErrors() { return std::move(errors_); }

 private:
  // Each string with where it stood, so later checks can point at it.
  struct Item {
    std::string value;
    const toml::node* node;
    std::string key;
  };

  void Fail(const toml::source_region& where, std::string key,
            std::string message);
  void WrongType(const toml::node& n, std::string key, std::string_view want);
  template <size_t N>
  void CheckKeys(const toml::table& t, const std::string& prefix,
                 const std::array<std::string_view, N>& allowed);
  // The table at parent[key], or nullptr if absent or not a table (noted).
  const toml::table* SubTable(const toml::table& parent, std::string_view key,
                              const std::string& prefix);
  void Missing(const toml::table& t, const std::string& prefix,
               std::string_view key);

  // The getters: nullopt when the key is absent or of the wrong type
  // (noted).
  std::optional<std::string> GetString(const toml::table& t,
                                       std::string_view key,
                                       const std::string& prefix);
  // TOML allows "\u0000"; every string here ends up a C string (a path, a
  // name), where a NUL would silently cut it short: noted as an error.
  bool HasNul(const toml::value<std::string>& s, const std::string& key);
  std::optional<bool> GetBool(const toml::table& t, std::string_view key,
                              const std::string& prefix);
  // Sets section.*field for each key of `keys` present in `t` as a TOML
  // integer within the key's range; anything else is noted and leaves the
  // default.
  template <typename Section, size_t N>
  void GetInts(const toml::table& t, const std::string& prefix,
               const std::array<IntKey<Section>, N>& keys, Section& section);
  // Elements of the wrong type are noted and left out.
  std::optional<std::vector<Item>> GetStrings(const toml::table& t,
                                              std::string_view key,
                                              const std::string& prefix);
  // An array of addresses and CIDR blocks; bad ones are noted and left out.
  std::optional<std::vector<Cidr>> GetCidrs(const toml::table& t,
                                            std::string_view key,
                                            const std::string& prefix);
  static std::vector<std::string> Values(const std::vector<Item>& items);
  // An SSH algorithm list: a non-empty subset of `allowed`, each name once,
  // order kept (it is the order of preference). Bad names are noted.
  template <size_t N>
  std::optional<std::vector<std::string>> GetAlgorithms(
      const toml::table& t, std::string_view key, const std::string& prefix,
      const std::array<std::string_view, N>& allowed);

  // sections.cc
  ServerSection ParseServer(const toml::table& t);
  void ParseStartups(const toml::table& t, ServerSection& s);
  AuthSection ParseAuth(const toml::table& t);
  AuditSection ParseAudit(const toml::table& t);
  DefenderSection ParseDefender(const toml::table& t);

  // grants.cc
  std::vector<Export> ParseExports(const toml::table& exports);
  void ParseExportOptions(const toml::table& t, const std::string& prefix,
                          Export& e);
  void CheckNesting(const std::vector<Export>& exports,
                    const std::vector<toml::source_region>& path_at);
  void CheckExportPath(const std::string& path,
                       const toml::source_region& where,
                       const std::string& key);
  std::optional<mode_t> ParseUmask(const toml::node& n, const std::string& key);
  std::vector<Grant> ParseGrants(const toml::table& grants,
                                 std::string_view section,
                                 std::string_view what,
                                 const std::vector<std::string>& export_names);

  std::string source_;
  std::vector<ConfigError> errors_;
};

template <size_t N>
void Parser::CheckKeys(const toml::table& t, const std::string& prefix,
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

template <typename Section, size_t N>
void Parser::GetInts(const toml::table& t, const std::string& prefix,
                     const std::array<IntKey<Section>, N>& keys,
                     Section& section) {
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

template <size_t N>
std::optional<std::vector<std::string>> Parser::GetAlgorithms(
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

}  // namespace sftpd::config_internal

#endif  // SFTPD_CONFIG_PARSER_H_
