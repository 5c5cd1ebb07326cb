#include "watch/filter.h"

#include <fnmatch.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace confine::watch {

namespace {

struct FieldSpec {
  std::string_view name;
  FieldId id;
  VType type;
  std::string_view desc;
};

constexpr FieldSpec kFields[] = {
    {"evt.type", FieldId::EvtType, VType::Str, "syscall name (open, execve, ...)"},
    {"evt.dir", FieldId::EvtDir, VType::Str,
     "'<' when the call returned (the eBPF source), '>' at its entry (the unotify source)"},
    {"evt.res", FieldId::EvtRes, VType::Num,
     "return value (the eBPF source; absent with unotify, which answers before the call runs)"},
    {"evt.time", FieldId::EvtTime, VType::Str, "time of the event (UTC, ns)"},
    {"evt.arch", FieldId::EvtArch, VType::Str, "syscall ABI: x86_64, i386, x32"},
    {"evt.arg", FieldId::EvtArg, VType::Str,
     "evt.arg.NAME / evt.arg[N]: an argument as text (paths resolved, AF_/PTRACE_ names)"},
    {"evt.rawarg", FieldId::EvtRawArg, VType::Num, "evt.rawarg.NAME: an argument's raw value"},
    {"evt.is_open_read", FieldId::EvtIsOpenRead, VType::Bool, "open*/creat asking for read access"},
    {"evt.is_open_write", FieldId::EvtIsOpenWrite, VType::Bool,
     "open*/creat asking for write access (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC)"},
    {"evt.is_open_exec", FieldId::EvtIsOpenExec, VType::Bool,
     "open* with O_EXEC/O_PATH-less exec intent (execve*)"},
    {"proc.name", FieldId::ProcName, VType::Str, "process name (comm; after execve: the new program's)"},
    {"proc.exe", FieldId::ProcExe, VType::Str, "argv[0]"},
    {"proc.exepath", FieldId::ProcExepath, VType::Str, "the executable's path"},
    {"proc.cmdline", FieldId::ProcCmdline, VType::Str, "name and arguments: \"bash -c ls\""},
    {"proc.args", FieldId::ProcArgs, VType::Str, "arguments (argv[1..]) joined by spaces"},
    {"proc.pid", FieldId::ProcPid, VType::Num, "process id"},
    {"proc.ppid", FieldId::ProcPpid, VType::Num, "parent process id"},
    {"proc.pname", FieldId::ProcPname, VType::Str, "parent's name"},
    {"proc.pcmdline", FieldId::ProcPcmdline, VType::Str, "parent's cmdline"},
    {"proc.pexepath", FieldId::ProcPexepath, VType::Str, "parent's executable path"},
    {"proc.pis_server", FieldId::ProcPisServer, VType::Bool,
     "(confine) the parent held a listening TCP socket when the process was started: a network server"},
    {"proc.aname", FieldId::ProcAname, VType::Str,
     "proc.aname[N]: the Nth ancestor's name (0 = the process); without [N]: any ancestor"},
    {"thread.tid", FieldId::ThreadTid, VType::Num, "thread id"},
    {"fd.name", FieldId::FdName, VType::Str, "the file (absolute path) or socket address the call names"},
    {"fd.directory", FieldId::FdDirectory, VType::Str, "fd.name's directory"},
    {"fd.filename", FieldId::FdFilename, VType::Str, "fd.name's last component"},
    {"fd.typechar", FieldId::FdTypechar, VType::Str,
     "f file, 4/6 IP socket, u unix socket, n netlink, m memfd, o other"},
    {"user.name", FieldId::UserName, VType::Str, "user name (/etc/passwd of the watching host)"},
    {"user.uid", FieldId::UserUid, VType::Num, "real user id"},
    {"container.id", FieldId::ContainerId, VType::Str,
     "12-hex container id from the cgroup path; \"host\" outside a container"},
};

std::vector<FieldDoc> make_docs() {
  std::vector<FieldDoc> v;
  for (const auto& f : kFields)
    v.push_back({f.name,
                 f.type == VType::Num    ? "number"
                 : f.type == VType::Bool ? "bool"
                                         : "string",
                 f.desc});
  return v;
}

// A resolved value: absent, a string view or a number.
struct Val {
  bool present = false;
  std::string_view s;
  int64_t n = 0;
};

const ProcInfo* parent_of(const Event& e, const ProcInfo* p) {
  if (!p || !e.procs || p->ppid <= 0) return nullptr;
  return e.procs->find(p->ppid);
}

const ProcInfo* ancestor(const Event& e, int n) {
  const ProcInfo* p = e.proc;
  for (int i = 0; i < n && p; ++i) p = parent_of(e, p);
  return p;
}

std::string_view arch_str(Arch a) {
  switch (a) {
    case Arch::X86_64: return "x86_64";
    case Arch::X86: return "i386";
    case Arch::X32: return "x32";
    default: return "other";
  }
}

std::string_view dir_of(std::string_view p) {
  size_t s = p.rfind('/');
  if (s == std::string_view::npos) return {};
  return s == 0 ? std::string_view("/") : p.substr(0, s);
}

// Single-valued fields (proc.aname without index is handled by the caller).
Val get(const Field& f, const Event& e) {
  Val v;
  auto str = [&](std::string_view s) {
    v.present = true;
    v.s = s;
    return v;
  };
  auto num = [&](int64_t n) {
    v.present = true;
    v.n = n;
    return v;
  };
  const ProcInfo* p = e.proc;
  switch (f.id) {
    case FieldId::EvtType: return e.type.empty() ? v : str(e.type);
    case FieldId::EvtDir: return str(e.has_res ? "<" : ">");
    case FieldId::EvtRes: return e.has_res ? num(e.res) : v;
    case FieldId::EvtTime: return v;  // outputs only
    case FieldId::EvtArch: return str(arch_str(e.arch));
    case FieldId::EvtArg: {
      if (f.index >= 0)
        return static_cast<size_t>(f.index) < e.args.size() ? str(e.args[static_cast<size_t>(f.index)].text)
                                                            : v;
      const Arg* a = e.arg(f.arg);
      return a ? str(a->text) : v;
    }
    case FieldId::EvtArgN: return v;
    case FieldId::EvtRawArg: {
      const Arg* a = e.arg(f.arg);
      return a && a->has_raw ? num(static_cast<int64_t>(a->raw)) : v;
    }
    case FieldId::EvtIsOpenRead: return e.is_open ? num(e.open_read) : v;
    case FieldId::EvtIsOpenWrite: return e.is_open ? num(e.open_write) : v;
    case FieldId::EvtIsOpenExec: return e.is_open ? num(e.open_exec) : v;
    case FieldId::ProcName: return p && !p->comm.empty() ? str(p->comm) : v;
    case FieldId::ProcExe: return p && p->has_argv && !p->argv.empty() ? str(p->argv[0]) : v;
    case FieldId::ProcExepath: return p && !p->exepath.empty() ? str(p->exepath) : v;
    case FieldId::ProcCmdline: return p && p->has_argv ? str(p->cmdline) : v;
    case FieldId::ProcArgs: return p && p->has_argv ? str(p->args) : v;
    case FieldId::ProcPid: return p ? num(p->pid) : v;
    case FieldId::ProcPpid: return p && p->ppid > 0 ? num(p->ppid) : v;
    case FieldId::ProcPname: {
      const ProcInfo* q = parent_of(e, p);
      return q && !q->comm.empty() ? str(q->comm) : v;
    }
    case FieldId::ProcPcmdline: {
      const ProcInfo* q = parent_of(e, p);
      return q && q->has_argv ? str(q->cmdline) : v;
    }
    case FieldId::ProcPexepath: {
      const ProcInfo* q = parent_of(e, p);
      return q && !q->exepath.empty() ? str(q->exepath) : v;
    }
    case FieldId::ProcPisServer: return p && p->parent_listens >= 0 ? num(p->parent_listens) : v;
    case FieldId::ProcAname: {
      const ProcInfo* q = ancestor(e, f.index < 0 ? 1 : f.index);
      return q && !q->comm.empty() ? str(q->comm) : v;
    }
    case FieldId::ThreadTid: return e.tid > 0 ? num(e.tid) : v;
    case FieldId::FdName: return e.has_fd ? str(e.fd_name) : v;
    case FieldId::FdDirectory: {
      if (!e.has_fd || e.fd_name.empty() || e.fd_name[0] != '/') return v;
      return str(dir_of(e.fd_name));
    }
    case FieldId::FdFilename: {
      if (!e.has_fd || e.fd_name.empty() || e.fd_name[0] != '/') return v;
      return str(std::string_view(e.fd_name).substr(e.fd_name.rfind('/') + 1));
    }
    case FieldId::FdTypechar: {
      if (e.fd_type == FdType::None) return v;
      static const char kChars[] = "fd46upesmno";
      const char* c = std::find(kChars, kChars + 11, static_cast<char>(e.fd_type));
      return str(std::string_view(c, 1));
    }
    case FieldId::UserName: return p && !p->user.empty() ? str(p->user) : v;
    case FieldId::UserUid: return p && p->has_uid ? num(p->uid) : v;
    case FieldId::ContainerId: return p && !p->container_id.empty() ? str(p->container_id) : v;
  }
  return v;
}

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool icontains(std::string_view hay, std::string_view needle_lower) {
  if (needle_lower.empty()) return true;
  if (hay.size() < needle_lower.size()) return false;
  for (size_t i = 0; i + needle_lower.size() <= hay.size(); ++i) {
    size_t k = 0;
    while (k < needle_lower.size() && lower(hay[i + k]) == needle_lower[k]) ++k;
    if (k == needle_lower.size()) return true;
  }
  return false;
}

// fnmatch needs NUL-terminated strings: values are copied into a stack buffer (paths are
// bounded by PATH_MAX; longer values do not match).
bool glob_match(const std::string& pat, std::string_view s) {
  char buf[4096 + 1];
  if (s.size() > 4096) return false;
  std::copy(s.begin(), s.end(), buf);
  buf[s.size()] = 0;
  return fnmatch(pat.c_str(), buf, 0) == 0;
}

// Path prefix match: s is one of the prefixes or below one (component boundary).
bool pmatch(const std::vector<std::string>& prefixes, std::string_view s) {
  for (const auto& p : prefixes) {
    if (s.size() < p.size() || s.compare(0, p.size(), p) != 0) continue;
    if (s.size() == p.size() || p.back() == '/' || s[p.size()] == '/') return true;
  }
  return false;
}

bool cmp_str(const Node& n, std::string_view s) {
  switch (n.op) {
    case Op::Eq: return s == n.str;
    case Op::Ne: return s != n.str;
    case Op::Contains: return s.find(n.str) != std::string_view::npos;
    case Op::IContains: return icontains(s, n.str);
    case Op::StartsWith: return s.size() >= n.str.size() && s.compare(0, n.str.size(), n.str) == 0;
    case Op::EndsWith:
      return s.size() >= n.str.size() && s.compare(s.size() - n.str.size(), n.str.size(), n.str) == 0;
    case Op::Glob: return glob_match(n.str, s);
    case Op::In:
    case Op::Intersects:
      return std::binary_search(n.strs.begin(), n.strs.end(), s,
                                [](auto a, auto b) { return std::string_view(a) < std::string_view(b); });
    case Op::PMatch: return pmatch(n.strs, s);
    default: return false;
  }
}

bool cmp_num(const Node& n, int64_t v) {
  switch (n.op) {
    case Op::Eq: return v == n.num;
    case Op::Ne: return v != n.num;
    case Op::Lt: return v < n.num;
    case Op::Le: return v <= n.num;
    case Op::Gt: return v > n.num;
    case Op::Ge: return v >= n.num;
    case Op::In:
    case Op::Intersects: return std::binary_search(n.nums.begin(), n.nums.end(), v);
    default: return false;
  }
}

bool eval_cmp(const Node& n, const Event& e) {
  const Field& f = n.field;
  if (f.id == FieldId::ProcAname && f.index < 0) {
    // Every ancestor (parent, grandparent, ...): `in` and `=` hold when one of them matches;
    // `!=` when none equals the value; exists when there is a parent.
    const ProcInfo* q = parent_of(e, e.proc);
    if (n.op == Op::Exists) return q != nullptr;
    bool any = false, none_eq = q != nullptr;
    for (int i = 0; q && i < kMaxAncestors; ++i, q = parent_of(e, q)) {
      if (q->comm.empty()) continue;
      if (n.op == Op::Ne) {
        if (q->comm == n.str) none_eq = false;
      } else if (cmp_str(n, q->comm)) {
        any = true;
        break;
      }
    }
    return n.op == Op::Ne ? none_eq : any;
  }
  Val v = get(f, e);
  if (n.op == Op::Exists) return v.present;
  if (!v.present) return false;
  if (f.type == VType::Str) return cmp_str(n, v.s);
  return cmp_num(n, v.n);
}

}  // namespace

