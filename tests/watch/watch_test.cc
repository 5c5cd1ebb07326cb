// The watch engine: condition grammar (each operator, positive and negative), absent
// fields, macros/lists/exceptions/overrides, error positions, outputs, the stock rules.
#include <gtest/gtest.h>

#include <cstring>

#include "ebpf/watch_abi.h"
#include "watch/ebpf.h"
#include "watch/filter.h"
#include "watch/live.h"
#include "watch/live_shared.h"
#include "watch/rules.h"

namespace confine::watch {
namespace {

struct Procs : ProcLookup {
  std::map<pid_t, ProcInfo> m;
  const ProcInfo* find(pid_t pid) override {
    auto it = m.find(pid);
    return it == m.end() ? nullptr : &it->second;
  }
  void add(pid_t pid, pid_t ppid, std::string comm, std::vector<std::string> argv, std::string exe = "") {
    ProcInfo p;
    p.pid = pid, p.ppid = ppid, p.comm = std::move(comm), p.argv = std::move(argv), p.has_argv = true;
    p.exepath = std::move(exe);
    p.has_uid = true, p.uid = 0, p.user = "root", p.container_id = "host";
    p.finish();
    m[pid] = std::move(p);
  }
};

struct Fixture {
  Procs procs;
  Event e;
  Fixture() {
    procs.add(1, 0, "systemd", {"/sbin/init"});
    procs.add(100, 1, "nginx", {"nginx", "-g", "daemon off;"}, "/usr/sbin/nginx");
    procs.add(200, 100, "bash", {"bash", "-c", "id"}, "/usr/bin/bash");
    e.type = "openat";
    e.tid = 200;
    e.proc = &procs.m[200];
    e.procs = &procs;
    e.has_fd = true;
    e.fd_name = "/etc/shadow";
    e.fd_type = FdType::File;
    e.is_open = true;
    e.open_read = true;
    e.args.push_back(Arg{"name", "/etc/shadow", 0, false});
    e.args.push_back(Arg{"flags", "0x0", 0, true});
  }
};

bool run(const std::string& cond, const Event& e, const RuleSet* with = nullptr) {
  (void)with;
  auto n = compile(cond, nullptr, Symbols{});
  EXPECT_TRUE(n.ok()) << cond << ": " << (n.ok() ? "" : n.error().message());
  return n.ok() && eval(*n, e);
}

TEST(WatchFilter, Operators) {
  Fixture f;
  const Event& e = f.e;
  struct Case {
    const char* cond;
    bool want;
  } cases[] = {
      {"evt.type = openat", true},
      {"evt.type == openat", true},
      {"evt.type = open", false},
      {"evt.type != open", true},
      {"evt.type != openat", false},
      {"proc.pid < 201", true},
      {"proc.pid < 200", false},
      {"proc.pid <= 200", true},
      {"proc.pid > 199", true},
      {"proc.pid > 200", false},
      {"proc.pid >= 200", true},
      {"proc.pid >= 201", false},
      {"fd.name contains shad", true},
      {"fd.name contains SHAD", false},
      {"fd.name icontains SHAD", true},
      {"fd.name icontains passwd", false},
      {"fd.name startswith /etc/", true},
      {"fd.name startswith /usr", false},
      {"fd.name endswith shadow", true},
      {"fd.name endswith passwd", false},
      {"fd.name glob '/etc/sh*'", true},
      {"fd.name glob '/usr/*'", false},
      {"proc.name in (sh, bash)", true},
      {"proc.name in (sh, zsh)", false},
      {"proc.name intersects (bash)", true},
      {"proc.aname intersects (nginx, httpd)", true},
      {"proc.aname intersects (httpd)", false},
      {"fd.name pmatch (/etc)", true},
      {"fd.name pmatch (/et)", false},
      {"fd.name pmatch (/usr, /etc/shadow)", true},
      {"fd.name exists", true},
      {"evt.res exists", false},
      {"proc.pname = nginx", true},
      {"proc.aname[0] = bash", true},
      {"proc.aname[1] = nginx", true},
      {"proc.aname[2] = systemd", true},
      {"proc.aname[3] = systemd", false},
      {"proc.aname = systemd", true},
      {"proc.aname = bash", false},
      {"proc.aname != nginx", false},
      {"proc.aname != apache2", true},
      {"proc.cmdline = \"bash -c id\"", true},
      {"proc.args = '-c id'", true},
      {"proc.exepath = /usr/bin/bash", true},
      {"proc.exe = bash", true},
      {"fd.directory = /etc", true},
      {"fd.filename = shadow", true},
      {"fd.typechar = f", true},
      {"evt.is_open_read = true", true},
      {"evt.is_open_write = true", false},
      {"evt.arg.name = /etc/shadow", true},
      {"evt.arg[0] = /etc/shadow", true},
      {"evt.rawarg.flags = 0", true},
      {"user.name = root and user.uid = 0", true},
      {"container.id = host", true},
      {"evt.dir = '>'", true},
      {"not evt.type = openat", false},
      {"not (evt.type = open or evt.type = creat)", true},
      {"evt.type = open or evt.type = openat and proc.name = bash", true},
      {"(evt.type = open or evt.type = openat) and proc.name = sh", false},
      {"evt.type in (open, \"openat\", 'creat')", true},
      {"proc.pid in (1, 0xc8)", true},
  };
  for (const auto& c : cases) EXPECT_EQ(run(c.cond, e), c.want) << c.cond;
}

TEST(WatchFilter, AbsentFieldsAreFalse) {
  Fixture f;
  f.e.has_fd = false;
  f.e.proc = nullptr;
  for (const char* c :
       {"fd.name = /etc/shadow", "fd.name != /etc/shadow", "fd.name startswith /", "proc.name in (bash)",
        "evt.res = 0", "evt.res != 0", "proc.pname = nginx", "fd.name exists", "evt.arg.nope = x"})
    EXPECT_FALSE(run(c, f.e)) << c;
  EXPECT_TRUE(run("not fd.name = /etc/shadow", f.e));
  Field n;
  n.id = FieldId::FdName;
  EXPECT_EQ(format_field(n, f.e), "<NA>");
}

// The eBPF source evaluates a call at its exit: evt.res is the return value, evt.dir '<'
// (Falco writes `evt.dir = <` and `evt.dir=<`, a bare operator character as the value).
TEST(WatchFilter, ExitEvents) {
  Fixture f;
  EXPECT_TRUE(run("evt.dir = >", f.e));
  EXPECT_FALSE(run("evt.dir = <", f.e));
  f.e.has_res = true;
  f.e.res = -2;
  for (const char* c :
       {"evt.dir = <", "evt.dir=<", "evt.res = -2", "evt.res < 0", "evt.dir != > and evt.res exists"})
    EXPECT_TRUE(run(c, f.e)) << c;
  EXPECT_FALSE(run("evt.dir=>", f.e));
}

TEST(WatchFilter, ErrorsAtLineCol) {
  auto pos = [](size_t off) { return SourcePos{"c", 1, static_cast<uint32_t>(off + 1)}; };
  struct Case {
    const char* cond;
    const char* want;
  } cases[] = {
      {"proc.nam = x", "c:1:1: unknown field \"proc.nam\""},
      {"proc.name == ", "c:1:14: missing value at the end of the condition"},
      {"proc.name in bash", "c:1:14: expected \"(\" and a list of values"},
      {"proc.name foo x", "c:1:11: unknown operator \"foo\" after proc.name"},
      {"proc.pid contains 1", "c:1:10: contains needs a string field; proc.pid is a number"},
      {"proc.pid = abc", "c:1:12: expected a number, found \"abc\""},
      {"(evt.type = open", "c:1:17: expected \")\""},
      {"evt.type = open and", "c:1:20: unexpected end of condition"},
      {"evt.type = open xor", "c:1:17: unexpected \"xor\" (expected and/or or the end)"},
      {"my_macro and evt.type = open", "c:1:1: undefined macro \"my_macro\""},
      {"proc.name = 'abc", "c:1:13: unterminated string"},
      {"evt.is_open_write = yes", "c:1:21: evt.is_open_write is true or false, not \"yes\""},
      {"proc.aname[99] = x", "c:1:1: bad field index in \"proc.aname[99]\" (0..16)"},
      {"", "c:1:1: empty condition"},
  };
  for (const auto& c : cases) {
    auto r = compile(c.cond, pos, Symbols{});
    ASSERT_FALSE(r.ok()) << c.cond;
    EXPECT_EQ(r.error().message(), c.want) << c.cond;
  }
}

TEST(WatchFilter, EventTypes) {
  auto types = [](const char* c) {
    auto n = compile(c, nullptr, Symbols{});
    EXPECT_TRUE(n.ok());
    return event_types(*n);
  };
  auto t = types("evt.type in (open, openat) and proc.name = x");
  EXPECT_FALSE(t.any);
  EXPECT_EQ(t.names, (std::set<std::string>{"open", "openat"}));
  t = types("evt.type = open or evt.type = execve");
  EXPECT_EQ(t.names, (std::set<std::string>{"execve", "open"}));
  EXPECT_TRUE(types("proc.name = x").any);
  EXPECT_TRUE(types("not evt.type = open").any);
  EXPECT_TRUE(types("evt.type = open or proc.name = x").any);
  t = types("evt.type in (open, openat) and evt.type = openat");
  EXPECT_EQ(t.names, (std::set<std::string>{"openat"}));
}

Status load(RuleSet& rs, const std::string& text) {
  CONFINE_CHECK(rs.load(text, "r.yaml"));
  return rs.compile();
}

std::vector<std::string> fired(const RuleSet& rs, const Event& e) {
  std::vector<std::string> v;
  rs.match(e, [&](const Rule& r) { v.push_back(r.name); });
  return v;
}

TEST(WatchRules, MacrosListsExceptionsOverrides) {
  RuleSet rs;
  Status st = load(rs, R"Y(
- list: secrets
  items: [/etc/shadow, /etc/gshadow]
- list: secrets
  items: [/etc/sudoers]
  append: true
- macro: open_read
  condition: evt.type in (open, openat) and evt.is_open_read = true
- rule: Read secret
  desc: d
  condition: >
    open_read and
    fd.name in (secrets)
  output: "read %fd.name by %proc.name (parent %proc.pname, %proc.aname[2])"
  priority: warning
  tags: [a]
  exceptions:
    - name: readers
      fields: [proc.name, proc.pname]
      values:
        - [sudo, bash]
- rule: Read secret
  exceptions:
    - name: readers
      values:
        - [login, sshd]
    - name: by_dir
      fields: fd.directory
      comps: in
      values: [/nothing]
  override: {exceptions: append}
- rule: Shell
  desc: s
  condition: evt.type = openat
  output: x
  priority: INFO
- rule: Shell
  condition: and proc.name = zsh
  append: true
- rule: Off
  desc: o
  condition: evt.type = openat
  output: o
  priority: debug
  enabled: false
)Y");
  ASSERT_TRUE(st.ok()) << st.error().message();
  Fixture f;
  EXPECT_EQ(fired(rs, f.e), std::vector<std::string>{"Read secret"});
  const Rule* r = rs.rules()[0].get();
  EXPECT_EQ(r->out.render(f.e), "read /etc/shadow by bash (parent nginx, systemd)");
  EXPECT_EQ(r->types.names, (std::set<std::string>{"open", "openat"}));
  f.procs.m[200].comm = "sudo";
  f.procs.m[100].comm = "bash";
  EXPECT_TRUE(fired(rs, f.e).empty());  // the first exception
  f.procs.m[200].comm = "login";
  f.procs.m[100].comm = "sshd";
  EXPECT_TRUE(fired(rs, f.e).empty());  // appended values
  f.procs.m[200].comm = "zsh";
  EXPECT_EQ(fired(rs, f.e), (std::vector<std::string>{"Read secret", "Shell"}));
  f.e.fd_name = "/etc/sudoers";  // appended list item
  EXPECT_EQ(fired(rs, f.e).size(), 2u);
  f.e.fd_name = "/etc/passwd";
  EXPECT_EQ(fired(rs, f.e), std::vector<std::string>{"Shell"});
  EXPECT_TRUE(rs.interested("openat"));
  EXPECT_FALSE(rs.interested("execve"));
}

TEST(WatchRules, OverrideReplace) {
  RuleSet rs;
  Status st = load(rs, R"Y(
- rule: R
  desc: d
  condition: evt.type = openat
  output: one
  priority: warning
- rule: R
  condition: evt.type = execve
  output: two %proc.name
  priority: critical
  override: {condition: replace, output: replace, priority: replace}
)Y");
  ASSERT_TRUE(st.ok()) << st.error().message();
  Fixture f;
  EXPECT_TRUE(fired(rs, f.e).empty());
  f.e.type = "execve";
  ASSERT_EQ(fired(rs, f.e).size(), 1u);
  EXPECT_EQ(rs.rules()[0]->priority, Priority::Critical);
  EXPECT_EQ(rs.rules()[0]->out.render(f.e), "two bash");
}

TEST(WatchRules, ErrorsAtLineCol) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"- rule: R\n  desc: d\n  condition: evt.type = open and proc.nme = x\n  output: o\n  priority: info\n",
       "rule \"R\": r.yaml:3:34: unknown field \"proc.nme\""},
      {"- rule: R\n  desc: d\n  condition: >\n    evt.type = open and\n    proc.name in bash\n  output: o\n  "
       "priority: info\n",
       "rule \"R\": r.yaml:5:18: expected \"(\" and a list of values"},
      {"- macro: m\n  condition: evt.type = \n",
       "macro \"m\": r.yaml:2:24: missing value at the end of the condition"},
      {"- rule: R\n  desc: d\n  condition: m2\n  output: o\n  priority: info\n",
       "rule \"R\": r.yaml:3:14: undefined macro \"m2\""},
      {"- rule: R\n  desc: d\n  condition: evt.type=open\n  output: o %proc.nam\n  priority: info\n",
       "rule \"R\": r.yaml:4:13: output: unknown field \"proc.nam\""},
      {"- rule: R\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: loud\n",
       "r.yaml:5:13: unknown priority \"loud\" (emergency, alert, critical, error, warning, notice, "
       "informational, debug)"},
      {"- rule: R\n  condition: x\n  append: true\n",
       "r.yaml:1:9: append/override of rule \"R\", which is not defined"},
      {"- required_engine_version: 9.0.0\n",
       "r.yaml:1:28: the rules need engine version 9.0.0; this engine implements 0.31.0"},
      {"- rul: R\n", "r.yaml:1:3: unknown item \"rul\" (rule, macro, list, required_engine_version)"},
      {"- rule: R\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: info\n  bogus: 1\n",
       "r.yaml:6:3: unknown key \"bogus\" in a rule item"},
      {"- macro: a\n  condition: b\n- macro: b\n  condition: a\n",
       "macro \"a\": r.yaml:4:14: macros refer to each other in a cycle: a -> b -> a"},

