#include "logs/logs.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "json/json.h"
#include "logs/report.h"
#include "logs/to_seccomp.h"
#include "syscalls/syscalls.h"

namespace confine::logs {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream f(std::string(CONFINE_SOURCE_DIR) + "/tests/fixtures/logs/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Event one(std::string_view line) {
  Event ev;
  std::string why;
  EXPECT_EQ(parse_line(line, 1, &ev, &why), LineResult::Event) << line << " -> " << why;
  return ev;
}

TEST(Fields, QuotedBareHexAndWords) {
  std::vector<Field> f;
  std::string why;
  ASSERT_TRUE(split_fields(R"(avc:  denied  { read } for pid=1 comm=2F62696E name="a b" msg='x=1 y=2' k=v)",
                           &f, &why));
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[0], (Field{"pid", "1"}));
  EXPECT_EQ(f[1], (Field{"comm", "/bin"}));  // hex-encoded untrusted string
  EXPECT_EQ(f[2], (Field{"name", "a b"}));
  EXPECT_EQ(f[3], (Field{"msg", "x=1 y=2"}));
  EXPECT_EQ(f[4], (Field{"k", "v"}));
  f.clear();
  EXPECT_FALSE(split_fields(R"(a="unterminated)", &f, &why));
  EXPECT_NE(why.find("unterminated"), std::string::npos);
  // A bare value that is not hex stays as written; non-untrusted keys are never decoded.
  f.clear();
  ASSERT_TRUE(split_fields("comm=(null) ip=0x7f00 ses=4294967295", &f, &why));
  EXPECT_EQ(f[0].value, "(null)");
  EXPECT_EQ(f[2].value, "4294967295");
}

TEST(Fields, HexDecode) {
  EXPECT_EQ(hex_decode("2F62696E"), "/bin");
  EXPECT_EQ(hex_decode("2f62"), "/b");
  EXPECT_FALSE(hex_decode("2F6"));
  EXPECT_FALSE(hex_decode("zz"));
  EXPECT_FALSE(hex_decode(""));
}

TEST(Seccomp, SeedLineFromTheNotes) {
  Event e =
      one("Sep  1 10:39:56 lpul-k8stestwrk09 kernel: [1779317.170920] audit: type=1326 "
          "audit(1662053996.821:272): "
          "auid=4294967295 uid=0 gid=0 ses=4294967295 pid=801989 comm=\"runc:[2:INIT]\" exe=\"/\" sig=0 "
          "arch=c000003e "
          "syscall=202 compat=0 ip=0x55ed9c8764f3 code=0x7ffc0000");
  EXPECT_EQ(e.kind, Kind::Seccomp);
  EXPECT_EQ(e.source, Source::Syslog);
  EXPECT_EQ(e.type, 1326u);
  EXPECT_EQ(e.type_name, "SECCOMP");
  EXPECT_EQ(e.time, "1662053996.821");
  EXPECT_EQ(e.serial, 272u);
  EXPECT_EQ(e.arch, Arch::X86_64);
  EXPECT_EQ(e.syscall_nr, 202);
  EXPECT_EQ(e.syscall, "futex");
  EXPECT_EQ(e.action, "LOG");
  EXPECT_EQ(e.pid, 801989);
  EXPECT_EQ(e.comm, "runc:[2:INIT]");
  EXPECT_EQ(e.exe, "/");
  EXPECT_EQ(e.sig, 0);
}

TEST(Seccomp, ArchesByAuditValue) {
  // Names come from data/syscalls.csv for that arch, never from x86_64's table.
  struct Case {
    const char* arch_hex;
    int64_t nr;
    Arch arch;
  } cases[] = {
      {"c000003e", 83, Arch::X86_64},      {"40000003", 39, Arch::X86},     {"c00000b7", 34, Arch::AARCH64},
      {"c000003e", 0x40000053, Arch::X32}, {"40000028", 39, Arch::ARM},     {"c00000f3", 34, Arch::RISCV64},
      {"80000016", 39, Arch::S390X},       {"c0000015", 39, Arch::PPC64LE}, {"80000008", 5083, Arch::MIPS64},
      {"40000008", 4039, Arch::MIPSEL},
  };
  for (const auto& c : cases) {
    std::string line = std::string("audit: type=1326 audit(1.2:3): pid=1 comm=\"x\" arch=") + c.arch_hex +
                       " syscall=" + std::to_string(c.nr) + " code=0x80000000";
    Event e = one(line);
    ASSERT_TRUE(e.arch) << line;
    EXPECT_EQ(*e.arch, c.arch) << line;
    auto want = syscall_name(c.arch, static_cast<int32_t>(c.nr));
    EXPECT_EQ(e.syscall, want ? std::string(*want) : std::string()) << line;
    EXPECT_EQ(e.action, "KILL_PROCESS");
  }
  EXPECT_EQ(one("audit: type=1326 audit(1.2:3): arch=40000003 syscall=39 code=0x0").syscall, "mkdir");
  EXPECT_EQ(one("audit: type=1326 audit(1.2:3): arch=c00000b7 syscall=34 code=0x0").syscall, "mkdirat");
}

TEST(Seccomp, ActionsFromCode) {
  auto act = [](const char* code) {
    return one(std::string("audit: type=1326 audit(1.2:3): arch=c000003e syscall=0 code=") + code).action;
  };
  EXPECT_EQ(act("0x80000000"), "KILL_PROCESS");
  EXPECT_EQ(act("0x0"), "KILL_THREAD");
  EXPECT_EQ(act("0x30000"), "TRAP");
  EXPECT_EQ(act("0x50001"), "ERRNO(1 EPERM)");
  EXPECT_EQ(act("0x7fc00000"), "NOTIFY");
  EXPECT_EQ(act("0x7ffc0000"), "LOG");
  EXPECT_EQ(act("0x7fff0000"), "ALLOW");
}

TEST(Seccomp, AuditdEnrichedAndUnknownNumber) {
  Event e =
      one("type=SECCOMP msg=audit(1.2:3): pid=1 comm=\"x\" arch=c000003e syscall=99999 code=0x50001\x1d"
          "ARCH=x86_64 SYSCALL=made_up_call");
  EXPECT_EQ(e.source, Source::Auditd);
  EXPECT_EQ(e.syscall, "made_up_call");
  EXPECT_EQ(e.get("ARCH"), "x86_64");
}

TEST(AppArmor, CurrentAndOldForms) {
  Event e =
      one("[  512.1] audit: type=1400 audit(1763786402.003:303): apparmor=\"DENIED\" operation=\"capable\" "
          "class=\"cap\" "
          "profile=\"docker-default\" pid=5003 comm=\"ping\" capability=13  capname=\"net_raw\"");
  EXPECT_EQ(e.kind, Kind::AppArmor);
  EXPECT_EQ(e.source, Source::Dmesg);
  EXPECT_EQ(e.apparmor, "DENIED");
  EXPECT_EQ(e.operation, "capable");
  EXPECT_EQ(e.profile, "docker-default");
  EXPECT_EQ(e.capability, 13);
  EXPECT_EQ(e.capname, "net_raw");

  Event old =
      one("type=1503 audit(1287578461.418:64): operation=\"open\" pid=2234 parent=2232 "
          "profile=\"/usr/bin/evince\" "
          "requested_mask=\"rw::\" denied_mask=\"w::\" fsuid=1000 ouid=1000 name=\"/home/u/x\"");
  EXPECT_EQ(old.kind, Kind::AppArmor);
  EXPECT_EQ(old.apparmor, "DENIED");
  EXPECT_EQ(old.type_name, "APPARMOR_DENIED");
  EXPECT_EQ(old.requested, "rw");
  EXPECT_EQ(old.denied, "w");
  EXPECT_TRUE(old.owner_only);
  EXPECT_EQ(old.fsuid, 1000);
  Event other = one(
      "type=1503 audit(1.2:3): operation=\"open\" pid=2 profile=\"/usr/sbin/tcpdump\" requested_mask=\"::r\" "
      "denied_mask=\"::r\" fsuid=0 ouid=0 name=\"/etc/passwd\"");
  EXPECT_EQ(other.denied, "r");
  EXPECT_FALSE(other.owner_only);
}

TEST(AppArmor, HexEncodedNameAndComm) {
  Event e =
      one("audit: type=1400 audit(1.2:3): apparmor=\"ALLOWED\" operation=\"open\" profile=\"/usr/bin/curl\" "
          "name=2F746D702F6120622E747874 pid=5 comm=6375726C2077697468207370616365 requested_mask=\"wc\" "
          "denied_mask=\"wc\"");
  EXPECT_EQ(e.name, "/tmp/a b.txt");
  EXPECT_EQ(e.comm, "curl with space");
  EXPECT_EQ(e.requested, "cw");
}

TEST(Landlock, AccessAndDomainRecords) {
  Event a = one(
      "audit: type=1423 audit(1.2:3): domain=195ba459b blockers=fs.write_file,fs.truncate path=\"/tmp/x\" "
      "dev=\"tmpfs\" ino=12");
  EXPECT_EQ(a.kind, Kind::Landlock);
  EXPECT_EQ(a.domain, "195ba459b");
  EXPECT_EQ(a.blockers, "fs.write_file,fs.truncate");
  EXPECT_EQ(a.name, "/tmp/x");
  Event d = one(
      "type=UNKNOWN[1424] msg=audit(1.2:3): domain=195ba459b status=allocated mode=enforcing pid=300 uid=0 "
      "exe=\"/root/sandboxer\" comm=\"sandboxer\"");
  EXPECT_EQ(d.type, 1424u);
  EXPECT_EQ(d.type_name, "LANDLOCK_DOMAIN");
  EXPECT_EQ(d.status, "allocated");
  EXPECT_EQ(d.mode, "enforcing");
  EXPECT_EQ(d.comm, "sandboxer");
}

TEST(Fixtures, EveryDocumentedFormParses) {
  struct Want {
    const char* file;
    uint64_t events, skipped;
  } wants[] = {
      {"seccomp_seeds_syslog.log", 2, 0},
      {"seccomp_kernel.log", 8, 0},
      {"auditd.log", 8, 0},
      {"apparmor.log", 17, 0},
      {"landlock.log", 8, 0},
      {"journal.export", 3, 0},
      {"journal.json", 3, 0},
      {"malformed.log", 0, 11},
      {"kernel_6.18_real.log", 5, 0},
  };
  for (const auto& w : wants) {
    std::string data = fixture(w.file);
    ASSERT_FALSE(data.empty()) << w.file;
    ParseOutput out = parse_text(data);
    EXPECT_EQ(out.stats.events, w.events) << w.file;
    EXPECT_EQ(out.events.size(), w.events) << w.file;
    EXPECT_EQ(out.stats.skipped, w.skipped) << w.file;
    // The JSON report is produced for everything (and stays valid UTF-8 JSON; checked by the integration
    // test).
    EXPECT_FALSE(report_json(out.events, out.stats).empty());
  }
}

TEST(Fixtures, JournalExportAuditTransport) {
  ParseOutput out = parse_text(fixture("journal.export"));
  ASSERT_EQ(out.events.size(), 3u);
  EXPECT_EQ(out.events[0].syscall, "mkdir");
  EXPECT_EQ(out.events[0].action, "KILL_PROCESS");
  EXPECT_EQ(out.events[1].syscall, "rmdir");  // _AUDIT_TYPE=1326, MESSAGE="SECCOMP auid=..."
  EXPECT_EQ(out.events[1].serial, 501u);
  EXPECT_EQ(out.events[2].kind, Kind::AppArmor);  // binary-encoded MESSAGE field
  for (const auto& e : out.events) EXPECT_EQ(e.source, Source::Journal);
}

TEST(Fixtures, RealLandlockRecordsFromThisKernel) {
  ParseOutput out = parse_text(fixture("kernel_6.18_real.log"));
  ASSERT_EQ(out.events.size(), 5u);
  EXPECT_EQ(out.events[0].kind, Kind::Landlock);
  EXPECT_EQ(out.events[0].type_name, "LANDLOCK_ACCESS");
  EXPECT_EQ(out.events[0].blockers, "fs.make_dir");
  EXPECT_EQ(out.events[0].name, "/tmp/h5it");
  EXPECT_EQ(out.events[1].status, "allocated");
  EXPECT_EQ(out.events[1].domain, out.events[0].domain);
  EXPECT_EQ(out.events[2].get("denials"), "1");
  EXPECT_EQ(out.events[3].syscall, "mkdir");
}

TEST(Summary, GroupsAndCounts) {
  ParseOutput out = parse_text(fixture("seccomp_kernel.log") + fixture("apparmor.log"));
  Summary s = summarize(out.events);
  EXPECT_EQ(s.by_kind["seccomp"], 8u);
  EXPECT_EQ(s.by_kind["apparmor"], 17u);
  EXPECT_EQ(s.by_syscall["mkdir"], 3u);  // x86_64, i386 and x32 numbers all named mkdir
  EXPECT_EQ(s.syscalls_by_arch["mkdir"].size(), 3u);
  EXPECT_EQ(s.by_profile["docker-default"], 7u);
  EXPECT_EQ(s.by_comm["mkdir"], 2u);
}

TEST(Robustness, GarbageNeverCrashesAndIsCounted) {
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 7919) & 0xff));
  ParseOutput out = parse_text(junk);
  EXPECT_EQ(out.stats.events, 0u);
  EXPECT_EQ(out.stats.records, out.stats.other + out.stats.skipped);
  // Truncations of a valid line at every length: never an event with missing parts.
  std::string line =
      "audit: type=1326 audit(1662053996.821:272): pid=1 comm=\"a b\" arch=c000003e syscall=202 "
      "code=0x7ffc0000";
  for (size_t n = 0; n < line.size(); ++n) {
    Event e;
    std::string why;
    if (parse_line(line.substr(0, n), 1, &e, &why) == LineResult::Event) {
      EXPECT_TRUE(e.arch && e.syscall_nr) << n;
    }
  }
}