const std::vector<FieldDoc>& field_docs() {
  static const std::vector<FieldDoc> docs = make_docs();
  return docs;
}

void ProcInfo::finish() {
  args.clear();
  for (size_t i = 1; i < argv.size(); ++i) {
    if (i > 1) args += ' ';
    args += argv[i];
  }
  cmdline = comm;
  if (!args.empty()) cmdline += " " + args;
}

Result<Field> parse_field(std::string_view name) {
  Field f;
  f.name = std::string(name);
  std::string_view base = name;
  int index = -1;
  size_t br = name.find('[');
  if (br != std::string_view::npos) {
    if (name.back() != ']' || br + 2 > name.size() - 1)
      return Error("bad field index in \"" + std::string(name) + "\"");
    std::string_view num = name.substr(br + 1, name.size() - br - 2);
    auto r = std::from_chars(num.data(), num.data() + num.size(), index);
    if (r.ec != std::errc() || r.ptr != num.data() + num.size() || index < 0 || index > kMaxAncestors)
      return Error("bad field index in \"" + std::string(name) + "\" (0.." + std::to_string(kMaxAncestors) +
                   ")");
    base = name.substr(0, br);
  }
  std::string_view argname;
  for (std::string_view pre : {std::string_view("evt.arg."), std::string_view("evt.rawarg.")})
    if (base.size() > pre.size() && base.substr(0, pre.size()) == pre) {
      argname = base.substr(pre.size());
      base = base.substr(0, pre.size() - 1);
    }
  for (const auto& s : kFields) {
    if (s.name != base) continue;
    f.id = s.id;
    f.type = s.type;
    f.index = index;
    f.arg = std::string(argname);
    bool wants_index = s.id == FieldId::ProcAname || s.id == FieldId::EvtArg;
    if (index >= 0 && !wants_index) return Error("field \"" + std::string(base) + "\" takes no index");
    if (s.id == FieldId::EvtArg && argname.empty() && index < 0)
      return Error("evt.arg needs an argument: evt.arg.NAME or evt.arg[N]");
    if (s.id == FieldId::EvtArg && !argname.empty() && index >= 0)
      return Error("evt.arg.NAME takes no index");
    if (s.id == FieldId::EvtRawArg && argname.empty())
      return Error("evt.rawarg needs an argument: evt.rawarg.NAME");
    if (s.id != FieldId::EvtArg && s.id != FieldId::EvtRawArg && !argname.empty())
      return Error("unknown field \"" + std::string(name) + "\"");
    return f;
  }
  return Error("unknown field \"" + std::string(name) + "\"");
}