      // A lone CR is a YAML line break, not a '\n' line: positions count '\n' only.
      {"- list: l\r\r\r\r\r\r  items: [\r\r\r",
       "r.yaml:1:29: invalid YAML: did not find expected node content "
       "(while parsing a flow node at line 1)"},
  };
  for (const auto& c : cases) {
    RuleSet rs;
    auto st = load(rs, c.text);
    ASSERT_FALSE(st.ok()) << c.text;
    EXPECT_EQ(st.error().message(), c.want) << c.text;
  }
}

TEST(WatchRules, StockRulesCompileAndAreIndexed) {
  RuleSet rs;
  ASSERT_FALSE(stock_rules().empty());
  ASSERT_TRUE(rs.load(stock_rules(), "stock").ok());
  Status st = rs.compile();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_GE(rs.rules().size(), 10u);
  EXPECT_FALSE(rs.interested_in_all());  // every stock rule names its syscalls
  EXPECT_FALSE(rs.interested("read"));
  Fixture f;  // bash (child of nginx) reads /etc/shadow
  EXPECT_EQ(fired(rs, f.e), std::vector<std::string>{"Read sensitive file"});
  f.e.type = "execve";
  f.e.has_fd = false;
  f.e.is_open = false;
  EXPECT_EQ(fired(rs, f.e), std::vector<std::string>{"Shell spawned by a server"});
}

