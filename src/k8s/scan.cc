#include "k8s/scan.h"

#include <dirent.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_set>

#include "core/file.h"
#include "k8s/yaml.h"
#include "k8s/yaml_fast.h"
#include "k8s/yaml_guard.h"

namespace confine::k8s::scan {

using json::Type;
using json::Value;

namespace {

constexpr size_t kMaxFiles = 10000;

bool ends_with_ci(const std::string& s, std::string_view suf) {
  if (s.size() < suf.size()) return false;
  for (size_t i = 0; i < suf.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suf.size() + i])) != suf[i]) return false;
  return true;
}

// YAML scalar resolution as Kubernetes reads manifests (sigs.k8s.io/yaml on go-yaml v2: YAML 1.1
// booleans, so `yes`/`on` are true and `privileged: yes` is privileged), plain scalars only;
// quoted and block scalars and !!str are strings. `t` is moved into the value.
bool json_number_text(std::string_view t) {  // RFC 8259's number grammar, the whole text
  size_t i = 0, n = t.size();
  auto digit = [&](size_t k) { return k < n && t[k] >= '0' && t[k] <= '9'; };
  if (i < n && t[i] == '-') ++i;
  if (!digit(i)) return false;
  if (t[i] == '0')
    ++i;
  else
    while (digit(i)) ++i;
  if (i < n && t[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == n;
}

Value resolve_scalar(std::string_view tag, std::string&& t, bool plain, const SourcePos& at) {
  Value v;
  auto is = [&](std::initializer_list<std::string_view> xs) {
    for (std::string_view x : xs)
      if (t == x) return true;
    return false;
  };
  // Most plain scalars are names, images and paths: longer than any null or boolean word, and not
  // starting like a number.
  bool word = t.size() <= 5;
  if (plain && tag.empty() && !word && t[0] != '-' && (t[0] < '0' || t[0] > '9')) {
    v = Value::make_string(std::move(t));
  } else if (tag == "tag:yaml.org,2002:str" || (!plain && tag.empty())) {
    v = Value::make_string(std::move(t));
  } else if (tag == "tag:yaml.org,2002:null" || (plain && is({"", "~", "null", "Null", "NULL"}))) {
    v = Value::make_null();
  } else if (plain && is({"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"})) {
    v = Value::make_bool(true);
  } else if (plain && is({"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"})) {
    v = Value::make_bool(false);
  } else if (plain && !t.empty() && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))) {
    // A YAML number that is also a JSON number (the common case); only a text that is one is parsed
    // (json_number_text: an invalid one would cost an Error with its message each).
    if (json_number_text(t)) {
      if (auto num = json::parse(t, "", {}); num.ok() && num->is(Type::Number)) v = std::move(*num);
    }
    if (!v.is(Type::Number)) v = Value::make_string(std::move(t));
  } else {
    v = Value::make_string(std::move(t));
  }
  v.pos = at;
  return v;
}

Value yaml_scalar(yaml::Node& n, const SourcePos& at) {
  return resolve_scalar(n.tag, std::move(n.value), n.plain, at);
}

// The reference conversion (the tree of src/k8s/yaml.h, then json::Value): what yaml_documents, which
// builds the values straight from libyaml's events, must equal (tests and fuzz/k8s_scan_yaml_fuzz.cc).
// The positions of the values carry no file name (SourcePos::file is a std::string: a copy per value and
// per key was most of the scan's allocations); scan_one names the file in the findings it reports. The
// texts are moved out of the YAML tree (consumed: the caller frees it next).
Result<Value> yaml_to_json(yaml::Node& n, const std::string& file, int depth) {
  SourcePos at{std::string(), n.start.line, n.start.col};
  if (depth > 128) return Error::at(yaml::pos(file, n.start), "nested deeper than 128");
  switch (n.kind) {
    case yaml::Kind::Alias:
      return Error::at(yaml::pos(file, n.start),
                       "alias *" + n.anchor +
                           ": anchors and aliases are not read (a manifest does not need them; an alias "
                           "bomb expands without bound)");
    case yaml::Kind::Scalar: return yaml_scalar(n, at);
    case yaml::Kind::Sequence: {
      Value v = Value::make_array();
      v.pos = at;
      v.items.reserve(n.items.size());
      for (auto& i : n.items) {
        CONFINE_TRY(Value c, yaml_to_json(i, file, depth + 1));
        v.items.push_back(std::move(c));
      }
      return v;
    }
    case yaml::Kind::Mapping: {
      Value v = Value::make_object();
      v.pos = at;
      v.members.reserve(n.pairs());
      for (size_t i = 0; i < n.pairs(); ++i) {
        yaml::Node& k = n.items[2 * i];
        if (k.str() == "<<" && k.plain)
          return Error::at(yaml::pos(file, k.start), "merge key <<: anchors and aliases are not read");
        CONFINE_TRY(Value c, yaml_to_json(n.items[2 * i + 1], file, depth + 1));
        v.add(k.is_scalar() ? std::move(k.value) : std::string(), std::move(c));
        v.members.back().key_pos = SourcePos{std::string(), k.start.line, k.start.col};
      }
      return v;
    }
  }
  return Error::at(yaml::pos(file, n.start), "unknown YAML node");
}