std::string format_field(const Field& f, const Event& e) {
  if (f.id == FieldId::EvtTime) {
    time_t s = static_cast<time_t>(e.ts_ns / 1000000000ull);
    tm t;
    gmtime_r(&s, &t);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ", t.tm_year + 1900, t.tm_mon + 1,
                  t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                  static_cast<unsigned long long>(e.ts_ns % 1000000000ull));
    return buf;
  }
  if (f.id == FieldId::ProcAname && f.index < 0) {  // every ancestor, as a list
    std::string out;
    const ProcInfo* q = parent_of(e, e.proc);
    for (int i = 0; q && i < kMaxAncestors; ++i, q = parent_of(e, q))
      out += (out.empty() ? "" : ",") + q->comm;
    return out.empty() ? "<NA>" : out;
  }
  Val v = get(f, e);
  if (!v.present) return "<NA>";
  if (f.type == VType::Str) return std::string(v.s);
  if (f.type == VType::Bool) return v.n ? "true" : "false";
  return std::to_string(v.n);
}

bool eval(const Node& n, const Event& e) {
  switch (n.kind) {
    case Node::Kind::True: return true;
    case Node::Kind::Cmp: return eval_cmp(n, e);
    case Node::Kind::Not: return !eval(n.kids[0], e);
    case Node::Kind::And:
      for (const auto& k : n.kids)
        if (!eval(k, e)) return false;
      return true;
    case Node::Kind::Or:
      for (const auto& k : n.kids)
        if (eval(k, e)) return true;
      return false;
  }
  return false;
}