TEST(WatchRules, JsonOutput) {
  RuleSet rs;
  ASSERT_TRUE(
      load(rs,
           "- rule: R\n  desc: d\n  condition: evt.type=openat\n  output: f=%fd.name p=%proc.pid r=%evt.res\n"
           "  priority: notice\n  tags: [t1]\n")
          .ok());
  Fixture f;
  f.e.ts_ns = 1700000000123456789ull;
  std::string j = format_alert_json(*rs.rules()[0], f.e, "h");
  EXPECT_EQ(
      j,
      "{\"hostname\":\"h\",\"output\":\"2023-11-14T22:13:20.123456789Z: Notice f=/etc/shadow p=200 r=<NA>\","
      "\"output_fields\":{\"fd.name\":\"/etc/"
      "shadow\",\"proc.pid\":200,\"evt.res\":\"<NA>\"},\"priority\":\"Notice\","
      "\"rule\":\"R\",\"source\":\"syscall\",\"tags\":[\"t1\"],\"time\":\"2023-11-14T22:13:20.123456789Z\"}");
  EXPECT_EQ(format_alert_text(*rs.rules()[0], f.e),
            "2023-11-14T22:13:20.123456789Z: Notice f=/etc/shadow p=200 r=<NA>");
}

TEST(WatchEvents, JsonRoundTrip) {
  Fixture f;
  std::string line = event_to_json(f.e);
  MemProcTable mp;
  Event e2;
  ASSERT_TRUE(event_from_json(line, &e2, &mp).ok());
  EXPECT_EQ(event_to_json(e2), line);
  RuleSet rs;
  ASSERT_TRUE(rs.load(stock_rules(), "stock").ok());
  ASSERT_TRUE(rs.compile().ok());
  EXPECT_EQ(fired(rs, e2), std::vector<std::string>{"Read sensitive file"});
}