TEST(Report, JsonEscapesBadUtf8AndControls) {
  JsonOut j(0);
  j.begin_object();
  j.kv("a", std::string("x\xff\"\n\x01y"));
  j.kv("b", std::string("caf\xc3\xa9"));
  j.end_object();
  EXPECT_EQ(j.str(), "{\"a\":\"x\\u00ff\\\"\\n\\u0001y\",\"b\":\"caf\xc3\xa9\"}");
}

}  // namespace
}  // namespace confine::logs

// ----- --to-seccomp -----

namespace confine::logs {
namespace {

std::vector<Event> events_of(const std::string& text) { return parse_text(text).events; }

const char* kDenials =
    "audit: type=1326 audit(1.2:1): pid=1 comm=\"a\" arch=c000003e syscall=83 code=0x80000000\n"  // mkdir
                                                                                                  // KILL
    "audit: type=1326 audit(1.2:2): pid=1 comm=\"a\" arch=c000003e syscall=84 code=0x50001\n"  // rmdir ERRNO
    "audit: type=1326 audit(1.2:3): pid=1 comm=\"a\" arch=40000003 syscall=39 code=0x7ffc0000\n"  // i386
                                                                                                  // mkdir LOG
    "audit: type=1326 audit(1.2:4): pid=1 comm=\"a\" arch=c000003e syscall=39 code=0x7fff0000\n"  // getpid
                                                                                                  // ALLOW:
                                                                                                  // ignored
    "audit: type=1326 audit(1.2:5): pid=1 comm=\"a\" arch=c000003e syscall=9999 code=0x80000000\n";  // unknown
                                                                                                     // nr

TEST(ToSeccomp, RemovesFromDenyingRulesAndAddsOneAllowRule) {
  std::string prof = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [
    {"names": ["mkdir", "chmod"], "action": "SCMP_ACT_KILL_PROCESS", "comment": "keep me"},
    {"name": "rmdir", "action": "SCMP_ACT_ERRNO"},
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}
  ],
  "x-extra": [1, 2]
})";
  auto r = allow_logged_syscalls(prof, "p.json", events_of(kDenials));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->added, (std::vector<std::string>{"mkdir"}));  // rmdir: a deliberate ERRNO rule
  auto doc = json::parse(r->profile);
  ASSERT_TRUE(doc.ok());
  const auto& sc = doc->find("syscalls")->items;
  ASSERT_EQ(sc.size(), 4u);  // the ERRNO rule for rmdir kept, new rule appended
  EXPECT_EQ(sc[0].find("names")->items.size(), 1u);
  EXPECT_EQ(sc[0].find("names")->items[0].text, "chmod");
  EXPECT_EQ(sc[0].find("comment")->text, "keep me");
  EXPECT_EQ(sc[1].find("name")->text, "rmdir");
  EXPECT_EQ(sc[3].find("action")->text, "SCMP_ACT_ALLOW");
  EXPECT_NE(sc[3].find("comment")->text.find("x86, x86_64"), std::string::npos);
  EXPECT_TRUE(doc->find("x-extra"));
  bool noted_unknown = false, noted_arch = false;
  for (const auto& n : r->notes) {
    noted_unknown = noted_unknown || n.find("#9999") != std::string::npos;
    noted_arch = noted_arch || n.find("seen on x86,") != std::string::npos;
  }
  EXPECT_TRUE(noted_unknown);
  EXPECT_TRUE(noted_arch);
}