TypeSet event_types(const Node& n) {
  TypeSet t;
  switch (n.kind) {
    case Node::Kind::Cmp:
      if (n.field.id == FieldId::EvtType && (n.op == Op::Eq || n.op == Op::In || n.op == Op::Intersects)) {
        t.any = false;
        if (n.op == Op::Eq)
          t.names.insert(n.str);
        else
          t.names.insert(n.strs.begin(), n.strs.end());
      }
      return t;
    case Node::Kind::And: {
      for (const auto& k : n.kids) {
        TypeSet s = event_types(k);
        if (s.any) continue;
        if (t.any) {
          t = std::move(s);
        } else {
          std::set<std::string> both;
          for (const auto& x : s.names)
            if (t.names.count(x)) both.insert(x);
          t.names = std::move(both);
        }
      }
      return t;
    }
    case Node::Kind::Or: {
      t.any = false;
      for (const auto& k : n.kids) {
        TypeSet s = event_types(k);
        if (s.any) return TypeSet{};
        t.names.insert(s.names.begin(), s.names.end());
      }
      return t;
    }
    default: return t;
  }
}

// ---------------------------------------------------------------- the compiler

namespace {

struct Tok {
  enum Kind { End, LParen, RParen, Comma, OpSym, Word, Str } kind = End;
  std::string text;
  size_t off = 0;
};

bool is_word_char(char c) {
  return !(std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == ',' || c == '=' ||
           c == '<' || c == '>' || c == '!' || c == '"' || c == '\'');
}

constexpr int kMaxDepth = 64;
constexpr size_t kMaxNodes = 200000;

class Parser {
 public:
  Parser(std::string_view text, const PosMap& pos, const Symbols& syms, std::vector<std::string>* stack,
         size_t* nodes)
      : s_(text), pos_(pos), syms_(syms), stack_(stack), nodes_(nodes) {}