// The eBPF source's events (ebpf/watch_abi.h) into watch::Events, without the kernel: an openat
// of a relative path (its directory walked by the program), then its exit; an exec of a memfd.
// Pids that do not exist: the process fields come from the events alone.
void put_names(confine_wpath* p, std::initializer_list<const char*> leaf_first) {
  p->n = 0, p->used = 0, p->flags = 0;
  for (const char* n : leaf_first) {
    std::strcpy(p->base + p->used, n);
    p->used += static_cast<unsigned>(std::strlen(n)) + 1;
    ++p->n;
  }
}

TEST(WatchEbpf, EnterExitAndExecEvents) {
  RuleSet rs;
  ASSERT_TRUE(
      rs.load(
            "- rule: R\n  desc: d\n  condition: evt.type = openat and fd.name = /etc/shadow and evt.res = "
            "-13 "
            "and evt.dir = <\n  output: \"%proc.name %fd.name %evt.res %evt.arg.flags\"\n  priority: NOTICE\n"
            "- rule: M\n  desc: d\n  condition: \"evt.type = execve and proc.exepath startswith /memfd:\"\n"
            "  output: \"%proc.exepath %proc.cmdline %evt.res\"\n  priority: NOTICE\n",
            "t.yaml")
          .ok());
  ASSERT_TRUE(rs.compile().ok());
  std::vector<std::string> alerts;
  EbpfEvents ev(&rs, nullptr, false, [&](const std::string& l) { alerts.push_back(l); });
  const unsigned pid = 0x7ffffff0u;
  auto hdr = [&](confine_whdr* h, unsigned type, int nr) {
    h->type = type, h->tgid = h->tid = pid, h->ppid = 1, h->uid = 0, h->nr = nr;
    std::strcpy(h->comm, "cat");
  };
  auto e = std::make_unique<confine_wenter>();
  std::memset(e.get(), 0, sizeof *e);
  hdr(&e->h, CONFINE_WEV_ENTER, 257);  // openat(AT_FDCWD, "shadow", O_RDONLY)
  e->args[0] = static_cast<uint64_t>(-100), e->args[1] = 0x1000, e->args[2] = 0;
  e->str_addr[0] = 0x1000;
  std::strcpy(e->str[0], "shadow");
  e->str_len[0] = 7;
  e->fd.fd = e->fd.path.fd = e->dir[1].fd = -1000;
  e->dir[0].fd = -100;
  put_names(&e->dir[0], {"etc"});
  ev.on_event(e.get(), sizeof *e);
  EXPECT_TRUE(alerts.empty());  // waits for its exit
  confine_wexit x{};
  hdr(&x.h, CONFINE_WEV_EXIT, 257);
  x.res = -13;
  ev.on_event(&x, sizeof x);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].find("Notice cat /etc/shadow -13 O_RDONLY"), std::string::npos) << alerts[0];

  std::memset(e.get(), 0, sizeof *e);
  hdr(&e->h, CONFINE_WEV_ENTER, 59);  // execve("/proc/self/fd/3", ...)
  e->args[0] = 0x2000;
  e->str_addr[0] = 0x2000;
  std::strcpy(e->str[0], "/proc/self/fd/3");
  e->str_len[0] = 16;
  e->fd.fd = e->fd.path.fd = e->dir[0].fd = e->dir[1].fd = -1000;
  ev.on_event(e.get(), sizeof *e);
  auto xe = std::make_unique<confine_wexec>();
  std::memset(xe.get(), 0, sizeof *xe);
  hdr(&xe->h, CONFINE_WEV_EXEC, 0);
  std::strcpy(xe->h.comm, "3");
  xe->old_tid = pid;
  put_names(&xe->exe, {"memfd:x"});
  xe->exe.flags = CONFINE_WF_INTERNAL;
  std::memcpy(xe->argv, "x\0-v\0", 5);
  xe->argv_len = 5;
  ev.on_event(xe.get(), sizeof *xe);
  hdr(&x.h, CONFINE_WEV_EXIT, 59);
  x.res = 0;
  ev.on_event(&x, sizeof x);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_NE(alerts[1].find("Notice /memfd:x (deleted) 3 -v 0"), std::string::npos) << alerts[1];
  // A call whose exit never comes (its thread exited) is evaluated without evt.res.
  std::memset(e.get(), 0, sizeof *e);
  hdr(&e->h, CONFINE_WEV_ENTER, 59);
  e->fd.fd = e->fd.path.fd = e->dir[0].fd = e->dir[1].fd = -1000;
  ev.on_event(e.get(), sizeof *e);
  confine_whdr gone{};
  hdr(&gone, CONFINE_WEV_GONE, 0);
  ev.on_event(&gone, sizeof gone);
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_NE(alerts[2].find("<NA>"), std::string::npos) << alerts[2];
  EXPECT_EQ(ev.no_exit(), 1u);
}

}  // namespace
}  // namespace confine::watch

