#include "sftpd/audit/record.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <limits>

namespace sftpd {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Appends code point `cp` as UTF-8.
void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    *out += char(cp);
  } else if (cp < 0x800) {
    *out += char(0xC0 | (cp >> 6));
    *out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += char(0xE0 | (cp >> 12));
    *out += char(0x80 | ((cp >> 6) & 0x3F));
    *out += char(0x80 | (cp & 0x3F));
  } else {
    *out += char(0xF0 | (cp >> 18));
    *out += char(0x80 | ((cp >> 12) & 0x3F));
    *out += char(0x80 | ((cp >> 6) & 0x3F));
    *out += char(0x80 | (cp & 0x3F));
  }
}

// A cursor over one line of flat JSON.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool At(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool Eat(char c) {
    if (!At(c)) return false;
    ++i_;
    return true;
  }
  bool Done() const { return i_ == s_.size(); }
  size_t column() const { return i_ + 1; }

  // A string at the cursor, unescaped into *out.
  bool String(std::string* out) {
    out->clear();
    if (!Eat('"')) return false;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          *out += e;
          break;
        case 'b':
          *out += '\b';
          break;
        case 'f':
          *out += '\f';
          break;
        case 'n':
          *out += '\n';
          break;
        case 'r':
          *out += '\r';
          break;
        case 't':
          *out += '\t';
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair
            uint32_t low;
            if (!Eat('\\') || !Eat('u') || !Hex4(&low) || low < 0xDC00 ||
                low >= 0xE000) {
              return false;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            return false;
          }
          if (cp >= 0x80 && cp <= 0xFF) {
            *out += char(cp);  // a raw byte, as the writer means it
          } else {
            AppendUtf8(out, cp);
          }
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  // An integer at the cursor (optionally negative), within int64_t.
  bool Integer(int64_t* out) {
    bool neg = Eat('-');
    if (i_ >= s_.size() || !IsDigit(s_[i_])) return false;
    uint64_t v = 0;
    const uint64_t limit =
        neg ? uint64_t(std::numeric_limits<int64_t>::max()) + 1
            : uint64_t(std::numeric_limits<int64_t>::max());
    while (i_ < s_.size() && IsDigit(s_[i_])) {
      const uint64_t d = uint64_t(s_[i_++] - '0');
      if (v > (limit - d) / 10) return false;
      v = v * 10 + d;
    }
    *out = neg ? int64_t(0 - v) : int64_t(v);
    return true;
  }

  // true, false or null: accepted, and ignored.
  bool Literal() {
    for (std::string_view w : {"true", "false", "null"}) {
      if (s_.substr(i_, w.size()) == w) {
        i_ += w.size();
        return true;
      }
    }
    return false;
  }

 private:
  bool Hex4(uint32_t* out) {
    if (s_.size() - i_ < 4) return false;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (IsDigit(c)) {
        v |= uint32_t(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= uint32_t(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= uint32_t(c - 'A' + 10);
      } else {
        return false;
      }
    }
    *out = v;
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// `n` digits at `at` in `s`, as a number; -1 if they are not all digits,
// or more than 18 (which could overflow).
int64_t Digits(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size() || n > 18) return -1;
  int64_t v = 0;
  for (size_t k = at; k < at + n; ++k) {
    if (!IsDigit(s[k])) return -1;
    v = v * 10 + (s[k] - '0');
  }
  return v;
}

}  // namespace

std::optional<int64_t> ParseRfc3339(std::string_view t) {
  const int64_t y = Digits(t, 0, 4), mo = Digits(t, 5, 2), d = Digits(t, 8, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || t.size() < 10 || t[4] != '-' ||
      t[7] != '-' || d > DaysInMonth(y, mo)) {
    return std::nullopt;
  }
  int64_t us = DaysFromCivil(y, mo, d) * 86400 * 1000000;
  if (t.size() == 10) return us;
  if (t[10] != 'T' && t[10] != 't' && t[10] != ' ') return std::nullopt;
  const int64_t h = Digits(t, 11, 2), mi = Digits(t, 14, 2),
                s = Digits(t, 17, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60 ||
      t.size() < 19 || t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  us += ((h * 60 + mi) * 60 + (s == 60 ? 59 : s)) * 1000000;
  size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int64_t frac = 0, scale = 1000000;
    const size_t start = i;
    while (i < t.size() && IsDigit(t[i])) {
      if (scale > 1) {
        scale /= 10;
        frac += (t[i] - '0') * scale;
      }
      ++i;
    }
    if (i == start) return std::nullopt;
    us += frac;
  }
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    return i + 1 == t.size() ? std::optional(us) : std::nullopt;
  }
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    const int64_t oh = Digits(t, i + 1, 2), om = Digits(t, i + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59 || i + 6 != t.size() ||
        t[i + 3] != ':') {
      return std::nullopt;
    }
    const int64_t offset = (oh * 60 + om) * 60 * 1000000;
    return t[i] == '+' ? us - offset : us + offset;
  }
  return std::nullopt;  // a time of day needs its zone
}

Result<int64_t> ParseMoment(std::string_view text, int64_t now_us) {
  if (text.size() >= 2 && IsDigit(text[0])) {
    const char unit = text.back();
    const std::string_view number = text.substr(0, text.size() - 1);
    int64_t seconds = 0;
    switch (unit) {
      case 's':
        seconds = 1;
        break;
      case 'm':
        seconds = 60;
        break;
      case 'h':
        seconds = 3600;
        break;
      case 'd':
        seconds = 86400;
        break;
      case 'w':
        seconds = 7 * 86400;
        break;
      default:
        break;
    }
    int64_t n = Digits(number, 0, number.size());
    // At most a thousand years back.
    if (seconds > 0 && n >= 0 && n <= 1000LL * 366 * 86400 / seconds) {
      return now_us - n * seconds * 1000000;
    }
  }
  if (std::optional<int64_t> t = ParseRfc3339(text)) return *t;
  return Error{"'" + std::string(text) +
               "' is not a time: write it in RFC 3339 "
               "(2026-11-23T14:00:00Z, with Z or an offset), as a date "
               "(2026-11-23), or as a span back from now (90m, 2h, 7d, 2w)"};
}