  Result<Node> parse() {
    CONFINE_CHECK(next());
    if (tok_.kind == Tok::End) return err(tok_.off, "empty condition");
    CONFINE_TRY(Node n, parse_or(0));
    if (tok_.kind != Tok::End)
      return err(tok_.off, "unexpected \"" + tok_.text + "\" (expected and/or or the end)");
    return n;
  }

 private:
  Error err(size_t off, std::string msg) { return Error::at(pos_ ? pos_(off) : SourcePos{}, std::move(msg)); }

  Status next() {
    size_t i = i_;
    while (i < s_.size() && std::isspace(static_cast<unsigned char>(s_[i]))) ++i;
    tok_ = Tok{};
    tok_.off = i;
    if (i >= s_.size()) {
      i_ = i;
      return ok();
    }
    char c = s_[i];
    if (c == '(' || c == ')' || c == ',') {
      tok_.kind = c == '(' ? Tok::LParen : c == ')' ? Tok::RParen : Tok::Comma;
      tok_.text = std::string(1, c);
      i_ = i + 1;
      return ok();
    }
    if (c == '=' || c == '<' || c == '>' || c == '!') {
      tok_.kind = Tok::OpSym;
      size_t j = i + 1;
      if (j < s_.size() && s_[j] == '=') ++j;
      tok_.text = std::string(s_.substr(i, j - i));
      if (tok_.text == "!") return err(i, "unexpected \"!\" (use != or not)");
      i_ = j;
      return ok();
    }
    if (c == '"' || c == '\'') {
      tok_.kind = Tok::Str;
      size_t j = i + 1;
      while (j < s_.size() && s_[j] != c) {
        if (s_[j] == '\\' && j + 1 < s_.size()) ++j;
        tok_.text += s_[j];
        ++j;
      }
      if (j >= s_.size()) return err(i, "unterminated string");
      i_ = j + 1;
      return ok();
    }
    size_t j = i;
    while (j < s_.size() && is_word_char(s_[j])) ++j;
    tok_.kind = Tok::Word;
    tok_.text = std::string(s_.substr(i, j - i));
    i_ = j;
    return ok();
  }