// Scalar arguments render as Falco prints them, the same for both sources (one function).
TEST(WatchArgs, ScalarTexts) {
  using confine::watch::arg_scalar_text;
  using confine::watch::ArgKind;
  EXPECT_EQ(arg_scalar_text(ArgKind::CloneFlags, 0x10020000), "CLONE_NEWNS|CLONE_NEWUSER");
  EXPECT_EQ(arg_scalar_text(ArgKind::CloneFlags, 0x10000000 | 0x100000000ull),
            "CLONE_NEWUSER");  // 32-bit flags
  EXPECT_EQ(arg_scalar_text(ArgKind::CloneFlags, 0), "0");
  EXPECT_EQ(arg_scalar_text(ArgKind::CloneFlags, 0x80 | 0x1), "CLONE_NEWTIME|0x1");
  EXPECT_EQ(arg_scalar_text(ArgKind::OpenFlags, 01101), "O_WRONLY|O_CREAT|O_TRUNC");
  EXPECT_EQ(arg_scalar_text(ArgKind::OpenFlags, 0xffffffff00000000ull), "O_RDONLY");
  EXPECT_EQ(arg_scalar_text(ArgKind::Hex, 0x4000000), "0x4000000");
  EXPECT_EQ(arg_scalar_text(ArgKind::Fd, static_cast<uint64_t>(-100)), "AT_FDCWD");
}