using yaml::cview;
using yaml::EventGuard;
using yaml::Mark;
using yaml::ParserGuard;
using yaml::Positions;

// A YAML stream straight to json::Value from libyaml's events: no tree in between (it and its conversion
// were half of a YAML scan's time). Behaves exactly like yaml::parse + yaml_to_json (the reference
// above): the same limits and errors (size, NUL bytes, depth, node and document counts, duplicate and
// non-scalar keys, libyaml's syntax errors) and, when the whole stream parses, the first alias or merge
// key refused (never expanded: no alias bomb) in document order, as the conversion after the parse did.
Result<std::vector<Document>> yaml_documents_direct(std::string_view text, const std::string& path,
                                                    const yaml::Limits& lim) {
  const std::string name = path == "-" ? std::string("<stdin>") : path;
  auto err = [&](uint32_t line, uint32_t col, std::string msg) {
    return Error::at({name, line, col}, std::move(msg));
  };
  CONFINE_CHECK(yaml::check_input(text, lim, name));
  // The common block-style subset, read without libyaml when it is exactly what libyaml would read
  // (src/k8s/yaml_fast.h); anything else, errors included, goes through libyaml below.
  if (auto vs = yaml::read_block_subset(text, lim, resolve_scalar)) {
    std::vector<Document> docs;
    docs.reserve(vs->size());
    for (auto& v : *vs) docs.push_back(Document{path, std::move(v)});
    return docs;
  }
  ParserGuard pg;
  CONFINE_CHECK(pg.start(text, name));

  struct Frame {
    Value v;                    // Array or Object, v.pos its start
    bool key_position = false;  // a collection written as a mapping key: an error at its end
    bool have_key = false;      // Object: `key` waits for its value
    std::string key;
    SourcePos key_pos;
    std::unique_ptr<std::unordered_set<std::string>> keys;  // Object with many members: the keys seen
  };
  constexpr size_t kLinearKeys = 16;  // up to this many members, duplicates are found by a linear scan
  std::vector<Document> docs;
  std::vector<Frame> stack;
  std::optional<Value> root;
  bool root_empty = false;  // the root is a plain "", "~" or "null" (an empty document)
  size_t nodes = 0, ndocs = 0;
  std::optional<Error> refused;  // the first alias or merge key
  Positions marks(text);
  auto pos = [&](const yaml_mark_t& m) {
    Mark k = marks.mark(m);
    return SourcePos{std::string(), k.line, k.col};
  };
  auto err_at = [&](const yaml_mark_t& m, std::string msg) {
    SourcePos at = pos(m);
    return err(at.line, at.col, std::move(msg));
  };
  auto count = [&](const SourcePos& at) -> Status {
    if (++nodes > lim.max_nodes)
      return err(at.line, at.col, "more than " + std::to_string(lim.max_nodes) + " YAML nodes");
    return ok();
  };
  // A finished value (scalar/collection); a key when its mapping waits for one.
  auto attach = [&](Value v) {
    if (stack.empty()) {
      root = std::move(v);
      return;
    }
    Frame& f = stack.back();
    if (f.v.is(Type::Array)) {
      f.v.items.push_back(std::move(v));
    } else {
      f.v.members.push_back(json::Member{std::move(f.key), std::move(f.key_pos), std::move(v)});
      f.have_key = false;
    }
  };
  auto wants_key = [&]() {
    return !stack.empty() && stack.back().v.is(Type::Object) && !stack.back().have_key;
  };
  // A scalar key: duplicates are errors, "<<" is refused (after the parse), like the reference.
  auto take_key = [&](std::string k, const SourcePos& at, bool plain) -> Status {
    Frame& f = stack.back();
    if (plain && k == "<<" && !refused && !f.key_position)
      refused = err(at.line, at.col, "merge key <<: anchors and aliases are not read");
    bool dup = false;
    if (f.keys) {
      dup = !f.keys->insert(k).second;
    } else {
      for (const auto& m : f.v.members) dup = dup || m.key == k;
      if (!dup && f.v.members.size() >= kLinearKeys) {
        f.keys = std::make_unique<std::unordered_set<std::string>>();
        for (const auto& m : f.v.members) f.keys->insert(m.key);
        f.keys->insert(k);
      }
    }
    if (dup) return err(at.line, at.col, "duplicate mapping key \"" + k + "\"");
    f.key = std::move(k);
    f.key_pos = at;
    f.have_key = true;
    return ok();
  };

  for (;;) {
    EventGuard ev;
    if (!yaml_parser_parse(&pg.p, &ev.e)) return yaml::parse_error(pg.p, marks, name);
    ev.set = true;
    const yaml_event_t& e = ev.e;
    switch (e.type) {
      case YAML_STREAM_START_EVENT:
      case YAML_NO_EVENT: break;
      case YAML_STREAM_END_EVENT:
        if (refused) return std::move(*refused);
        return docs;
      case YAML_DOCUMENT_START_EVENT:
        if (ndocs >= lim.max_documents)
          return err_at(e.start_mark, "more than " + std::to_string(lim.max_documents) + " YAML documents");
        ++ndocs;
        root.reset();
        root_empty = false;
        break;
      case YAML_DOCUMENT_END_EVENT:
        if (root && !root_empty && !refused && !root->is(Type::Null))
          docs.push_back(Document{path, std::move(*root)});
        root.reset();
        break;
      case YAML_ALIAS_EVENT: {
        SourcePos at = pos(e.start_mark);
        CONFINE_CHECK(count(at));
        if (wants_key())
          return err(at.line, at.col, "a mapping key must be a scalar (Kubernetes objects have string keys)");
        if (!refused && !(!stack.empty() && stack.back().key_position))
          refused = err(at.line, at.col,
                        "alias *" + std::string(cview(e.data.alias.anchor)) +
                            ": anchors and aliases are not read (a manifest does not need them; an alias "
                            "bomb expands without bound)");
        attach(Value());
        break;
      }
      case YAML_SCALAR_EVENT: {
        SourcePos at = pos(e.start_mark);
        CONFINE_CHECK(count(at));
        std::string t(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
        bool plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (wants_key()) {
          CONFINE_CHECK(take_key(std::move(t), at, plain));
          break;
        }
        if (stack.empty()) root_empty = plain && (t.empty() || t == "~" || t == "null");
        attach(resolve_scalar(cview(e.data.scalar.tag), std::move(t), plain, at));
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (stack.size() >= lim.max_depth)
          return err_at(e.start_mark, "YAML nested deeper than " + std::to_string(lim.max_depth) + " levels");
        bool key = wants_key() || (!stack.empty() && stack.back().key_position);
        Frame f;
        f.v = e.type == YAML_SEQUENCE_START_EVENT ? Value::make_array() : Value::make_object();
        f.v.pos = pos(e.start_mark);
        f.key_position = key;
        stack.push_back(std::move(f));
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Frame f = std::move(stack.back());
        stack.pop_back();
        CONFINE_CHECK(count(f.v.pos));
        if (wants_key())
          return err(f.v.pos.line, f.v.pos.col,
                     "a mapping key must be a scalar (Kubernetes objects have string keys)");
        attach(std::move(f.v));
        break;
      }
    }
  }
}

// The documents of a YAML stream (---), empty ones skipped, positions those of the text.
Result<std::vector<Document>> yaml_documents(std::string_view text, const std::string& path) {
  return yaml_documents_direct(text, path, yaml::Limits{});
}

}  // namespace

