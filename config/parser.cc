#include "config/parser.h"

namespace sftpd::config_internal {

Config Parser::Parse(const toml::table& root) {
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

void Parser::Fail(const toml::source_region& where, std::string key,
                  std::string message) {
  errors_.push_back(ConfigError{source_, static_cast<int>(where.begin.line),
                                static_cast<int>(where.begin.column),
                                std::move(key), std::move(message)});
}

void Parser::WrongType(const toml::node& n, std::string key,
                       std::string_view want) {
  Fail(n.source(), std::move(key),
       "expected " + std::string(want) + ", got " + TypeName(n.type()));
}

const toml::table* Parser::SubTable(const toml::table& parent,
                                    std::string_view key,
                                    const std::string& prefix) {
  const toml::node* n = parent.get(key);
  if (n == nullptr) return nullptr;
  if (!n->is_table()) {
    WrongType(*n, Dotted(prefix, key), "a table");
    return nullptr;
  }
  return n->as_table();
}

void Parser::Missing(const toml::table& t, const std::string& prefix,
                     std::string_view key) {
  Fail(t.source(), Dotted(prefix, key),
       "missing required key '" + std::string(key) + "'");
}

std::optional<std::string> Parser::GetString(const toml::table& t,
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

bool Parser::HasNul(const toml::value<std::string>& s, const std::string& key) {
  if (s.get().find('\0') == std::string::npos) return false;
  Fail(s.source(), key, "holds a NUL byte");
  return true;
}

std::optional<bool> Parser::GetBool(const toml::table& t, std::string_view key,
                                    const std::string& prefix) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return std::nullopt;
  if (const auto* b = n->as_boolean()) return b->get();
  WrongType(*n, Dotted(prefix, key), "a boolean");
  return std::nullopt;
}

std::optional<std::vector<Parser::Item>> Parser::GetStrings(
    const toml::table& t, std::string_view key, const std::string& prefix) {
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

std::optional<std::vector<Cidr>> Parser::GetCidrs(const toml::table& t,
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

std::vector<std::string> Parser::Values(const std::vector<Item>& items) {
  std::vector<std::string> out;
  for (const Item& i : items) out.push_back(i.value);
  return out;
}

}  // namespace sftpd::config_internal