  Status count() {
    if (++*nodes_ > kMaxNodes)
      return err(tok_.off, "condition too large (macros expand to more than 200000 nodes)");
    return ok();
  }

  Result<Node> parse_or(int depth) {
    if (depth > kMaxDepth) return err(tok_.off, "condition nested too deeply");
    CONFINE_TRY(Node first, parse_and(depth));
    if (!(tok_.kind == Tok::Word && tok_.text == "or")) return first;
    Node n;
    n.kind = Node::Kind::Or;
    n.kids.push_back(std::move(first));
    while (tok_.kind == Tok::Word && tok_.text == "or") {
      CONFINE_CHECK(next());
      CONFINE_TRY(Node k, parse_and(depth));
      n.kids.push_back(std::move(k));
    }
    return n;
  }

  Result<Node> parse_and(int depth) {
    CONFINE_TRY(Node first, parse_unary(depth));
    if (!(tok_.kind == Tok::Word && tok_.text == "and")) return first;
    Node n;
    n.kind = Node::Kind::And;
    n.kids.push_back(std::move(first));
    while (tok_.kind == Tok::Word && tok_.text == "and") {
      CONFINE_CHECK(next());
      CONFINE_TRY(Node k, parse_unary(depth));
      n.kids.push_back(std::move(k));
    }
    return n;
  }

  Result<Node> parse_unary(int depth) {
    if (depth > kMaxDepth) return err(tok_.off, "condition nested too deeply");
    CONFINE_CHECK(count());
    if (tok_.kind == Tok::Word && tok_.text == "not") {
      CONFINE_CHECK(next());
      CONFINE_TRY(Node k, parse_unary(depth + 1));
      Node n;
      n.kind = Node::Kind::Not;
      n.kids.push_back(std::move(k));
      return n;
    }
    if (tok_.kind == Tok::LParen) {
      CONFINE_CHECK(next());
      CONFINE_TRY(Node n, parse_or(depth + 1));
      if (tok_.kind != Tok::RParen) return err(tok_.off, "expected \")\"");
      CONFINE_CHECK(next());
      return n;
    }
    if (tok_.kind != Tok::Word)
      return err(tok_.off,
                 tok_.kind == Tok::End ? "unexpected end of condition" : "unexpected \"" + tok_.text + "\"");
    if (tok_.text == "and" || tok_.text == "or") return err(tok_.off, "unexpected \"" + tok_.text + "\"");
    if (tok_.text.find('.') == std::string::npos) return macro(depth);
    return comparison();
  }

  Result<Node> macro(int depth) {
    std::string name = tok_.text;
    size_t off = tok_.off;
    const MacroDef* m = nullptr;
    if (syms_.macros) {
      auto it = syms_.macros->find(name);
      if (it != syms_.macros->end()) m = &it->second;
    }
    if (!m) return err(off, "undefined macro \"" + name + "\"");
    auto seen = std::find(stack_->begin(), stack_->end(), name);
    if (seen != stack_->end()) {
      std::string cycle;
      for (auto i = seen; i != stack_->end(); ++i) cycle += *i + " -> ";
      return err(off, "macros refer to each other in a cycle: " + cycle + name);
    }
    if (stack_->size() > static_cast<size_t>(kMaxDepth)) return err(off, "macros nested too deeply");
    stack_->push_back(name);
    Parser sub(m->condition, m->pos, syms_, stack_, nodes_);
    auto r = sub.parse();
    stack_->pop_back();
    if (!r.ok()) return std::move(r).error();
    (void)depth;
    CONFINE_CHECK(next());
    return std::move(*r);
  }

  // One operand value: a word or a quoted string.
  Result<std::string> scalar() {
    // Falco's `evt.dir = <` / `evt.dir=>`: a bare < or > is a value there.
    bool dir_value = tok_.kind == Tok::OpSym && (tok_.text == "<" || tok_.text == ">");
    if (tok_.kind != Tok::Word && tok_.kind != Tok::Str && !dir_value)
      return err(tok_.off, tok_.kind == Tok::End ? "missing value at the end of the condition"
                                                 : "expected a value, found \"" + tok_.text + "\"");
    std::string v = tok_.text;
    CONFINE_CHECK(next());
    return v;
  }