Result<std::vector<Document>> yaml_documents_reference(std::string_view text, const std::string& path,
                                                       const yaml::Limits& lim) {
  std::string name = path == "-" ? std::string("<stdin>") : path;
  CONFINE_TRY(std::vector<yaml::Document> ys, yaml::parse(text, name, lim));
  std::vector<Document> docs;
  for (auto& y : ys) {
    if (y.empty) continue;
    CONFINE_TRY(Value v, yaml_to_json(y.root, name, 0));
    y.root = yaml::Node();  // freed as soon as converted
    if (v.is(Type::Null)) continue;
    docs.push_back(Document{path, std::move(v)});
  }
  return docs;
}

Result<std::vector<Document>> yaml_documents_limited(std::string_view text, const std::string& path,
                                                     const yaml::Limits& lim) {
  return yaml_documents_direct(text, path, lim);
}

namespace {

// The top-level values of a JSON text: one, or a stream of several (what `yq -o json` writes for a
// multi-document YAML file, or `kubectl get -o json` output concatenated). Each with the line and
// column of its first character. An unterminated value runs to the end (its parse reports the error).
struct Chunk {
  size_t begin, end;
  uint32_t line, col;
};
std::vector<Chunk> split_stream(std::string_view t) {
  std::vector<Chunk> out;
  size_t i = 0, cur = 0;
  uint32_t line = 1, col = 1;
  auto advance_to = [&](size_t off) {  // line/col of `off`, counted from the last position
    for (; cur < off; ++cur) {
      unsigned char c = static_cast<unsigned char>(t[cur]);
      if (c == '\n') {
        ++line;
        col = 1;
      } else if ((c & 0xC0) != 0x80) {
        ++col;
      }
    }
  };
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (true) {
    while (i < t.size() && ws(t[i])) ++i;
    if (i >= t.size()) break;
    size_t b = i;
    if (t[i] == '{' || t[i] == '[') {
      int depth = 0;
      bool str = false;
      for (; i < t.size(); ++i) {
        char c = t[i];
        if (str) {
          if (c == '\\')
            ++i;
          else if (c == '"')
            str = false;
        } else if (c == '"') {
          str = true;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          ++i;
          break;
        }
      }
      if (i > t.size()) i = t.size();
    } else {
      while (i < t.size() && !ws(t[i]) && t[i] != '{' && t[i] != '[') ++i;
    }
    advance_to(b);
    out.push_back({b, i, line, col});
  }
  return out;
}

void shift(Value& v, uint32_t dline, uint32_t dcol) {
  auto fix = [&](SourcePos& p) {
    if (p.line == 1) p.col += dcol;
    p.line += dline;
  };
  fix(v.pos);
  for (auto& i : v.items) shift(i, dline, dcol);
  for (auto& m : v.members) {
    fix(m.key_pos);
    shift(m.value, dline, dcol);
  }
}

}  // namespace

