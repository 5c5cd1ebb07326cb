// Kernel security audit records, from every place users find them:
//   /dev/kmsg records   "5,1234,5678901,-;audit: type=1326 audit(1.2:3): ..."
//   dmesg               "[ 1779317.170920] audit: type=1326 audit(...): ..."
//   syslog / journal    "Sep  1 10:39:56 host kernel: [..] audit: type=1326 ..."  (also ISO / RFC 5424
//   stamps)
//                       "Sep  1 10:39:56 host audit[801989]: SECCOMP auid=..."      (journal, audit
//                       transport)
//   auditd audit.log    "type=SECCOMP msg=audit(1662053996.821:272): ... code=0x7ffc0000\x1dARCH=x86_64 ..."
//   journal export      "__CURSOR=...\nMESSAGE=...\n_AUDIT_TYPE=1326\n\n" (binary fields too), journalctl -o
//   json
// and the records confine understands:
//   seccomp   type=1326 / SECCOMP
//   AppArmor  type=1400 / AVC with apparmor=, type=1107 / USER_AVC msg='apparmor=...', old 1500..1507
//   SELinux   type=1400 / AVC "avc:  denied  { read } for ..." (decoded minimally)
//   Landlock  type=1423 / LANDLOCK_ACCESS, 1424 / LANDLOCK_DOMAIN (Linux 6.15+)
// Values are decoded tolerantly: "quoted", 'quoted', bare, and the kernel's hex
// encoding of untrusted strings (comm=2F62696E -> "/bin"). Lines that look like a
// security record but are malformed or truncated, and binary garbage, are counted
// as skipped; they never stop parsing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "syscalls/arch.h"

namespace confine::logs {

enum class Kind : uint8_t { Seccomp, AppArmor, SELinux, Landlock };
std::string_view kind_name(Kind k);  // "seccomp", "apparmor", "selinux", "landlock"

enum class Source : uint8_t { Kmsg, Dmesg, Syslog, Auditd, Journal, Raw };
std::string_view source_name(Source s);  // "kmsg", "dmesg", "syslog", "auditd", "journal", "raw"

struct Field {
  std::string key, value;  // value decoded (quotes removed, hex decoded)
  bool operator==(const Field&) const = default;
};

struct Event {
  Kind kind = Kind::Seccomp;
  Source source = Source::Raw;
  uint32_t line = 0;      // 1-based record number in the input
  uint32_t type = 0;      // audit record type number (1326, 1400, 1423, ...)
  std::string type_name;  // "SECCOMP", "AVC", "APPARMOR_DENIED", "LANDLOCK_ACCESS", ...
  std::string time;       // "1662053996.821" from audit(TIME:SERIAL), may be empty
  uint64_t serial = 0;
  std::vector<Field> fields;  // every key=value of the record, in order

  std::optional<int64_t> pid;
  std::string comm, exe;

  // seccomp
  std::optional<uint32_t> audit_arch;  // arch=c000003e
  std::optional<Arch> arch;            // our arch (x32 told apart by the syscall number bit)
  std::optional<int64_t> syscall_nr;
  std::string syscall;           // name for that arch; empty if unknown
  std::optional<uint32_t> code;  // code=0x7ffc0000
  std::string action;            // "LOG", "KILL_PROCESS", "ERRNO(1)", ... (from code)
  std::optional<int> sig;

  // AppArmor (and SELinux: operation = permissions, profile = scontext, name = tcontext/name)
  std::string apparmor;  // DENIED, ALLOWED, AUDIT, STATUS, HINT, ERROR, KILL
  std::string operation, profile, name, requested_mask, denied_mask;
  std::string requested, denied;  // masks normalised: old "owner::other" forms joined, sorted
  bool owner_only = false;        // old form with permissions only on the owner side
  std::string capname, family, sock_type, protocol, signal, peer, info;
  std::optional<int64_t> capability, fsuid, ouid;

  // Landlock
  std::string domain, blockers, status, mode;

  // First value of a key ("" if absent).
  std::string_view get(std::string_view key) const;
  bool has(std::string_view key) const;
};

struct Stats {
  uint64_t records = 0;  // input lines/records seen
  uint64_t events = 0;   // security events parsed
  uint64_t other = 0;    // well-formed records that are not security events (other kernel lines)
  uint64_t skipped = 0;  // malformed, truncated or binary records
  std::vector<std::pair<uint32_t, std::string>> skipped_samples;  // first few: (line, reason)
};

// Outcome of one line.
enum class LineResult : uint8_t { Event, Other, Skipped };

// Tolerant key=value splitting of an audit record body. Handles "double" and
// 'single' quotes, bare values, hex-encoded untrusted strings, the auditd
// enrichment separator (0x1d) and stray words. Returns false (with *why) if the
// body is truncated (an unterminated quote) or contains control bytes.
bool split_fields(std::string_view body, std::vector<Field>* out, std::string* why);
// Decodes a hex string ("2F62696E" -> "/bin"); nullopt if not even-length hex.
std::optional<std::string> hex_decode(std::string_view s);

// Parses one line (one record). `line_no` is stored in the event.
LineResult parse_line(std::string_view line, uint32_t line_no, Event* ev, std::string* why);

// Parses a whole input: detects journal export (binary-safe), journalctl -o json,
// and otherwise treats it as text lines in any mix of the formats above.
struct ParseOutput {
  std::vector<Event> events;
  Stats stats;
};
ParseOutput parse_text(std::string_view data);

// Incremental use (for /dev/kmsg and --follow): feed records one at a time.
class Parser {
 public:
  // Returns the event when the record was one.
  std::optional<Event> feed(std::string_view record);
  const Stats& stats() const { return stats_; }

 private:
  Stats stats_;
};

// Groupings for the summary.
struct Summary {
  std::map<std::string, uint64_t> by_kind, by_type, by_profile, by_syscall, by_comm, by_action;
  // syscall name -> arch name -> count, only for seccomp events
  std::map<std::string, std::map<std::string, uint64_t>> syscalls_by_arch;
};
Summary summarize(const std::vector<Event>& events);

// Audit type number <-> name (1326 <-> "SECCOMP", ...); unknown names -> nullopt.
std::optional<uint32_t> audit_type_from_name(std::string_view name);
std::string_view audit_type_name(uint32_t type);  // "" if unknown

// Arch from an audit arch value and syscall number (x32 = x86_64 audit arch + bit 30).
std::optional<Arch> arch_from_audit(uint32_t audit_arch, int64_t nr);

}  // namespace confine::logs