  Result<std::vector<std::pair<std::string, size_t>>> list() {
    std::vector<std::pair<std::string, size_t>> out;
    if (tok_.kind == Tok::Word && syms_.lists && syms_.lists->count(tok_.text)) {
      // A bare list name: `in my_list` is not Falco's syntax; ask for parentheses.
      return err(tok_.off, "a list needs parentheses: (" + tok_.text + ")");
    }
    if (tok_.kind != Tok::LParen) return err(tok_.off, "expected \"(\" and a list of values");
    CONFINE_CHECK(next());
    if (tok_.kind == Tok::RParen) {
      CONFINE_CHECK(next());
      return out;
    }
    while (true) {
      if (tok_.kind != Tok::Word && tok_.kind != Tok::Str)
        return err(tok_.off, "expected a value in the list");
      bool quoted = tok_.kind == Tok::Str;
      const std::vector<std::string>* l = nullptr;
      if (!quoted && syms_.lists) {
        auto it = syms_.lists->find(tok_.text);
        if (it != syms_.lists->end()) l = &it->second;
      }
      if (l) {
        for (const auto& x : *l) out.emplace_back(x, tok_.off);
      } else {
        out.emplace_back(tok_.text, tok_.off);
      }
      if (out.size() > kMaxNodes) return err(tok_.off, "list too long");
      CONFINE_CHECK(next());
      if (tok_.kind == Tok::Comma) {
        CONFINE_CHECK(next());
        continue;
      }
      if (tok_.kind == Tok::RParen) {
        CONFINE_CHECK(next());
        return out;
      }
      return err(tok_.off, "expected \",\" or \")\" in the list");
    }
  }

  Result<int64_t> number(const std::string& s, size_t off) {
    int64_t v = 0;
    std::string_view t = s;
    bool neg = !t.empty() && t[0] == '-';
    if (neg) t.remove_prefix(1);
    int base = 10;
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t.remove_prefix(2), base = 16;
    uint64_t u = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), u, base);
    if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size())
      return err(off, "expected a number, found \"" + s + "\"");
    v = static_cast<int64_t>(u);
    return neg ? -v : v;
  }

  Result<Node> comparison() {
    size_t foff = tok_.off;
    auto f = parse_field(tok_.text);
    if (!f.ok()) return err(foff, f.error().detail());
    Node n;
    n.kind = Node::Kind::Cmp;
    n.field = std::move(*f);
    CONFINE_CHECK(next());
    size_t ooff = tok_.off;
    std::string op = tok_.text;
    if (tok_.kind == Tok::OpSym) {
      if (op == "=" || op == "==")
        n.op = Op::Eq;
      else if (op == "!=")
        n.op = Op::Ne;
      else if (op == "<")
        n.op = Op::Lt;
      else if (op == "<=")
        n.op = Op::Le;
      else if (op == ">")
        n.op = Op::Gt;
      else if (op == ">=")
        n.op = Op::Ge;
      else
        return err(ooff, "unknown operator \"" + op + "\"");
    } else if (tok_.kind == Tok::Word) {
      static const std::pair<std::string_view, Op> kWordOps[] = {
          {"contains", Op::Contains},     {"icontains", Op::IContains}, {"startswith", Op::StartsWith},
          {"endswith", Op::EndsWith},     {"glob", Op::Glob},           {"in", Op::In},
          {"intersects", Op::Intersects}, {"pmatch", Op::PMatch},       {"exists", Op::Exists}};
      bool found = false;
      for (const auto& [w, o] : kWordOps)
        if (w == op) n.op = o, found = true;
      if (!found) return err(ooff, "unknown operator \"" + op + "\" after " + n.field.name);
    } else {
      return err(ooff, tok_.kind == Tok::End
                           ? "missing operator after " + n.field.name
                           : "expected an operator after " + n.field.name + ", found \"" + op + "\"");
    }
    CONFINE_CHECK(next());
    if (n.op == Op::Exists) return n;
    const VType t = n.field.type;
    bool is_list = n.op == Op::In || n.op == Op::Intersects || n.op == Op::PMatch;
    bool str_only = n.op == Op::Contains || n.op == Op::IContains || n.op == Op::StartsWith ||
                    n.op == Op::EndsWith || n.op == Op::Glob || n.op == Op::PMatch;
    bool order = n.op == Op::Lt || n.op == Op::Le || n.op == Op::Gt || n.op == Op::Ge;
    if (str_only && t != VType::Str)
      return err(ooff, op + " needs a string field; " + n.field.name + " is a number");
    if (order && t != VType::Num)
      return err(ooff, op + " needs a numeric field; " + n.field.name + " is not");
    if (t == VType::Bool && is_list) return err(ooff, op + " on a boolean field");
    if (n.field.id == FieldId::ProcAname && n.field.index < 0 && t == VType::Str && order)
      return err(ooff, "proc.aname without [N] takes =, !=, in and the string operators");
    if (is_list) {
      CONFINE_TRY(auto items, list());
      for (auto& [v, off] : items) {
        if (t == VType::Num) {
          CONFINE_TRY(int64_t x, number(v, off));
          n.nums.push_back(x);
        } else {
          n.strs.push_back(std::move(v));
        }
      }
      std::sort(n.strs.begin(), n.strs.end());
      n.strs.erase(std::unique(n.strs.begin(), n.strs.end()), n.strs.end());
      std::sort(n.nums.begin(), n.nums.end());
      return n;
    }
    size_t voff = tok_.off;
    CONFINE_TRY(std::string v, scalar());
    if (t == VType::Num) {
      CONFINE_TRY(n.num, number(v, voff));
    } else if (t == VType::Bool) {
      if (v == "true")
        n.num = 1;
      else if (v == "false")
        n.num = 0;
      else
        return err(voff, n.field.name + " is true or false, not \"" + v + "\"");
    } else {
      if (n.op == Op::IContains)
        for (auto& c : v) c = lower(c);
      n.str = std::move(v);
    }
    return n;
  }

  std::string_view s_;
  const PosMap& pos_;
  const Symbols& syms_;
  std::vector<std::string>* stack_;
  size_t* nodes_;
  size_t i_ = 0;
  Tok tok_;
};

}  // namespace