Result<std::vector<Document>> parse_documents(std::string_view text, const std::string& path) {
  std::vector<Document> docs;
  std::string name = path == "-" ? std::string("<stdin>") : path;
  size_t i = text.find_first_not_of(" \t\r\n");
  if (i != std::string::npos && text[i] != '{' && text[i] != '[') {
    // Not JSON: YAML (a superset; a JSON text that starts with { or [ is read as JSON, exactly).
    return yaml_documents(text, path);
  }
  // Parsed without a file name in every value's position (see yaml_to_json); an error names the file.
  auto named = [&](const Error& e, uint32_t line0, uint32_t col0) {
    if (!e.has_pos() || e.pos().line == 0) return Error(name + ": " + e.message());
    SourcePos p = e.pos();
    p.file = name;
    if (p.line == 1) p.col += col0;
    p.line += line0;
    return Error::at(p, e.detail());
  };
  auto chunks = split_stream(text);
  if (chunks.size() <= 1) {
    auto v = json::parse(text);
    if (!v) return named(v.error(), 0, 0);
    docs.push_back(Document{path, std::move(*v)});
    return docs;
  }
  if (chunks.size() > 100000) return Error(name + ": more than 100000 JSON documents in one stream");
  for (const auto& c : chunks) {
    auto v = json::parse(text.substr(c.begin, c.end - c.begin));
    if (!v) return named(v.error(), c.line - 1, c.col - 1);
    shift(*v, c.line - 1, c.col - 1);
    docs.push_back(Document{path, std::move(*v)});
  }
  return docs;
}

namespace {

Result<void> load_one(const std::string& path, std::vector<Document>& docs) {
  CONFINE_TRY(std::string text, file::read_file(path, file::kMaxProfileBytes));
  CONFINE_TRY(std::vector<Document> ds, parse_documents(text, path));
  for (auto& d : ds) docs.push_back(std::move(d));
  return {};
}

Result<void> walk(const std::string& dir, std::vector<std::string>& files, int depth) {
  if (depth > 16) return Error(dir + ": directories nested deeper than 16");
  DIR* d = ::opendir(dir.c_str());
  if (!d) return Error::sys("opendir(\"" + dir + "\")", errno);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.empty() || n[0] == '.') continue;
    names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string p = dir + "/" + n;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return Error::sys("lstat(\"" + p + "\")", errno);
    if (S_ISDIR(st.st_mode)) {
      CONFINE_CHECK(walk(p, files, depth + 1));
    } else if (S_ISREG(st.st_mode) &&
               (ends_with_ci(n, ".json") || ends_with_ci(n, ".yaml") || ends_with_ci(n, ".yml"))) {
      if (files.size() >= kMaxFiles) return Error(dir + ": more than 10000 manifest files");
      files.push_back(p);
    }
  }
  return {};
}

}  // namespace