// A rule that answers a syscall with an errno on purpose (clone3 -> ENOSYS makes glibc
// fall back to clone) is never widened into ALLOW by a logged denial of that syscall.
TEST(ToSeccomp, DeliberateErrnoRuleIsNeverTurnedIntoAllow) {
  std::string prof = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
    {"names": ["read"], "action": "SCMP_ACT_ALLOW"}
  ]
})";
  const char* log =
      "audit: type=1326 audit(1.2:1): pid=1 comm=\"a\" arch=c000003e syscall=435 code=0x50026\n"  // clone3
                                                                                                  // ENOSYS
      "audit: type=1326 audit(1.2:2): pid=1 comm=\"a\" arch=c000003e syscall=84 code=0x50001\n";  // rmdir:
                                                                                                  // default
  auto r = allow_logged_syscalls(prof, "p.json", events_of(log));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->added, (std::vector<std::string>{"rmdir"}));
  auto doc = json::parse(r->profile);
  ASSERT_TRUE(doc.ok());
  const auto& sc = doc->find("syscalls")->items;
  ASSERT_EQ(sc.size(), 3u);
  EXPECT_EQ(sc[0].find("names")->items[0].text, "clone3");
  EXPECT_EQ(sc[0].find("action")->text, "SCMP_ACT_ERRNO");
  for (const auto& rule : sc) {
    if (rule.find("action")->text != "SCMP_ACT_ALLOW") continue;
    for (const auto& n : rule.find("names")->items) EXPECT_NE(n.text, "clone3");
  }
  bool noted = false;
  for (const auto& n : r->notes)
    noted = noted || n.find("clone3 is refused deliberately") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(ToSeccomp, AlreadyAllowedAndOciConfig) {
  std::string oci = R"({"ociVersion": "1.0.2", "linux": {"seccomp": {
    "defaultAction": "SCMP_ACT_LOG",
    "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW"}]}}, "process": {"args": ["sh"]}})";
  auto r = allow_logged_syscalls(oci, "config.json", events_of(kDenials));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->added, (std::vector<std::string>{"rmdir"}));
  auto doc = json::parse(r->profile);
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(doc->find("process"));
  EXPECT_EQ(doc->find("linux")->find("seccomp")->find("syscalls")->items.size(), 2u);
}

TEST(ToSeccomp, InvalidProfileIsAnErrorWithPosition) {
  auto r = allow_logged_syscalls("{\"defaultAction\": \"SCMP_ACT_NOPE\"}", "bad.json", events_of(kDenials));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("bad.json"), std::string::npos) << r.error().message();
  auto r2 = allow_logged_syscalls("[1,", "trunc.json", {});
  EXPECT_FALSE(r2.ok());
}

TEST(ToSeccomp, NoEventsLeavesRulesAlone) {
  std::string prof =
      R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_KILL"}]})";
  auto r = allow_logged_syscalls(prof, "p.json", {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->added.empty());
  auto doc = json::parse(r->profile);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->find("syscalls")->items.size(), 1u);
}

}  // namespace
}  // namespace confine::logs
