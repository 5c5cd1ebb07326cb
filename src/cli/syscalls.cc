// `confine syscalls`: look up syscall names and numbers on every architecture.
// Argument wiring and output formatting only; the tables live in src/syscalls.
#include "syscalls/syscalls.h"

#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/verbs.h"
#include "json/json.h"
#include "syscalls/arch.h"

namespace confine::cli {

namespace {

constexpr OptSpec kOpts[] = {
    {"arch", 'a', true, "ARCH",
     "architecture: x86_64 (default: native), x86, x32, aarch64, arm, ... or SCMP_ARCH_*"},
    {"all-arches", 0, false, "", "show the name or number on every architecture"},
    {"all", 0, false, "", "list the whole table of --arch (number and name)"},
    {"list-arches", 0, false, "", "list the architectures and their audit arch values"},
    {"output", 'o', true, "FORMAT", "text (default) or json"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine syscalls [options] NAME|NUMBER...\n"
        "       confine syscalls --all [--arch ARCH]\n"
        "       confine syscalls --list-arches\n\n"
        "Looks up syscall numbers and names in the kernel's syscall tables (Linux "
     << syscall_tables_version()
     << ") for every\narchitecture seccomp filters can see. Numbers are what seccomp_data.nr carries on "
        "that\n"
        "ABI: decimal or 0x-hex, including the MIPS 4000/5000/6000 bases and the x32 bit 0x40000000.\n\n"
        "options:\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  $ confine syscalls 35\n"
        "  nanosleep\n"
        "  $ confine syscalls nanosleep --arch aarch64\n"
        "  101\n"
        "  $ confine syscalls --arch x32 0x40000000\n"
        "  read\n"
        "  $ confine syscalls open --all-arches\n"
        "  ARCH         open\n"
        "  x86_64       2\n"
        "  aarch64      -\n"
        "  ...\n"
        "  $ confine syscalls --arch x86 --all | head -2\n"
        "  0 restart_syscall\n"
        "  1 exit\n"
        "  $ confine syscalls mkdri\n"
        "  confine: error: syscalls: unknown syscall \"mkdri\" (did you mean: mkdir?)\n"
        "  $ confine syscalls -o json nanosleep      (-o json works with every form)\n"
        "  {\n"
        "    \"arch\": \"x86_64\",\n"
        "    \"name\": \"nanosleep\",\n"
        "    \"nr\": 35\n"
        "  }\n"
        "\nexit status: 0 all found, 1 a name or number is unknown, 2 usage error\n";
}

std::string number_text(int32_t nr) {
  std::string s = std::to_string(nr);
  if (nr >= 0x10000) {  // x32 and ARM private numbers read better in hex
    char buf[32];
    std::snprintf(buf, sizeof buf, " (0x%x)", static_cast<unsigned>(nr));
    s += buf;
  }
  return s;
}

std::string arch_list(const std::vector<Arch>& arches) {
  std::string s;
  for (Arch a : arches) s += (s.empty() ? "" : ", ") + std::string(arch_info(a).name);
  return s;
}

// The error for a name that is not on `arch`, with what we know instead.
std::string name_not_found(Arch arch, const std::string& name) {
  std::string msg = "syscall \"" + name + "\" does not exist on " + std::string(arch_info(arch).name);
  auto elsewhere = arches_with_syscall(name);
  if (!elsewhere.empty()) return msg + " (it exists on: " + arch_list(elsewhere) + ")";
  auto similar = similar_syscall_names(name);
  if (similar.empty()) return "unknown syscall \"" + name + "\"";
  std::string s;
  for (auto n : similar) s += (s.empty() ? "" : ", ") + std::string(n);
  return "unknown syscall \"" + name + "\" (did you mean: " + s + "?)";
}

bool looks_numeric(const std::string& q) { return !q.empty() && q[0] >= '0' && q[0] <= '9'; }

json::Value nr_or_null(std::optional<int32_t> nr) {
  return nr ? json::Value::make_i64(*nr) : json::Value::make_null();
}

void print_json(const json::Value& v) {
  std::string out = json::write(v);
  if (out.empty() || out.back() != '\n') out += '\n';
  std::cout << out;
}

int list_arches(bool as_json) {
  json::Value arr = json::Value::make_array();
  std::ostringstream text;
  text << "ARCH         SCMP NAME              AUDIT_ARCH  BITS  ENDIAN  NR BASE     SYSCALLS\n";
  for (const ArchInfo& a : all_arches()) {
    char audit[16], base[16];
    std::snprintf(audit, sizeof audit, "0x%08x", a.audit_arch);
    if (a.nr_offset >= 0x10000)
      std::snprintf(base, sizeof base, "0x%x", a.nr_offset);
    else
      std::snprintf(base, sizeof base, "%u", a.nr_offset);
    json::Value o = json::Value::make_object();
    o.add("arch", json::Value::make_string(std::string(a.name)));
    o.add("scmp_name", json::Value::make_string(std::string(a.scmp_name)));
    o.add("audit_arch", json::Value::make_string(audit));
    o.add("bits", json::Value::make_u64(a.bits));
    o.add("little_endian", json::Value::make_bool(a.little_endian));
    o.add("nr_base", json::Value::make_u64(a.nr_offset));
    o.add("syscalls", json::Value::make_u64(syscall_table(a.arch).size()));
    arr.push(std::move(o));
    std::string line = std::string(a.name);
    line.resize(13, ' ');
    std::string scmp(a.scmp_name);
    scmp.resize(23, ' ');
    std::string au(audit);
    au.resize(12, ' ');
    std::string b = std::to_string(a.bits);
    b.resize(6, ' ');
    std::string e = a.little_endian ? "little" : "big";
    e.resize(8, ' ');
    std::string nb(base);
    nb.resize(11, ' ');
    text << line << scmp << au << b << e << nb << syscall_table(a.arch).size() << "\n";
  }
  if (as_json)
    print_json(arr);
  else
    std::cout << text.str();
  return kExitOk;
}

int list_all(Arch arch, bool as_json) {
  const ArchInfo& info = arch_info(arch);
  if (as_json) {
    json::Value o = json::Value::make_object();
    o.add("arch", json::Value::make_string(std::string(info.name)));
    o.add("linux", json::Value::make_string(std::string(syscall_tables_version())));
    json::Value& arr = o.add("syscalls", json::Value::make_array());
    for (const SyscallEntry& e : syscall_table(arch)) {
      json::Value s = json::Value::make_object();
      s.add("nr", json::Value::make_i64(e.nr));
      s.add("name", json::Value::make_string(std::string(e.name)));
      arr.push(std::move(s));
    }
    print_json(o);
    return kExitOk;
  }
  std::string out;
  for (const SyscallEntry& e : syscall_table(arch))
    out += std::to_string(e.nr) + " " + std::string(e.name) + "\n";
  std::cout << out;
  return kExitOk;
}

// One query across every arch: a table (text) or {"query", "arches": {arch: value|null}}.
json::Value all_arches_query(const std::string& q, std::optional<int32_t> nr, std::ostringstream& text) {
  json::Value o = json::Value::make_object();
  o.add("query", json::Value::make_string(q));
  json::Value& m = o.add("arches", json::Value::make_object());
  std::string head = "ARCH";
  head.resize(13, ' ');
  text << head << q << "\n";
  for (const ArchInfo& a : all_arches()) {
    std::string line(a.name);
    line.resize(13, ' ');
    if (nr) {
      auto name = syscall_name(a.arch, *nr);
      m.add(std::string(a.name),
            name ? json::Value::make_string(std::string(*name)) : json::Value::make_null());
      text << line << (name ? std::string(*name) : "-") << "\n";
    } else {
      auto n = syscall_number(a.arch, q);
      m.add(std::string(a.name), nr_or_null(n));
      text << line << (n ? number_text(*n) : "-") << "\n";
    }
  }
  return o;
}

}  // namespace

int verb_syscalls(std::span<char* const> argv) {
  if (wants_help(argv)) {
    usage(std::cout);
    return kExitOk;
  }
  auto parsed = Args::parse(argv, kOpts);
  if (!parsed) {
    print_error(std::move(parsed).error().context("syscalls"));
    std::cerr << "Run `confine syscalls --help` for usage.\n";
    return kExitUsage;
  }
  const Args& args = *parsed;
  std::string format = args.get("output").value_or("text");
  if (format != "text" && format != "json") {
    print_error("syscalls: --output must be text or json, not \"" + format + "\"");
    return kExitUsage;
  }
  const bool as_json = format == "json";
  Arch arch = native_arch();
  if (auto a = args.get("arch")) {
    auto found = arch_from_name(*a);
    if (!found) {
      std::string names;
      for (const ArchInfo& i : all_arches()) names += (names.empty() ? "" : ", ") + std::string(i.name);
      print_error("syscalls: unknown architecture \"" + *a + "\" (known: " + names + ")");
      return kExitUsage;
    }
    arch = *found;
  }
  const auto& queries = args.positional();
  int modes = args.has("all") + args.has("all-arches") + args.has("list-arches");
  if (modes > 1) {
    print_error("syscalls: --all, --all-arches and --list-arches exclude each other");
    return kExitUsage;
  }
  if (args.has("list-arches") || args.has("all")) {
    if (!queries.empty()) {
      print_error(std::string("syscalls: --") + (args.has("all") ? "all" : "list-arches") +
                  " takes no NAME or NUMBER");
      return kExitUsage;
    }
    return args.has("all") ? list_all(arch, as_json) : list_arches(as_json);
  }
  if (queries.empty()) {
    print_error("syscalls: nothing to look up (give a NAME or NUMBER, or --all; see --help)");
    return kExitUsage;
  }
  if (args.has("all-arches") && args.has("arch")) {
    print_error("syscalls: --all-arches and --arch exclude each other");
    return kExitUsage;
  }

  int rc = kExitOk;
  json::Value results = json::Value::make_array();
  std::ostringstream text;
  for (const std::string& q : queries) {
    std::optional<int32_t> nr;
    if (looks_numeric(q)) {
      nr = parse_syscall_number(q);
      if (!nr) {
        print_error("syscalls: \"" + q +
                    "\" is not a syscall number (decimal or 0x-hex, at most 0x7fffffff)");
        return kExitUsage;
      }
    }
    if (args.has("all-arches")) {
      if (!nr && !syscall_known_anywhere(q)) {
        print_error("syscalls: " + name_not_found(arch, q));
        rc = kExitInvalid;
        continue;
      }
      if (nr) {
        bool anywhere = false;
        for (const ArchInfo& a : all_arches()) anywhere |= syscall_name(a.arch, *nr).has_value();
        if (!anywhere) {
          print_error("syscalls: no syscall number " + number_text(*nr) + " on any architecture");
          rc = kExitInvalid;
        }
      }
      results.push(all_arches_query(q, nr, text));
      continue;
    }
    json::Value o = json::Value::make_object();
    o.add("arch", json::Value::make_string(std::string(arch_info(arch).name)));
    if (nr) {
      auto name = syscall_name(arch, *nr);
      if (!name) {
        const ArchInfo& info = arch_info(arch);
        std::string msg = "syscalls: no syscall number " + number_text(*nr) + " on " + std::string(info.name);
        // A raw table number on an ABI with a base: say what the user probably meant.
        if (info.nr_offset != 0 && static_cast<uint32_t>(*nr) < info.nr_offset) {
          int32_t full = *nr + static_cast<int32_t>(info.nr_offset);
          if (auto n = syscall_name(arch, full))
            msg += " (" + std::string(info.name) + " numbers start at " +
                   number_text(static_cast<int32_t>(info.nr_offset)) + "; " + number_text(full) + " is " +
                   std::string(*n) + ")";
        }
        print_error(msg);
        rc = kExitInvalid;
        continue;
      }
      o.add("name", json::Value::make_string(std::string(*name)));
      o.add("nr", json::Value::make_i64(*nr));
      text << *name << "\n";
    } else {
      auto n = syscall_number(arch, q);
      if (!n) {
        print_error("syscalls: " + name_not_found(arch, q));
        rc = kExitInvalid;
        continue;
      }
      o.add("name", json::Value::make_string(q));
      o.add("nr", json::Value::make_i64(*n));
      text << *n << "\n";
    }
    results.push(std::move(o));
  }
  if (as_json) {
    if (results.items.size() == 1 && queries.size() == 1)
      print_json(results.items[0]);
    else if (!results.items.empty() || queries.size() > 1)
      print_json(results);
  } else {
    std::cout << text.str();
  }
  return rc;
}

}  // namespace confine::cli