namespace {
// The values of a large scan are a few hundred thousand small allocations, 15-20 times the input's size
// (2960 objects, 5.6 MiB of YAML: 87 MB); on 4 KiB pages the kernel's page faults were 28% of the
// scan's CPU. Before the first large load (1 MiB of input or more), the heap is grown once by about
// what the values will need (24 x the input, at most 1 GiB of address space; pages are only used when
// touched) and that range is advised MADV_HUGEPAGE (transparent huge pages, when the host allows them:
// "madvise" or "always"; "never" leaves it as it was), and glibc is told not to give it back
// (M_TRIM_THRESHOLD) meanwhile. Best effort: any step that does not work leaves the heap as it was.
void reserve_heap(uint64_t input_bytes) {
  static bool done = false;
  if (done || input_bytes < (1u << 20)) return;
  done = true;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(input_bytes * 24, uint64_t{1} << 30));
  char* before = static_cast<char*>(sbrk(0));
  if (before == reinterpret_cast<char*>(-1)) return;
  mallopt(M_TRIM_THRESHOLD, INT32_MAX);  // above the pad: free() never gives the range back
  mallopt(M_TOP_PAD, static_cast<int>(std::min<size_t>(want, INT32_MAX)));
  // Blocks below the mmap threshold until the heap grows (by the block and the pad): at most a few.
  std::vector<void*> blocks;
  char* after = before;
  for (int i = 0; i < 8 && after == before; ++i) {
    blocks.push_back(malloc(96 << 10));
    after = static_cast<char*>(sbrk(0));
  }
  mallopt(M_TOP_PAD, 128 << 10);  // glibc's default again for later growth
  constexpr uintptr_t kHuge = 2u << 20;
  uintptr_t lo = (reinterpret_cast<uintptr_t>(before) + kHuge - 1) & ~(kHuge - 1);
  uintptr_t hi = reinterpret_cast<uintptr_t>(after) & ~(kHuge - 1);
  if (after != reinterpret_cast<char*>(-1) && hi > lo)
    (void)madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
  for (void* b : blocks) free(b);
}
}  // namespace

