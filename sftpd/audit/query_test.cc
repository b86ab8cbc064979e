// `sftpd audit`'s engine: its arguments, what each filter and op class
// selects, the order of rotated files, and a run over plain and gzip files
// with corrupt lines in them.
#include "sftpd/audit/query.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/testing.h"
#include "sftpd/audit/audit.h"

namespace sftpd {
namespace {

using testing::TempDir;

// 2026-11-23T14:36:04.123456Z
constexpr int64_t kNow = 1795444564123456;
constexpr int64_t kHour = 3600LL * 1000000;

Result<AuditQuery> Parse(std::vector<std::string_view> words) {
  return ParseAuditArgs(words, kNow);
}

// A record as the writer would make it, `hours_ago` before kNow.
AuditRecord Rec(std::string_view user, std::string_view op,
                std::string_view path, double hours_ago = 0,
                AuditEvent extra = {}) {
  AuditIdentity who{.session = "s",
                    .user = std::string(user),
                    .uid = 1000,
                    .address = "192.0.2.7",
                    .port = 40000};
  extra.op = op;
  extra.path = path;
  const std::string line =
      FormatAuditEvent(who, extra, kNow - int64_t(hours_ago * double(kHour)));
  AuditRecord r;
  REQUIRE(ParseAuditLine(line, &r).ok());
  return r;
}

bool Selects(std::vector<std::string_view> words, const AuditRecord& r) {
  Result<AuditQuery> q = Parse(words);
  INFO((q ? "" : q.error()));
  REQUIRE(q.ok());
  return Matches(*q, r);
}

TEST_CASE("audit query: arguments and their errors") {
  Result<AuditQuery> q =
      Parse({"--user", "alice", "--path=/shared/*", "--op", "write,delete",
             "--since", "7d", "--until=2026-11-23T14:00:00Z", "--from",
             "192.168.1.0/24", "--file", "/x/a", "--file", "/x/b", "--json"});
  REQUIRE(q.ok());
  CHECK(*q->user == "alice");
  CHECK(*q->path_glob == "/shared/*");
  CHECK(q->ops == std::vector<std::string>{"write", "delete"});
  CHECK(*q->since_us == kNow - 7 * 24 * kHour);
  CHECK(q->until_us.has_value());
  CHECK(q->from->ToString() == "192.168.1.0/24");
  CHECK(q->files == std::vector<std::string>{"/x/a", "/x/b"});
  CHECK(q->output == AuditOutput::kJson);
  CHECK(Parse({"--summary"})->output == AuditOutput::kSummary);
  CHECK(Parse({"--summary", "--json"})->output == AuditOutput::kSummaryJson);
  CHECK(Parse({"--json", "--summary"})->output == AuditOutput::kSummaryJson);
  CHECK(Parse({})->output == AuditOutput::kTable);
  CHECK(Parse({"--help"})->help);
  CHECK(Parse({"--op", "mkdir,login,ban,opendir,close,kick,control,channel"})
            .ok());
  CHECK(Parse({"--op", "unban"}).ok());

  struct Bad {
    std::vector<std::string_view> words;
    std::string error;
  };
  for (const Bad& b : std::vector<Bad>{
           {{"--user"}, "--user needs a value"},
           {{"--op", "writes"}, "--op: unknown op 'writes'"},
           {{"--op", "write,"}, "--op: unknown op ''"},
           {{"--since", "yesterday"}, "--since: 'yesterday' is not a time"},
           {{"--until", "2h", "--since", "1h"}, "--since must be before"},
           {{"--from", "10.0.0.1/8"}, "--from: "},
           {{"--json=yes"}, "--json takes no value"},
           {{"alice"}, "unexpected argument 'alice'"},
           {{"--users", "alice"}, "unexpected argument '--users'"},
       }) {
    Result<AuditQuery> r = Parse(b.words);
    REQUIRE_FALSE(r.ok());
    INFO(r.error());
    CHECK(r.error().find(b.error) == 0);
  }
}

TEST_CASE("audit query: each filter selects what it says") {
  const AuditRecord r =
      Rec("alice", "rename", "/shared/a", 2, {.target = "/home/b"});
  CHECK(Selects({}, r));
  CHECK(Selects({"--user", "alice"}, r));
  CHECK_FALSE(Selects({"--user", "alic"}, r));
  CHECK(Selects({"--path", "/shared/*"}, r));
  CHECK(Selects({"--path", "/home/*"}, r));  // the target
  CHECK(Selects({"--path", "/*/b"}, r));
  CHECK_FALSE(Selects({"--path", "/shared"}, r));
  CHECK_FALSE(Selects({"--path", "/archive/*"}, r));
  CHECK(Selects({"--since", "3h"}, r));
  CHECK_FALSE(Selects({"--since", "1h"}, r));
  CHECK(Selects({"--until", "1h"}, r));
  CHECK_FALSE(Selects({"--until", "3h"}, r));
  CHECK(Selects({"--from", "192.0.2.0/24"}, r));
  CHECK_FALSE(Selects({"--from", "10.0.0.0/8"}, r));
  CHECK_FALSE(Selects({"--from", "::1"}, r));
  CHECK(Selects({"--user", "alice", "--op", "rename", "--since", "1d"}, r));
  CHECK_FALSE(Selects({"--user", "alice", "--op", "delete"}, r));
  // A local session has no address: --from never selects it.
  AuditRecord local = r;
  local.address.clear();
  CHECK_FALSE(Selects({"--from", "0.0.0.0/0"}, local));
}

TEST_CASE("audit query: op classes follow the request table") {
  struct Row {
    AuditRecord r;
    std::vector<std::string_view> classes;  // every class that selects it
  };
  const std::vector<Row> rows = {
      {Rec("a", "open", "/f", 0, {.detail = "r"}), {"read"}},
      {Rec("a", "open", "/f", 0, {.detail = "wct"}), {"write", "change"}},
      {Rec("a", "open", "/f", 0, {.detail = "ra"}), {"write", "change"}},
      {Rec("a", "close", "/f", 0, {.bytes_read = 10, .bytes_written = 0}),
       {"read"}},
      {Rec("a", "close", "/f", 0, {.bytes_read = 0, .bytes_written = 5}),
       {"write", "change"}},
      {Rec("a", "close", "/f", 0, {.bytes_read = 0, .bytes_written = 0}), {}},
      {Rec("a", "opendir", "/d"), {"read"}},
      {Rec("a", "setstat", "/f"), {"write", "change"}},
      {Rec("a", "mkdir", "/d"), {"write", "change"}},
      {Rec("a", "link", "/f"), {"write", "change"}},
      {Rec("a", "copy", "/f"), {"write", "change"}},
      {Rec("a", "remove", "/f"), {"delete", "change"}},
      {Rec("a", "rmdir", "/d"), {"delete", "change"}},
      {Rec("a", "rename", "/f"), {"rename", "change"}},
      {Rec("a", "login", ""), {"login"}},
      {Rec("a", "login", "", 0, {.result = "refused", .rule = "allow_from"}),
       {"login", "refused"}},
      {Rec("a", "logout", ""), {"logout"}},
      {Rec("a", "read", "/ro/f", 0,
           {.result = "Permission denied", .rule = "audit_unavailable"}),
       {"read", "refused"}},
      {Rec("a", "remove", "/ro/f", 0,
           {.result = "Permission denied", .rule = "read-only export"}),
       {"delete", "change", "refused"}},
      {Rec("a", "ban", ""), {}},
  };
  for (const Row& row : rows) {
    for (const OpClass& c : AuditOpClasses()) {
      INFO(row.r.op << " " << row.r.detail << " as " << c.name);
      const bool want = std::find(row.classes.begin(), row.classes.end(),
                                  c.name) != row.classes.end();
      CHECK(Selects({"--op", c.name}, row.r) == want);
    }
    // An op name selects exactly its own events.
    CHECK(Selects({"--op", row.r.op}, row.r));
  }
  CHECK_FALSE(Selects({"--op", "mkdir"}, Rec("a", "rmdir", "/d")));
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

void WriteGzip(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, text.data(), unsigned(text.size())) == int(text.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

TEST_CASE("audit query: rotated files are read oldest first") {
  TempDir dir;
  const std::string log = dir.path() + "/audit.jsonl";
  for (const char* name :
       {"audit.jsonl", "audit.jsonl.1", "audit.jsonl.2.gz", "audit.jsonl.10.gz",
        "audit.jsonl-20261101.gz", "audit.jsonl-20261015", "audit.jsonl.old",
        "audit.jsonl.2x.gz", "audit.jsonlx.1", "other.1", "audit.jsonl."}) {
    WriteText(dir.path() + "/" + name, "");
  }
  const std::vector<std::string> want = {
      dir.path() + "/audit.jsonl-20261015",
      dir.path() + "/audit.jsonl-20261101.gz",
      dir.path() + "/audit.jsonl.10.gz",
      dir.path() + "/audit.jsonl.2.gz",
      dir.path() + "/audit.jsonl.1",
      log};
  CHECK(AuditFiles(log) == want);
  CHECK(AuditFiles(dir.path() + "/none.jsonl").empty());
  std::filesystem::remove(log);
  CHECK(AuditFiles(log).size() == 5);  // the rotations alone
}

// Runs `words` over `files`; returns {out, err}.
std::pair<std::string, std::string> Run(std::vector<std::string_view> words,
                                        const std::vector<std::string>& files,
                                        AuditTotals* totals = nullptr) {
  Result<AuditQuery> q = Parse(words);
  REQUIRE(q.ok());
  char* out_buf = nullptr;
  char* err_buf = nullptr;
  size_t out_len = 0, err_len = 0;
  FILE* out = open_memstream(&out_buf, &out_len);
  FILE* err = open_memstream(&err_buf, &err_len);
  AuditTotals t = RunAuditQuery(*q, files, out, err);
  fclose(out);
  fclose(err);
  std::pair<std::string, std::string> r{std::string(out_buf, out_len),
                                        std::string(err_buf, err_len)};
  free(out_buf);
  free(err_buf);
  if (totals != nullptr) *totals = t;
  return r;
}

std::string Line(std::string_view user, AuditEvent e, double hours_ago) {
  AuditIdentity who{.session = "5e55",
                    .user = std::string(user),
                    .uid = 1000,
                    .address = "192.0.2.7",
                    .port = 40000};
  return FormatAuditEvent(who, e, kNow - int64_t(hours_ago * double(kHour))) +
         "\n";
}

TEST_CASE(
    "audit query: a run over plain and gzip files, corrupt lines skipped") {
  TempDir dir;
  const std::string old_gz = dir.path() + "/audit.jsonl.2.gz";
  const std::string older = dir.path() + "/audit.jsonl.1";
  const std::string log = dir.path() + "/audit.jsonl";
  WriteGzip(old_gz, Line("alice", {.op = "login"}, 30) +
                        Line("alice",
                             {.op = "close",
                              .path = "/shared/old",
                              .bytes_read = 0,
                              .bytes_written = 100},
                             29) +
                        "{\"broken\n" + Line("bob", {.op = "login"}, 28));
  WriteText(older, Line("alice", {.op = "login"}, 10) +
                       Line("alice",
                            {.op = "close",
                             .path = "/shared/report",
                             .bytes_read = 0,
                             .bytes_written = 2048},
                            9) +
                       "\n" +
                       Line("alice",
                            {.op = "close",
                             .path = "/home/notes",
                             .bytes_read = 512,
                             .bytes_written = 0},
                            8));
  WriteText(log, Line("bob",
                      {.op = "remove",
                       .path = "/shared/x",
                       .result = "Permission denied",
                       .rule = "read-only export"},
                      1) +
                     Line("alice",
                          {.op = "rename",
                           .path = "/shared/report",
                           .target = "/shared/final"},
                          0.5) +
                     std::string(2 * 1024 * 1024, 'x') + "\n" +
                     Line("alice", {.op = "logout"}, 0.2));
  const std::vector<std::string> files = AuditFiles(log);
  REQUIRE(files == std::vector<std::string>{old_gz, older, log});

  SECTION("what did alice change in /shared last week?") {
    AuditTotals t;
    auto [out, err] = Run({"--user", "alice", "--path", "/shared/*", "--op",
                           "change", "--since", "7d"},
                          files, &t);
    INFO(out);
    std::istringstream lines(out);
    std::vector<std::string> rows;
    for (std::string l; std::getline(lines, l);) rows.push_back(l);
    REQUIRE(rows.size() == 4);  // the header, 3 events
    CHECK(rows[0].find("TIME (UTC)") == 0);
    CHECK(rows[0].find("  SESSION ") == 19);
    // Each row names its session, after the time.
    CHECK(rows[1].substr(21, 5) == "5e55 ");
    CHECK(rows[1].find("/shared/old") != std::string::npos);
    CHECK(rows[1].find("wrote 100") != std::string::npos);
    CHECK(rows[2].find("/shared/report") != std::string::npos);
    CHECK(rows[3].find("rename") != std::string::npos);
    CHECK(rows[3].find("/shared/report -> /shared/final") != std::string::npos);
    CHECK(t.lines == 12);
    CHECK(t.matched == 3);
    CHECK(t.corrupt == 3);
    CHECK(t.unreadable.empty());
    // Each corrupt line by file and number.
    CHECK(err.find(old_gz + ":3: not an audit event") != std::string::npos);
    CHECK(err.find(older + ":3: not an audit event") != std::string::npos);
    CHECK(err.find(log + ":3: not an audit event (longer than 1 MiB)") !=
          std::string::npos);
  }
  SECTION("--json prints the selected lines as they are") {
    auto [out, err] = Run({"--user", "bob", "--json"}, files);
    CHECK(out == Line("bob", {.op = "login"}, 28) +
                     Line("bob",
                          {.op = "remove",
                           .path = "/shared/x",
                           .result = "Permission denied",
                           .rule = "read-only export"},
                          1));
  }
  SECTION("--summary sums per user") {
    auto [out, err] = Run({"--summary"}, files);
    INFO(out);
    std::istringstream lines(out);
    std::vector<std::vector<std::string>> rows;
    for (std::string l; std::getline(lines, l);) {
      std::istringstream words(l);
      std::vector<std::string> row;
      for (std::string w; words >> w;) row.push_back(w);
      rows.push_back(row);
    }
    REQUIRE(rows.size() == 3);
    CHECK(rows[1] ==
          std::vector<std::string>{"alice", "2", "1", "2", "512", "2148", "0"});
    CHECK(rows[2] ==
          std::vector<std::string>{"bob", "1", "0", "0", "0", "0", "1"});
  }
  SECTION("--summary --json: a JSON object per user, one a line") {
    auto [out, err] = Run({"--summary", "--json"}, files);
    CHECK(out ==
          "{\"user\":\"alice\",\"sessions\":2,\"files_read\":1,"
          "\"files_written\":2,\"bytes_read\":512,\"bytes_written\":2148,"
          "\"refusals\":0}\n"
          "{\"user\":\"bob\",\"sessions\":1,\"files_read\":0,"
          "\"files_written\":0,\"bytes_read\":0,\"bytes_written\":0,"
          "\"refusals\":1}\n");
  }
  SECTION("a file that cannot be read is reported, the others still read") {
    AuditTotals t;
    auto [out, err] =
        Run({"--json", "--op", "logout"}, {dir.path() + "/missing", log}, &t);
    CHECK(t.unreadable == std::vector<std::string>{dir.path() + "/missing"});
    CHECK(err.find(dir.path() + "/missing: ") != std::string::npos);
    CHECK(out == Line("alice", {.op = "logout"}, 0.2));
  }
}

TEST_CASE("audit query: a summary line is a refusal that counts its events") {
  TempDir dir;
  const std::string log = dir.path() + "/audit.jsonl";
  const AuditEvent refused{.op = "mkdir",
                           .path = "/archive/x",
                           .result = "Permission denied",
                           .rule = "read-only export"};
  AuditEvent summary = refused;
  summary.path = {};
  summary.repeated = 990;
  AuditIdentity who{.session = "s", .user = "bob", .address = "192.0.2.7"};
  std::string text;
  for (int i = 0; i < 10; ++i)
    text += FormatAuditEvent(who, refused, kNow) + "\n";
  text += FormatAuditEvent(who, summary, kNow) + "\n";
  std::ofstream(log) << text;
  AuditRecord r;
  REQUIRE(ParseAuditLine(FormatAuditEvent(who, summary, kNow), &r).ok());
  CHECK(Selects({"--op", "refused"}, r));
  CHECK(Selects({"--op", "mkdir"}, r));
  CHECK_FALSE(Selects({"--op", "read"}, r));
  SECTION("the table says how many more") {
    auto [out, err] = Run({"--op", "refused"}, {log});
    CHECK(err.empty());
    CHECK(out.find("Permission denied (read-only export) ... and 990 more "
                   "like it") != std::string::npos);
  }
  SECTION("--summary counts each refusal once") {
    auto [out, err] = Run({"--summary"}, {log});
    INFO(out);
    CHECK(out.find("bob ") != std::string::npos);
    CHECK(out.find(" 1000\n") != std::string::npos);
  }
}

TEST_CASE("audit query: the table says which strings were cut") {
  TempDir dir;
  const std::string log = dir.path() + "/audit.jsonl";
  const std::string path = "/home/" + std::string(5000, 'x');
  WriteText(log, Line("bob", {.op = "mkdir", .path = path}, 1) +
                     Line("bob", {.op = "mkdir", .path = "/home/y"}, 2));
  auto [out, err] = Run({}, {log});
  INFO(out);
  CHECK(err.empty());
  CHECK(out.find("ok [cut: path]\n") != std::string::npos);
  CHECK(out.find("/home/y") != std::string::npos);
  CHECK(out.find("[cut") == out.rfind("[cut"));
  // --json keeps the line, its "cut" too.
  auto [json, err2] = Run({"--json"}, {log});
  CHECK(json.find(",\"cut\":\"path\"}\n") != std::string::npos);
}

TEST_CASE("audit query: the table keeps control characters off the terminal") {
  TempDir dir;
  const std::string log = dir.path() + "/audit.jsonl";
  WriteText(log,
            Line("mallory",
                 {.op = "mkdir",
                  .path = "/home/\x1b[2J\n\x7f\xc2\x9b\xff ok caf\xc3\xa9"},
                 1));
  auto [out, err] = Run({}, {log});
  INFO(out);
  CHECK(out.find("/home/?[2J???? ok caf\xc3\xa9") != std::string::npos);
  CHECK(out.find('\x1b') == std::string::npos);
  CHECK(err.empty());
}

TEST_CASE("audit query: the table shows bidi, zero-width and space runs") {
  TempDir dir;
  const std::string log = dir.path() + "/audit.jsonl";
  // RLO reverses what follows ("gpj.exe" shows as "exe.jpg"), LRI/PDI
  // isolate, ZWSP and BOM hide, and a run of spaces pushes the rest of the
  // row out of view.
  const std::string path =
      "/home/a\xe2\x80\xaegpj.exe\xe2\x81\xa6x\xe2\x81\xa9"
      "\xe2\x80\x8b\xef\xbb\xbf\xe2\x80\x8f\xd8\x9c" +
      std::string(200, ' ') + "hidden   three";
  const std::string user = "mal\xe2\x81\xa0lory\xe2\x80\x8d";
  const std::string detail = "why\xe2\x80\xaa\xe2\x80\xac    four";
  WriteText(log,
            Line(user, {.op = "mkdir", .path = path, .detail = detail}, 1));
  auto [out, err] = Run({}, {log});
  INFO(out);
  CHECK(out.find("/home/a<U+202E>gpj.exe<U+2066>x<U+2069><U+200B><U+FEFF>"
                 "<U+200F><U+061C><200 spaces>hidden   three") !=
        std::string::npos);
  CHECK(out.find("mal<U+2060>lory<U+200D>") != std::string::npos);
  CHECK(out.find("why<U+202A><U+202C><4 spaces>four") != std::string::npos);
  for (const char* hidden : {"\xe2\x80", "\xe2\x81", "\xef\xbb", "\xd8\x9c"}) {
    CHECK(out.find(hidden) == std::string::npos);
  }
  CHECK(err.empty());
  // --json keeps the exact strings.
  auto [json, err2] = Run({"--json"}, {log});
  CHECK(json == Line(user, {.op = "mkdir", .path = path, .detail = detail}, 1));
}

TEST_CASE(
    "audit query: the table names each event's session and a login's key") {
  TempDir dir;
  const std::string log = dir.path() + "/audit.jsonl";
  AuditIdentity second{.session = "0123456789abcdef.2", .user = "a\x1b[2Jb"};
  WriteText(
      log,
      Line("alice",
           {.op = "login", .method = "publickey", .key = "ED25519 SHA256:abc"},
           1) +
          FormatAuditEvent(second, {.op = "logout"}, kNow) + "\n");
  auto [out, err] = Run({}, {log});
  INFO(out);
  std::istringstream lines(out);
  std::vector<std::string> rows;
  for (std::string l; std::getline(lines, l);) rows.push_back(l);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].find("5e55 ") == 21);
  CHECK(rows[1].find("publickey ED25519 SHA256:abc") != std::string::npos);
  CHECK(rows[2].find("0123456789abcdef.2 ") == 21);
  // A name with a terminal escape is printed safe.
  CHECK(rows[2].find('\x1b') == std::string::npos);
  // And the summary's JSON escapes it.
  auto [json, err2] = Run({"--summary", "--json"}, {log});
  CHECK(json.find("\"user\":\"a\\u001b[2Jb\"") != std::string::npos);
}

}  // namespace
}  // namespace sftpd
