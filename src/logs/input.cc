// Whole inputs: text lines, journal export format, journalctl -o json; and the summary.
#include <cstring>
#include <string>

#include "logs/logs.h"

namespace confine::logs {

namespace {

constexpr size_t kMaxSamples = 8;

void count(Stats* st, LineResult r, uint32_t line, const std::string& why) {
  ++st->records;
  switch (r) {
    case LineResult::Event: ++st->events; break;
    case LineResult::Other: ++st->other; break;
    case LineResult::Skipped:
      ++st->skipped;
      if (st->skipped_samples.size() < kMaxSamples) st->skipped_samples.emplace_back(line, why);
      break;
  }
}

// One journal record (its fields) -> the line to parse. Prefers MESSAGE; when
// the record came from the audit transport, rebuilds "type=N audit(...): body".
std::string journal_line(std::string_view message, std::string_view audit_type, std::string_view audit_id) {
  std::string msg(message);
  if (audit_type.empty() || msg.find("type=") != std::string::npos) return msg;
  // MESSAGE is "SECCOMP auid=..." (name first) or just the body.
  std::string_view body = msg;
  auto sp = body.find(' ');
  if (sp != std::string_view::npos && body.substr(0, sp).find('=') == std::string_view::npos)
    body.remove_prefix(sp + 1);
  // _AUDIT_ID is the serial only; the time is left empty.
  std::string id =
      audit_id.find(':') != std::string_view::npos ? std::string(audit_id) : ":" + std::string(audit_id);
  return "type=" + std::string(audit_type) + " msg=audit(" + id + "): " + std::string(body);
}

// journal export format (systemd.io/JOURNAL_EXPORT_FORMATS): records of
// "KEY=value\n" or "KEY\n<u64le size><data>\n", separated by an empty line.
void parse_journal_export(std::string_view data, ParseOutput* out) {
  size_t i = 0;
  uint32_t rec = 0;
  std::string message, audit_type, audit_id;
  bool have_fields = false, broken = false;
  auto flush = [&]() {
    if (!have_fields) return;
    ++rec;
    Event ev;
    std::string why;
    LineResult r;
    if (broken) {
      r = LineResult::Skipped;
      why = "truncated journal export record";
    } else if (message.empty()) {
      r = LineResult::Other;
    } else {
      r = parse_line(journal_line(message, audit_type, audit_id), rec, &ev, &why);
      if (r == LineResult::Event) {
        ev.source = Source::Journal;
        out->events.push_back(std::move(ev));
      }
    }
    count(&out->stats, r, rec, why);
    message.clear();
    audit_type.clear();
    audit_id.clear();
    have_fields = broken = false;
  };
  while (i < data.size()) {
    size_t nl = data.find('\n', i);
    if (nl == std::string_view::npos) nl = data.size();
    std::string_view line = data.substr(i, nl - i);
    if (line.empty()) {
      flush();
      i = nl + 1;
      continue;
    }
    have_fields = true;
    auto eq = line.find('=');
    std::string_view key, value;
    if (eq != std::string_view::npos) {
      key = line.substr(0, eq);
      value = line.substr(eq + 1);
      i = nl + 1;
    } else {
      // Binary field: name, newline, 64-bit little-endian size, data, newline.
      key = line;
      size_t p = nl + 1;
      if (p + 8 > data.size()) {
        broken = true;
        break;
      }
      uint64_t size = 0;
      for (int b = 7; b >= 0; --b)
        size = (size << 8) | static_cast<unsigned char>(data[p + static_cast<size_t>(b)]);
      p += 8;
      if (size > data.size() - p) {
        broken = true;
        break;
      }
      value = data.substr(p, static_cast<size_t>(size));
      i = p + static_cast<size_t>(size);
      if (i < data.size() && data[i] == '\n') ++i;
    }
    if (key == "MESSAGE")
      message = std::string(value);
    else if (key == "_AUDIT_TYPE")
      audit_type = std::string(value);
    else if (key == "_AUDIT_ID")
      audit_id = std::string(value);
  }
  flush();
}

// Minimal JSON string-member extraction for journalctl -o json lines (one
// object per line). Returns nullopt if the key is absent or malformed. A
// MESSAGE that was not valid UTF-8 is an array of byte values.
std::optional<std::string> json_member(std::string_view obj, std::string_view key) {
  std::string pat = "\"" + std::string(key) + "\"";
  size_t p = 0;
  for (;;) {
    p = obj.find(pat, p);
    if (p == std::string_view::npos) return std::nullopt;
    p += pat.size();
    while (p < obj.size() && obj[p] == ' ') ++p;
    if (p < obj.size() && obj[p] == ':') break;
  }
  ++p;
  while (p < obj.size() && obj[p] == ' ') ++p;
  if (p >= obj.size()) return std::nullopt;
  std::string out;
  if (obj[p] == '[') {
    ++p;
    while (p < obj.size() && obj[p] != ']') {
      if (obj[p] == ',' || obj[p] == ' ') {
        ++p;
        continue;
      }
      unsigned v = 0;
      size_t digits = 0;
      while (p < obj.size() && obj[p] >= '0' && obj[p] <= '9' && digits < 4) {
        v = v * 10 + static_cast<unsigned>(obj[p] - '0');
        ++p;
        ++digits;
      }
      if (digits == 0 || v > 255) return std::nullopt;
      out.push_back(static_cast<char>(v));
    }
    return out;
  }
  if (obj[p] != '"') {
    // numbers / null: take the bare token
    size_t e = obj.find_first_of(",}", p);
    if (e == std::string_view::npos) return std::nullopt;
    std::string_view tok = obj.substr(p, e - p);
    if (tok == "null") return std::nullopt;
    return std::string(tok);
  }
  ++p;
  while (p < obj.size()) {
    char c = obj[p++];
    if (c == '"') return out;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (p >= obj.size()) return std::nullopt;
    char e = obj[p++];
    switch (e) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'u': {
        if (p + 4 > obj.size()) return std::nullopt;
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
          char h = obj[p++];
          v <<= 4;
          if (h >= '0' && h <= '9')
            v |= static_cast<unsigned>(h - '0');
          else if (h >= 'a' && h <= 'f')
            v |= static_cast<unsigned>(h - 'a' + 10);
          else if (h >= 'A' && h <= 'F')
            v |= static_cast<unsigned>(h - 'A' + 10);
          else
            return std::nullopt;
        }
        // UTF-8 encode (surrogates replaced by '?')
        if (v < 0x80)
          out.push_back(static_cast<char>(v));
        else if (v < 0x800) {
          out.push_back(static_cast<char>(0xC0 | (v >> 6)));
          out.push_back(static_cast<char>(0x80 | (v & 0x3F)));
        } else if (v >= 0xD800 && v <= 0xDFFF) {
          out.push_back('?');
        } else {
          out.push_back(static_cast<char>(0xE0 | (v >> 12)));
          out.push_back(static_cast<char>(0x80 | ((v >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (v & 0x3F)));
        }
        break;
      }
      default: out.push_back(e); break;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Event> Parser::feed(std::string_view record) {
  // A /dev/kmsg record may carry dictionary lines after the first newline.
  auto nl = record.find('\n');
  std::string_view first = record.substr(0, nl);
  uint32_t line_no = static_cast<uint32_t>(stats_.records + 1);
  Event ev;
  std::string why;
  LineResult r;
  if (!first.empty() && first.front() == '{') {
    auto msg = json_member(first, "MESSAGE");
    if (!msg) {
      r = first.find("\"MESSAGE\"") == std::string_view::npos ? LineResult::Other : LineResult::Skipped;
      why = "malformed journal JSON record";
    } else {
      auto at = json_member(first, "_AUDIT_TYPE");
      auto id = json_member(first, "_AUDIT_ID");
      r = parse_line(journal_line(*msg, at ? *at : "", id ? *id : ""), line_no, &ev, &why);
      ev.source = Source::Journal;
    }
  } else {
    r = parse_line(first, line_no, &ev, &why);
  }
  count(&stats_, r, line_no, why);
  if (r == LineResult::Event) return ev;
  return std::nullopt;
}

ParseOutput parse_text(std::string_view data) {
  ParseOutput out;
  if (data.starts_with("__CURSOR=") || data.starts_with("__REALTIME_TIMESTAMP=") ||
      data.starts_with("__SEQNUM=")) {
    parse_journal_export(data, &out);
    return out;
  }
  Parser p;
  size_t i = 0;
  while (i < data.size()) {
    size_t nl = data.find('\n', i);
    if (nl == std::string_view::npos) nl = data.size();
    std::string_view line = data.substr(i, nl - i);
    i = nl + 1;
    if (line.empty() || line == "\r") continue;
    if (auto ev = p.feed(line)) out.events.push_back(std::move(*ev));
  }
  out.stats = p.stats();
  return out;
}

Summary summarize(const std::vector<Event>& events) {
  Summary s;
  for (const auto& e : events) {
    ++s.by_kind[std::string(kind_name(e.kind))];
    ++s.by_type[e.type_name.empty() ? std::to_string(e.type) : e.type_name];
    if (!e.comm.empty()) ++s.by_comm[e.comm];
    if (e.kind == Kind::Seccomp) {
      std::string name = !e.syscall.empty() ? e.syscall : "#" + std::to_string(e.syscall_nr.value_or(-1));
      ++s.by_syscall[name];
      std::string arch = e.arch ? std::string(arch_info(*e.arch).name) : "unknown";
      ++s.syscalls_by_arch[name][arch];
      ++s.by_action[e.action.empty() ? "unknown" : e.action];
    } else {
      if (!e.profile.empty()) ++s.by_profile[e.profile];
      if (!e.apparmor.empty())
        ++s.by_action[e.apparmor];
      else if (!e.status.empty())
        ++s.by_action["domain " + e.status];
      else if (!e.blockers.empty())
        ++s.by_action["DENIED"];
    }
  }
  return s;
}

}  // namespace confine::logs