Result<std::vector<Document>> load_manifests(const std::string& arg, bool tune_heap) {
  std::string path_or_dash = arg;
  while (path_or_dash.size() > 1 && path_or_dash.back() == '/') path_or_dash.pop_back();
  std::vector<Document> docs;
  struct stat st {};
  if (path_or_dash != "-" && ::stat(path_or_dash.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::vector<std::string> files;
    CONFINE_CHECK(walk(path_or_dash, files, 0));
    if (files.empty()) return Error(path_or_dash + ": no *.json, *.yaml or *.yml manifest in this directory");
    uint64_t bytes = 0;
    for (const auto& f : files)
      if (struct stat fs{}; ::stat(f.c_str(), &fs) == 0) bytes += static_cast<uint64_t>(fs.st_size);
    if (tune_heap) reserve_heap(bytes);
    for (const auto& f : files) CONFINE_CHECK(load_one(f, docs));
    return docs;
  }
  if (tune_heap && path_or_dash != "-" && S_ISREG(st.st_mode))
    reserve_heap(static_cast<uint64_t>(st.st_size));
  CONFINE_CHECK(load_one(path_or_dash, docs));
  return docs;
}

namespace {
void flatten(const Document& d, const Value& v, std::vector<Object>& out, int depth) {
  if (v.is(Type::Array) && depth < 4) {
    for (const auto& i : v.items) flatten(d, i, out, depth + 1);
    return;
  }
  if (v.is(Type::Object) && depth < 4) {
    const Value* k = v.find("kind");
    const Value* items = v.find("items");
    if (k && k->is(Type::String) && k->text.ends_with("List") && items && items->is(Type::Array)) {
      for (const auto& i : items->items) flatten(d, i, out, depth + 1);
      return;
    }
  }
  out.push_back({&d, &v});
}
}  // namespace

std::vector<Object> objects(const std::vector<Document>& docs) {
  std::vector<Object> out;
  for (const auto& d : docs) flatten(d, d.root, out, 0);
  return out;
}

namespace {
ObjectResult scan_object(const Object& ob, const Options& o) {
  ObjectResult r;
  r.doc = ob.doc;
  r.w = rules::model(*ob.v);
  if (!ob.v->is(Type::Object)) {
    r.findings.push_back({"scan/notAnObject", "scan", rules::Severity::Error, "", ob.v->pos,
                          "expected a Kubernetes object, got " + std::string(json::type_name(ob.v->type))});
    return r;
  }
  if (!r.w.supported) {
    // Never silent: an unknown kind or a CRD is reported as skipped.
    std::string k = r.w.kind.empty() ? "(no kind)" : r.w.kind;
    r.findings.push_back(
        {"scan/kindNotSupported", "scan", rules::Severity::Warning, "kind", r.w.pos,
         "skipped: kind not supported: " + k + (r.w.api_version.empty() ? "" : " (" + r.w.api_version + ")") +
             "; scanned kinds: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, "
             "ReplicationController, PodTemplate"});
    return r;
  }
  rules::check_pss(r.w, o.level, o.version, r.findings);
  for (const auto* c : rules::pss_checks_for(o.level, o.version)) r.checks.emplace_back(c->id);
  rules::check_versions(r.w, o.version, r.findings);
  if (o.bundle) rules::check_bundle(r.w, *o.bundle, o.version, r.findings);
  return r;
}

// The values' positions carry no file name (see yaml_to_json): the findings get their document's.
ObjectResult scan_one(const Object& ob, const Options& o) {
  ObjectResult r = scan_object(ob, o);
  if (!ob.doc || ob.doc->file.empty()) return r;
  const std::string file = ob.doc->file == "-" ? std::string("<stdin>") : ob.doc->file;
  if (r.w.pos.file.empty()) r.w.pos.file = file;
  for (auto& f : r.findings)
    if (f.pos.file.empty()) f.pos.file = file;
  return r;
}
}  // namespace

std::vector<ObjectResult> run(const std::vector<Object>& objs, const Options& o) {
  std::vector<ObjectResult> rs;
  rs.reserve(objs.size());
  for (const auto& ob : objs) rs.push_back(scan_one(ob, o));
  return rs;
}

size_t scan_document(const Value& doc, const Options& o) {
  Document d{"fuzz", Value()};
  std::vector<Object> objs;
  flatten(d, doc, objs, 0);
  size_t n = 0;
  for (const auto& ob : objs) {
    n += scan_one(ob, o).findings.size();
    n += rules::kubesec_report(*ob.v, "fuzz").members.size();
  }
  return n;
}

bool has_errors(const std::vector<ObjectResult>& rs) {
  for (const auto& r : rs)
    for (const auto& f : r.findings)
      if (f.severity == rules::Severity::Error) return true;
  return false;
}

namespace {
std::string loc(const SourcePos& p) {
  std::string s = p.file.empty() ? "<stdin>" : p.file;
  if (p.line) s += ":" + std::to_string(p.line) + ":" + std::to_string(p.col);
  return s;
}
std::string header(const Options& o) {
  return "level " + std::string(rules::level_name(o.level)) + ", Kubernetes " + o.version.str();
}
}  // namespace

std::string format_table(const std::vector<ObjectResult>& rs, const Options& o) {
  std::string s;
  size_t errors = 0, warnings = 0, objects_bad = 0;
  for (const auto& r : rs) {
    bool bad = false;
    for (const auto& f : r.findings) {
      std::string line =
          loc(f.pos) + ": " + std::string(rules::severity_name(f.severity)) + ": " + r.w.id() + ": " + f.rule;
      if (!f.path.empty()) line += " at " + f.path;
      line += ": " + f.message;
      // Names and values come from the input: escaped, unless the line is printable ASCII without a
      // backslash (nearly every line), which escape_terminal would return unchanged.
      bool plain = std::all_of(line.begin(), line.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return c >= 0x20 && c < 0x7f && c != '\\';
      });
      s += plain ? line : file::escape_terminal(line);
      s += '\n';
      if (f.severity == rules::Severity::Error) {
        ++errors;
        bad = true;
      } else if (f.severity == rules::Severity::Warning) {
        ++warnings;
      }
    }
    objects_bad += bad;
  }
  s += std::to_string(rs.size()) + " object(s) scanned (" + header(o) + "): " + std::to_string(objects_bad) +
       " failing, " + std::to_string(errors) + " error(s), " + std::to_string(warnings) + " warning(s)\n";
  return s;
}

namespace {
Value finding_json(const rules::Finding& f) {
  Value o = Value::make_object();
  o.add("rule", Value::make_string(f.rule));
  o.add("set", Value::make_string(f.set));
  o.add("severity", Value::make_string(std::string(rules::severity_name(f.severity))));
  o.add("path", Value::make_string(f.path));
  o.add("location", Value::make_string(loc(f.pos)));
  o.add("line", Value::make_u64(f.pos.line));
  o.add("col", Value::make_u64(f.pos.col));
  o.add("message", Value::make_string(f.message));
  return o;
}
}  // namespace