namespace {

// Code points a terminal draws as nothing or that reorder the text around
// them: bidi embeddings, overrides, isolates and marks, zero-width
// characters, and the line and paragraph separators.
bool IsHiding(uint32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0x200E || cp == 0x200F || cp == 0x061C ||
         (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF ||
         cp == 0x2028 || cp == 0x2029;
}

// "<U+202E>".
std::string CodePointName(uint32_t cp) {
  char buf[16];
  snprintf(buf, sizeof buf, "<U+%04X>", unsigned(cp));
  return buf;
}

}  // namespace

std::string TerminalSafe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b == ' ') {
      const size_t run = std::min(s.find_first_not_of(' ', i), s.size()) - i;
      if (run > kMaxShownSpaces) {
        out += "<" + std::to_string(run) + " spaces>";
      } else {
        out.append(run, ' ');
      }
      i += run;
      continue;
    }
    if (b < 0x80) {
      out += (b < 0x20 || b == 0x7F) ? '?' : char(b);
      ++i;
      continue;
    }
    size_t n = b >= 0xF0 && b <= 0xF4   ? 4
               : b >= 0xE0 && b <= 0xEF ? 3
               : b >= 0xC2 && b <= 0xDF ? 2
                                        : 0;
    uint32_t cp = n == 4 ? b & 0x07 : n == 3 ? b & 0x0F : b & 0x1F;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      ok = (c & 0xC0) == 0x80;
      cp = cp << 6 | (c & 0x3F);
    }
    // Overlong, surrogate or out-of-range forms are invalid; a C1 control
    // is valid, and replaced whole.
    ok = ok && !(n == 3 && cp < 0x800) && !(n == 4 && cp < 0x10000) &&
         !(cp >= 0xD800 && cp < 0xE000) && cp <= 0x10FFFF;
    if (ok && IsHiding(cp)) {
      out += CodePointName(cp);
    } else if (ok && cp >= 0xA0) {
      out.append(s.substr(i, n));
    } else {
      out += '?';
    }
    i += ok ? n : 1;
  }
  return out;
}

namespace {

// Back to the defaults, keeping the strings' storage for the next line.
void Clear(AuditRecord& r) {
  for (std::string* s :
       {&r.time, &r.session, &r.user, &r.address, &r.op, &r.path, &r.target,
        &r.result, &r.rule, &r.detail, &r.method, &r.key, &r.cut}) {
    s->clear();
  }
  r.uid = -1;
  r.port = 0;
  r.bytes_read = r.bytes_written = -1;
  r.repeated = 0;
}

}  // namespace

Result<void> ParseAuditLine(std::string_view line, AuditRecord* out) {
  AuditRecord& r = *out;
  Clear(r);

  Cursor c(line);
  auto at = [&](const char* what) {
    return Error{std::string(what) + " at column " +
                 std::to_string(c.column())};
  };
  c.SkipSpace();
  if (!c.Eat('{')) return at("not a JSON object: no '{'");
  std::string key, ignored;
  c.SkipSpace();
  bool first = true;
  while (!c.Eat('}')) {
    if (!first && !c.Eat(',')) return at("',' or '}' expected");
    first = false;
    c.SkipSpace();
    if (!c.String(&key)) return at("a member name expected");
    c.SkipSpace();
    if (!c.Eat(':')) return at("':' expected");
    c.SkipSpace();
    if (c.At('"')) {
      std::string* dest = &ignored;
      struct Field {
        std::string_view name;
        std::string AuditRecord::*member;
      };
      static constexpr Field kStrings[] = {
          {"time", &AuditRecord::time},     {"session", &AuditRecord::session},
          {"user", &AuditRecord::user},     {"addr", &AuditRecord::address},
          {"op", &AuditRecord::op},         {"path", &AuditRecord::path},
          {"target", &AuditRecord::target}, {"result", &AuditRecord::result},
          {"rule", &AuditRecord::rule},     {"detail", &AuditRecord::detail},
          {"method", &AuditRecord::method}, {"key", &AuditRecord::key},
          {"cut", &AuditRecord::cut},
      };
      for (const Field& f : kStrings) {
        if (key == f.name) dest = &(r.*f.member);
      }
      if (!c.String(dest)) return at("a bad string");
    } else if (c.At('-') || IsDigit(c.Peek())) {
      int64_t v;
      if (!c.Integer(&v)) return at("a bad number");
      if (key == "uid") r.uid = v;
      if (key == "port") r.port = v;
      if (key == "bytes_read") r.bytes_read = v;
      if (key == "bytes_written") r.bytes_written = v;
      if (key == "repeated") r.repeated = v;
    } else if (!c.Literal()) {
      return at("a value expected");
    }
    c.SkipSpace();
  }
  c.SkipSpace();
  if (!c.Done()) return at("text after the object");
  if (r.time.empty()) return Error{"no \"time\""};
  std::optional<int64_t> t = ParseRfc3339(r.time);
  if (!t) return Error{"\"time\" is not RFC 3339: " + r.time.substr(0, 40)};
  r.time_us = *t;
  if (r.op.empty()) return Error{"no \"op\""};
  return {};
}

}  // namespace sftpd