Result<Node> compile(std::string_view text, const PosMap& pos, const Symbols& syms) {
  std::vector<std::string> stack;
  size_t nodes = 0;
  Parser p(text, pos, syms, &stack, &nodes);
  return p.parse();
}

std::string OutputFormat::render(const Event& e) const {
  std::string out;
  for (const auto& p : parts) out += p.is_field ? format_field(p.field, e) : p.text;
  return out;
}

Result<OutputFormat> compile_output(std::string_view text, const PosMap& pos) {
  OutputFormat o;
  std::string lit;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c != '%') {
      lit += c;
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool paren = j < text.size() && text[j] == '(';
    if (paren) ++j;
    size_t st = j;
    while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_' ||
                               text[j] == '.' || text[j] == '[' || text[j] == ']'))
      ++j;
    std::string_view name = text.substr(st, j - st);
    while (!name.empty() && name.back() == '.') name.remove_suffix(1), --j;  // "%fd.name." ends a sentence
    if (name.empty()) {                                                      // a lone '%'
      lit += c;
      ++i;
      continue;
    }
    if (paren) {
      if (j >= text.size() || text[j] != ')')
        return Error::at(pos ? pos(i) : SourcePos{}, "expected \")\" after %(" + std::string(name));
      ++j;
    }
    auto f = parse_field(name);
    if (!f.ok()) return Error::at(pos ? pos(i) : SourcePos{}, "output: " + f.error().detail());
    if (!lit.empty()) o.parts.push_back({std::move(lit), false, {}}), lit.clear();
    o.parts.push_back({"", true, std::move(*f)});
    i = j;
  }
  // A folded or literal block scalar ends with a newline: outputs are one line.
  while (!lit.empty() && std::isspace(static_cast<unsigned char>(lit.back()))) lit.pop_back();
  if (!lit.empty()) o.parts.push_back({std::move(lit), false, {}});
  return o;
}

}  // namespace confine::watch