std::string format_json(const std::vector<ObjectResult>& rs, const Options& o) {
  Value root = Value::make_object();
  root.add("format", Value::make_string("confine-k8s-scan/1"));
  root.add("level", Value::make_string(std::string(rules::level_name(o.level))));
  root.add("k8sVersion", Value::make_string(o.version.str()));
  if (o.bundle) root.add("bundle", Value::make_string(o.bundle->hash));
  Value objs = Value::make_array();
  for (const auto& r : rs) {
    Value ob = Value::make_object();
    ob.add("object", Value::make_string(r.w.id()));
    ob.add("kind", Value::make_string(r.w.kind));
    ob.add("name", Value::make_string(r.w.name));
    ob.add("namespace", Value::make_string(r.w.ns));
    ob.add("location", Value::make_string(loc(r.w.pos)));
    bool ok = true;
    for (const auto& f : r.findings) ok = ok && f.severity != rules::Severity::Error;
    ob.add("allowed", Value::make_bool(ok));
    Value fs = Value::make_array();
    for (const auto& f : r.findings) fs.push(finding_json(f));
    ob.add("findings", std::move(fs));
    objs.push(std::move(ob));
  }
  root.add("objects", std::move(objs));
  return json::write(root) + "\n";
}

std::string format_kubesec(const std::vector<ObjectResult>& rs) {
  Value a = Value::make_array();
  for (const auto& r : rs) a.push(rules::kubesec_report(*r.w.obj, r.doc ? r.doc->file : ""));
  return json::write(a) + "\n";
}

namespace {
struct RuleInfo {
  std::string id, text;
};
std::string rule_text(const std::string& id) {
  for (const auto& c : rules::pss_checks())
    if (c.id == id)
      return "Pod Security Standards (" + std::string(rules::level_name(c.level)) +
             "): " + std::string(c.summary);
  if (id == "confine/fieldVersion")
    return "a securityContext field the Kubernetes version does not have (dropped by the API server)";
  if (id == "confine/deprecatedAnnotation") return "a deprecated or ignored seccomp/AppArmor annotation";
  if (id == "confine/seccompProfileInBundle")
    return "a Localhost seccomp profile must be in the bundle with its content hash";
  if (id == "confine/appArmorProfileInBundle")
    return "a Localhost AppArmor profile must be in the bundle with its content hash";
  if (id == "confine/capabilitiesBeyondBehavior")
    return "capabilities added beyond what the recorded behaviour used";
  if (id == "confine/writableRootUnused")
    return "a writable root file system the recorded behaviour never wrote to";
  if (id == "scan/kindNotSupported") return "an object kind the scanner does not check (skipped, reported)";
  if (id == "scan/notAnObject") return "an input item that is not a Kubernetes object";
  if (id == "podSpec") return "a workload without a pod spec";
  return id;
}
}  // namespace

std::string format_sarif(const std::vector<ObjectResult>& rs, const Options& o) {
  std::vector<std::string> ids;
  std::map<std::string, size_t> index;
  for (const auto& r : rs)
    for (const auto& f : r.findings)
      if (!index.count(f.rule)) {
        index[f.rule] = ids.size();
        ids.push_back(f.rule);
      }
  Value rules_a = Value::make_array();
  for (const auto& id : ids) {
    Value rl = Value::make_object();
    rl.add("id", Value::make_string(id));
    Value sd = Value::make_object();
    sd.add("text", Value::make_string(rule_text(id)));
    rl.add("shortDescription", std::move(sd));
    if (id.find('/') == std::string::npos && id != "podSpec")
      rl.add("helpUri",
             Value::make_string("https://kubernetes.io/docs/concepts/security/pod-security-standards/"));
    rules_a.push(std::move(rl));
  }
  Value results = Value::make_array();
  for (const auto& r : rs)
    for (const auto& f : r.findings) {
      Value res = Value::make_object();
      res.add("ruleId", Value::make_string(f.rule));
      res.add("ruleIndex", Value::make_u64(index[f.rule]));
      res.add("level", Value::make_string(std::string(rules::severity_name(f.severity))));
      Value m = Value::make_object();
      m.add("text", Value::make_string(r.w.id() + ": " + f.message));
      res.add("message", std::move(m));
      Value l = Value::make_object();
      Value pl = Value::make_object();
      Value al = Value::make_object();
      std::string uri = r.doc ? r.doc->file : "";
      if (uri.empty() || uri == "-") uri = "stdin";
      al.add("uri", Value::make_string(uri));
      pl.add("artifactLocation", std::move(al));
      if (f.pos.line > 0) {
        Value rg = Value::make_object();
        rg.add("startLine", Value::make_u64(f.pos.line));
        if (f.pos.col > 0) rg.add("startColumn", Value::make_u64(f.pos.col));
        pl.add("region", std::move(rg));
      }
      l.add("physicalLocation", std::move(pl));
      Value lls = Value::make_array();
      Value ll = Value::make_object();
      ll.add("fullyQualifiedName", Value::make_string(r.w.id() + (f.path.empty() ? "" : ":" + f.path)));
      ll.add("kind", Value::make_string("member"));
      lls.push(std::move(ll));
      l.add("logicalLocations", std::move(lls));
      Value locs = Value::make_array();
      locs.push(std::move(l));
      res.add("locations", std::move(locs));
      results.push(std::move(res));
    }
  Value driver = Value::make_object();
  driver.add("name", Value::make_string("confine"));
  driver.add("version", Value::make_string("0.1.0"));
  driver.add("rules", std::move(rules_a));
  Value tool = Value::make_object();
  tool.add("driver", std::move(driver));
  Value run = Value::make_object();
  run.add("tool", std::move(tool));
  Value props = Value::make_object();
  props.add("level", Value::make_string(std::string(rules::level_name(o.level))));
  props.add("k8sVersion", Value::make_string(o.version.str()));
  run.add("properties", std::move(props));
  run.add("results", std::move(results));
  Value root = Value::make_object();
  root.add("$schema", Value::make_string("https://json.schemastore.org/sarif-2.1.0.json"));
  root.add("version", Value::make_string("2.1.0"));
  Value runs = Value::make_array();
  runs.push(std::move(run));
  root.add("runs", std::move(runs));
  return json::write(root) + "\n";
}

