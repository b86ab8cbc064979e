// [exports.*], [users.*] and [groups.*]: who gets which trees.
#include <grp.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "config/parser.h"

namespace sftpd::config_internal {
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

constexpr size_t kMaxNameLength = 255;
constexpr int64_t kMaxUmask = 0777;

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

}  // namespace

std::vector<Export> Parser::ParseExports(const toml::table& exports) {
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
    ParseExportOptions(t, prefix, e);
    path_at.push_back(t.get("path") ? t.get("path")->source() : t.source());
    out.push_back(std::move(e));
  }
  CheckNesting(out, path_at);
  return out;
}

// Everything of [exports.NAME] but its path: access, owner_only,
// atomic_uploads, umask and group.
void Parser::ParseExportOptions(const toml::table& t, const std::string& prefix,
                                Export& e) {
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
}

// A read-only tree at or below a read-write one can be changed through
// the read-write export (and Landlock's rights add up along a path), so
// the "ro" would be a promise not kept. Paths with %u/%h are checked per
// session, when they are known.
void Parser::CheckNesting(const std::vector<Export>& exports,
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
      bool below = inner == outer || outer == "/" ||
                   (inner.substr(0, outer.size()) == outer &&
                    inner.size() > outer.size() && inner[outer.size()] == '/');
      if (!below) continue;
      Fail(path_at[i], Dotted(Dotted("exports", ro.name), "path"),
           "read-only export lies inside read-write export '" + rw.name +
               "' (" + rw.path + "), which could change it");
    }
  }
}

void Parser::CheckExportPath(const std::string& path,
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

std::optional<mode_t> Parser::ParseUmask(const toml::node& n,
                                         const std::string& key) {
  const std::string usage = "umask must be octal 0..777, like 0o027 or \"027\"";
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

std::vector<Grant> Parser::ParseGrants(
    const toml::table& grants, std::string_view section, std::string_view what,
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

}  // namespace sftpd::config_internal