std::string format_policyreport(const std::vector<ObjectResult>& rs, const Options& o) {
  // One PolicyReport per namespace (wgpolicyk8s.io/v1alpha2); non-workload objects are "skip".
  std::map<std::string, std::vector<Value>> by_ns;
  std::map<std::string, std::map<std::string, uint64_t>> sums;
  std::string policy = "confine-pss-" + std::string(rules::level_name(o.level));
  auto result = [&](const ObjectResult& r, const std::string& rule, const std::string& res,
                    const rules::Finding* f) {
    Value v = Value::make_object();
    v.add("source", Value::make_string("confine"));
    v.add("policy", Value::make_string(f && f->set == "confine" ? "confine"
                                       : f && f->set == "scan"  ? "confine-scan"
                                                                : policy));
    v.add("rule", Value::make_string(rule));
    v.add("result", Value::make_string(res));
    v.add("scored", Value::make_bool(true));
    if (f) {
      v.add("severity", Value::make_string(f->severity == rules::Severity::Error     ? "high"
                                           : f->severity == rules::Severity::Warning ? "medium"
                                                                                     : "info"));
      v.add("message", Value::make_string(f->message));
      Value p = Value::make_object();
      p.add("path", Value::make_string(f->path));
      p.add("location", Value::make_string(loc(f->pos)));
      v.add("properties", std::move(p));
    }
    Value res_a = Value::make_array();
    Value ref = Value::make_object();
    ref.add("apiVersion", Value::make_string(r.w.api_version));
    ref.add("kind", Value::make_string(r.w.kind));
    ref.add("name", Value::make_string(r.w.name));
    if (!r.w.ns.empty()) ref.add("namespace", Value::make_string(r.w.ns));
    res_a.push(std::move(ref));
    v.add("resources", std::move(res_a));
    std::string ns = r.w.ns.empty() ? "default" : r.w.ns;
    by_ns[ns].push_back(std::move(v));
    ++sums[ns][res];
  };
  for (const auto& r : rs) {
    std::set<std::string> failed;
    for (const auto& f : r.findings) {
      std::string res = f.rule == "scan/kindNotSupported"      ? "skip"
                        : f.severity == rules::Severity::Error ? "fail"
                                                               : "warn";
      result(r, f.rule, res, &f);
      failed.insert(f.rule);
    }
    for (const auto& c : r.checks)
      if (!failed.count(c)) result(r, c, "pass", nullptr);
  }
  Value items = Value::make_array();
  for (auto& [ns, results] : by_ns) {
    Value pr = Value::make_object();
    pr.add("apiVersion", Value::make_string("wgpolicyk8s.io/v1alpha2"));
    pr.add("kind", Value::make_string("PolicyReport"));
    Value md = Value::make_object();
    md.add("name", Value::make_string("confine-scan"));
    md.add("namespace", Value::make_string(ns));
    pr.add("metadata", std::move(md));
    Value sum = Value::make_object();
    for (std::string k : {"pass", "fail", "warn", "error", "skip"}) sum.add(k, Value::make_u64(sums[ns][k]));
    pr.add("summary", std::move(sum));
    Value ra = Value::make_array();
    for (auto& v : results) ra.push(std::move(v));
    pr.add("results", std::move(ra));
    items.push(std::move(pr));
  }
  Value list = Value::make_object();
  list.add("apiVersion", Value::make_string("v1"));
  list.add("kind", Value::make_string("List"));
  list.add("items", std::move(items));
  return json::write(list) + "\n";
}

}  // namespace confine::k8s::scan
