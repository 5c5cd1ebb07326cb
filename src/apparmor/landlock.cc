// AppArmor file rules -> Landlock path-beneath rules (see landlock.h).
#include "apparmor/landlock.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "apparmor/eval.h"
#include "apparmor/from_behavior.h"
#include "sandbox/landlock.h"

namespace confine::apparmor {

namespace {

namespace fs = std::filesystem;
using namespace sandbox::landlock_access;
using sandbox::LandlockRuleset;

constexpr uint64_t kWriteRights = kWriteFile | kTruncate | kMakeReg | kMakeDir | kMakeSym | kMakeSock |
                                  kMakeFifo | kMakeChar | kMakeBlock | kRemoveFile | kRemoveDir | kRefer;
constexpr uint64_t kReadRights = kReadFile | kReadDir;
constexpr uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;

// The reviewed table of widenings: the only places where the translation grants
// more than the AppArmor rule does (Landlock rules name existing inodes and cover
// their whole hierarchy). Everything else it cannot express exactly is dropped (a
// narrowing) and printed; a row is printed with its reason when it is used.
const std::vector<ReviewedRow> kWidenings = {
    {"glob-read",
     "a glob's read/execute rights go to its longest literal directory (Landlock cannot match names): "
     "every file beneath it can be read; never for /, /root, /home, /dev, /sys, /etc"},
    {"glob-files",
     "a one-component glob (DIR/*, DIR/*.txt) in a directory that has sub-directories: its read/execute "
     "rights go to each existing file it matches at translation time instead of DIR's subtree (the "
     "sub-directories are other data; a symbolic link is no such file: AppArmor checks a read through it "
     "at its target's path); a matching file created after the translation is readable only if a write "
     "rule covers DIR (a narrowing, printed)"},
    {"tree-dir", "DIR/** also covers DIR itself (a Landlock rule includes the directory it names)"},
    {"list-dir",
     "DIR/ r (list DIR): read_dir on DIR, which lets the directories beneath it be listed too (names, "
     "no file content); never for /, /root, /home, /dev, /proc, /sys, /etc"},
    {"created",
     "a writable glob, or a writable directory rule (D/, D/**) that does not exist yet (files and "
     "directories the program creates): the creating rights go to the nearest existing directory, i.e. to "
     "every file beneath it; never for /, nor in or under /root, /home, /dev, /proc, /sys, /etc"},
    {"missing-file",
     "a writable rule on one file that does not exist at translation time (a pid file, an output the "
     "program creates), or that is a symbolic link (a link the program makes: ln -sf; a Landlock rule on "
     "it would reach its target, which AppArmor checks at the target's own path): Landlock names existing "
     "inodes only, so the rule's own rights (no listing, no directories) go to the file's parent "
     "directory, i.e. to every file in it; only the parent, never an ancestor, never /, nor in or under "
     "/root, /home, /dev, /proc, /sys, /etc"},
    {"created-node",
     "a writable rule the generator marked as a unix socket or a fifo the program created (bind() to a "
     "path, mkfifo; the rule's comment says \"[created: unix socket]\" or \"[created: fifo]\"): make_sock "
     "or make_fifo (only the kind recorded, never make_char/make_block), with remove_file and, for a fifo, "
     "the rule's read/write, on its parent directory, whether or not the path exists at translation time "
     "(the program removes and creates it again; Landlock names existing inodes only): every name in that "
     "directory can be created as that kind; only the parent, never an ancestor, never /, nor in or under "
     "/root, /home, /dev, /proc, /sys, /etc"},
    {"recreate-dir",
     "a writable rule on a directory itself (D/ w: the program creates or removes D) when D exists at "
     "translation time: make_dir and remove_dir go to D's parent, i.e. every empty directory beneath it can "
     "be removed and directories created there (no files: those rights stay on D); without it removing D "
     "was denied once D existed (the created row gives these and more when D is missing); never for /, "
     "nor in or under /root, /home, /dev, /proc, /sys, /etc"},
    {"recreate-tree",
     "a directory the program creates with its content (D/ w and a writable D/**, the generator's "
     "created-dir "
     "rules, so marked in their comment; never a hand-written D/**) when D exists at translation time: "
     "D/**'s file rights (read, write, truncate, create and remove "
     "files, directories and symlinks, list; what the created row gives when D is missing) also go to D's "
     "parent, i.e. to every file beneath it, because Landlock rules name inodes and a D the program removes "
     "and creates again is a new inode that D's own rule no longer reaches (rm -rf D && unzip -d D); only "
     "the parent, never an ancestor, never /, nor in or under /root, /home, /dev, /proc, /sys, /etc"},
    {"created-exec",
     "a rule that both writes and executes one file (a program the workload builds and then runs: make && "
     "build/app): execute and the rule's file rights go to the nearest existing directory when the file is "
     "missing at translation time, and to the directory above it that the program does not re-create when "
     "it exists (its parent, or the parent of the created-dir tree it lies in: a linker writes a new inode, "
     "make clean removes the directory), i.e. every file beneath that directory can be executed (Landlock "
     "names existing inodes only; under AppArmor only that path); only when the rule has w (the recording "
     "wrote that very file), never /, nor in or under /root, /home, /dev, /proc, /sys, /etc"},
    {"append", "'a' (append) becomes write_file on the file (Landlock has no append-only right)"},
    {"owner", "'owner' is dropped: Landlock rules do not depend on file ownership (files of every owner)"},
    {"not-mediated",
     "Landlock does not mediate mmap PROT_EXEC ('m'), file locking ('k') or chmod/chown/setxattr (part of "
     "AppArmor's 'w'): the kernel allows them on every file the program can open"},
    {"self-proc",
     "a writable rule (w or a) on the program's own /proc files as the generator writes them "
     "(/proc/@{pid}/task/@{tid}/FILE or /proc/thread-self/FILE: a thread's name in comm; /proc/@{pid}/FILE "
     "or /proc/self/FILE; row proc-pid; its reads keep row glob-read): the sandboxed process opens "
     "/proc/self/task (or /proc/self/FILE) itself "
     "when it applies the ruleset (after its own /proc mount; exec keeps its pid) and confine holds that "
     "directory until it exits (a Landlock rule lasts as long as the cached dentry); a task rule's rights "
     "(r: read_file; w: write_file, truncate; a: write_file; never execute, make_* or remove_*) go to "
     "that process's task directory, i.e. to every file of each of its threads, present and future (mem "
     "and attr/* too, and uid_map/gid_map/setgroups for a user namespace the seccomp profile lets it "
     "create; not only FILE); a /proc/@{pid}/FILE rule gets them on that one existing file; other "
     "processes (the program's children, e.g. a service a shell script starts; @{pid} matches any pid "
     "under AppArmor) are not covered (a narrowing)"},
    {"sandbox-proc",
     "a self-proc task rule when the sandbox mounts a /proc of its own (a new pid namespace, the default "
     "of confine run; /proc/sys, sysrq-trigger, irq, bus and fs read-only, leaky entries masked, as runc "
     "does): the rule's rights (read_file, write_file, truncate) go to that /proc's root instead of the "
     "command's own task directory, so the threads of the command's children are covered too (a service "
     "its shell starts names its threads: memcached); that /proc holds only the sandbox's processes, and "
     "its other writable files are the read-only knobs (EROFS), /proc/mtrr (CAP_SYS_ADMIN) and "
     "/proc/pressure/* (a PSI trigger); with --share pid (the host's /proc) the self-proc row applies"},
};

// "widening row ID (reason): detail", for a row of kWidenings.
std::string row_note(std::string_view id, const std::string& detail) {
  for (const auto& w : kWidenings)
    if (id == w.id) return "widening row " + std::string(id) + " (" + w.reason + "): " + detail;
  return detail;
}

// Directories no widening row applies to (glob-read only: /proc, for /proc/@{pid}/...).
bool no_widening(const std::string& d, bool read_only) {
  return is_system_tree(d) && !(read_only && d == "/proc");
}

// AppArmor permission letters -> Landlock rights (+ warnings about what is lost).
uint64_t perms_to_access(const std::string& perms, std::set<std::string>& notes) {
  uint64_t a = 0;
  for (size_t i = 0; i < perms.size(); ++i) {
    switch (perms[i]) {
      case 'r': a |= kReadRights | kIoctlDev; break;
      case 'w': a |= kWriteRights | kIoctlDev; break;
      case 'a':
        a |= kWriteFile | kMakeReg;
        notes.insert(row_note("append", "'a' rules"));
        break;
      case 'l': a |= kMakeReg | kRefer; break;
      case 'k': notes.insert(row_note("not-mediated", "'k' (file locking)")); break;
      case 'm': notes.insert(row_note("not-mediated", "'m' (mmap PROT_EXEC)")); break;
      case 'x': a |= kExecute; break;
      default: break;
    }
  }
  for (const char* t :
       {"Px", "px", "Cx", "cx", "Ux", "ux", "PUx", "pux", "CUx", "cux", "pix", "Pix", "cix", "Cix"})
    if (perms.find(t) != std::string::npos) {
      notes.insert("exec transition " + std::string(t) +
                   " kept in the same Landlock domain (the new program inherits this ruleset)");
      break;
    }
  return a;
}

std::string join(const std::string& d, const std::string& n) { return d == "/" ? "/" + n : d + "/" + n; }

struct Target {
  std::string dir;   // Landlock path (literal prefix)
  std::string rest;  // remaining glob ("" exact, "**" whole tree, else pattern)
};

// `\x` is a literal x (Glob::compile, expand()): the directory part loses its escapes,
// the glob part keeps them (it is matched with Glob, the evaluator's matcher).
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

Target split(const std::string& glob) {
  size_t g = std::string::npos, slash = std::string::npos;  // first unescaped *?[{, last '/' before it
  for (size_t i = 0; i < glob.size(); ++i) {
    if (glob[i] == '\\') {
      ++i;
      continue;
    }
    if (glob[i] == '/') slash = i;
    if (std::string_view("*?[{").find(glob[i]) != std::string_view::npos) {
      g = i;
      break;
    }
  }
  if (g == std::string::npos) {
    std::string p = unescape(glob);
    if (p.size() > 1 && p.back() == '/') p.pop_back();
    return {p, ""};
  }
  std::string dir = slash == 0 ? "/" : unescape(glob.substr(0, slash));
  return {dir, glob.substr(slash + 1)};
}

// Does the entry `name` of directory `dir` match the one-component glob `rest`
// (AppArmor's matcher: `*` matches dot files too, `\x` is literal)?
bool component_matches(const std::string& dir, const std::string& rest, const std::string& name) {
  std::string pat;
  for (char c : dir) {  // the directory literally
    if (std::string_view("*?[]{}\\").find(c) != std::string_view::npos) pat += '\\';
    pat += c;
  }
  auto g = Glob::compile((dir == "/" ? "/" : pat + "/") + rest);
  return g.ok() && g->match(join(dir, name));
}

bool is_ancestor_or_self(const std::string& a, const std::string& p) {
  if (a == "/") return true;
  return p == a || (p.starts_with(a) && p.size() > a.size() && p[a.size()] == '/');
}

// Row self-proc: the rights a rule's letters give on its own /proc files (file rights only).
uint64_t self_proc_access(const std::string& perms) {
  uint64_t a = 0;
  if (perms.find('r') != std::string::npos) a |= kReadFile;
  if (perms.find('w') != std::string::npos) a |= kWriteFile | kTruncate;
  if (perms.find('a') != std::string::npos) a |= kWriteFile;
  return a;
}

bool has_subdirectory(const std::string& d) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(d, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->is_directory(ec)) return true;
  return false;
}

}  // namespace

std::string access_names(uint64_t mask) { return sandbox::landlock_access_str(mask); }

std::string self_proc_target(std::string_view p) {
  std::string rest(p);
  auto strip = [&](std::string_view pre) {
    if (!rest.starts_with(pre)) return false;
    rest.erase(0, pre.size());
    return true;
  };
  if (!strip("/proc/") && !strip("@{PROC}/")) return "";
  bool task = false;
  if (strip("thread-self/"))
    task = true;
  else if (strip("@{pid}/") || strip("self/"))
    task = strip("task/@{tid}/");
  else
    return "";
  // FILE: literal, relative, not a directory, no fd link (its target is another file).
  if (rest.empty() || rest.back() == '/' || rest.find_first_of("*?[]{}@\\\"") != std::string::npos) return "";
  size_t i = 0;
  while (i <= rest.size()) {
    size_t e = rest.find('/', i);
    std::string c = rest.substr(i, e == std::string::npos ? std::string::npos : e - i);
    if (c.empty() || c == "." || c == "..") return "";
    if (i == 0 && !task &&
        (c == "task" || c == "fd" || c == "map_files" || c == "cwd" || c == "root" || c == "exe"))
      return "";
    if (e == std::string::npos) break;
    i = e + 1;
  }
  return task ? "task" : rest;
}

const std::vector<ReviewedRow>& landlock_widening_table() { return kWidenings; }

bool under_system_tree(std::string_view path) {
  for (std::string_view p = path; p.size() > 1; p = p.substr(0, p.rfind('/')))
    if (is_system_tree(p)) return true;
  return false;
}

bool is_system_tree(std::string_view dir) {
  for (const char* p : {"/", "/root", "/home", "/dev", "/proc", "/sys", "/etc"})
    if (dir == p) return true;
  return false;
}

Result<Translation> to_landlock(const Resolved& r, const Profile& p, const TranslateOptions& opt) {
  Translation t;
  t.abi = opt.abi >= 0 ? opt.abi : LandlockRuleset::abi_version();
  if (t.abi <= 0) return Error("Landlock is not available on this kernel (ABI 0)");
  t.handled = LandlockRuleset::fs_all(t.abi);
  if (t.abi < 3)
    t.warnings.push_back("Landlock ABI " + std::to_string(t.abi) +
                         ": truncate() is not mediated (needs ABI 3)");
  if (t.abi < 2)
    t.warnings.push_back(
        "Landlock ABI 1: renames/links across directories are always denied (refer needs ABI 2)");
  if (t.abi < 5)
    t.warnings.push_back("Landlock ABI " + std::to_string(t.abi) +
                         ": device ioctls are not mediated (needs ABI 5)");
  std::set<std::string> notes;
  std::vector<std::string> missing, dropped;
  std::map<std::string, std::vector<std::string>> rows;  // widening row id -> uses
  std::map<std::string, uint64_t> allow;
  std::map<std::string, std::string> origin;
  struct Deny {
    std::string target;  // literal path denied (whole subtree)
    uint64_t access;
    std::string origin;
  };
  std::vector<Deny> denies;
  std::map<std::string, size_t> untranslated;
  std::map<std::string, SelfRule> self;  // row self-proc, by rel

  auto add_allow = [&](const std::string& path, uint64_t a, const std::string& from) {
    allow[path] |= a;
    if (!origin.count(path)) origin[path] = from;
  };

  const std::vector<FlatRule> flat = flatten(r, p);
  // Rights of the created-dir row's writable D/** rules by D (row recreate-tree).
  std::map<std::string, uint64_t> tree_rights;
  {
    std::set<std::string> ignored;
    for (const auto& fr : flat) {
      const Rule& rule = fr.rule;
      if (rule.kind != "file" || rule.mode == RuleMode::Deny || !rule.path.ends_with("/**") ||
          rule.trailing_comment.find(kTagCreatedDir) == std::string::npos)
        continue;
      uint64_t a = perms_to_access(rule.perms, ignored);
      auto expanded = expand(rule.path, r);
      if (!(a & kWriteRights) || !expanded.ok()) continue;
      for (const auto& g : *expanded) {
        Target tg = split(g);
        if (tg.rest == "**") tree_rights[tg.dir] |= a;
      }
    }
  }

  for (const auto& fr : flat) {
    const Rule& rule = fr.rule;
    if (rule.kind == "link") {
      // link rules grant l on the source path
      notes.insert(
          "link rule: Landlock grants hard links by make_reg+refer on the directory, not per target");
    }
    if (rule.kind != "file" && rule.kind != "link") {
      ++untranslated[rule.kind];
      continue;
    }
    if (!rule.owner.empty()) notes.insert(row_note("owner", "'owner' rules"));
    std::string perms = rule.kind == "link" ? "l" : rule.perms;
    std::string path = rule.path;
    if (rule.kind == "file" && path.empty()) {  // bare `file,`
      path = "/**";
      perms = "rwlkmix";
    }
    uint64_t a = perms_to_access(perms, notes);
    // ioctl on devices stays allowed when only writes are denied (AppArmor allows ioctl on any open file).
    if (rule.mode == RuleMode::Deny && perms.find('r') == std::string::npos) a &= ~kIoctlDev;
    if (perms.find_first_of("wa") != std::string::npos)
      notes.insert(row_note("not-mediated", "chmod/chown/setxattr of 'w' rules"));
    // Row self-proc: writing the program's own /proc files (a thread's name). Its reads keep
    // their usual way below (row glob-read on /proc), so only the write rights are taken here.
    if (rule.kind == "file" && rule.mode != RuleMode::Deny &&
        perms.find_first_of("wa") != std::string::npos) {
      std::string rel = self_proc_target(path);
      if (!rel.empty()) {
        uint64_t give = self_proc_access(perms) & t.handled;
        auto [it, fresh] = self.try_emplace(rel, SelfRule{rel, 0, fr.origin});
        it->second.access |= give;
        rows["self-proc"].push_back(path + " -> /proc/self/" + rel + " (" + access_names(give) +
                                    (rel == "task" ? " on every file of every thread of the process)" : ")"));
        a &= ~(kWriteRights | kIoctlDev);
        if (!(a & (kReadRights | kExecute))) continue;
      }
    }
    CONFINE_TRY(auto expanded, expand(path, r));
    for (const auto& g : expanded) {
      if (g.empty() || g[0] != '/') {
        notes.insert("path \"" + g + "\" is not absolute; skipped");
        continue;
      }
      Target tg = split(g);
      if (rule.mode == RuleMode::Deny) {
        if (tg.rest.empty() || tg.rest == "**") {
          denies.push_back({tg.dir, a, fr.origin});
        } else if (tg.rest.find('/') == std::string::npos && tg.rest.find('{') == std::string::npos) {
          // one path component pattern: deny each existing match
          std::error_code ec;
          size_t n = 0;
          for (const auto& e : fs::directory_iterator(tg.dir, ec)) {
            std::string name = e.path().filename().string();
            if (component_matches(tg.dir, tg.rest, name)) {
              denies.push_back({join(tg.dir, name), a, fr.origin});
              ++n;
            }
          }
          notes.insert("deny " + g + " resolved against the filesystem at translation time (" +
                       std::to_string(n) + " match(es)); files created later under " + tg.dir +
                       " are not denied by this rule");
        } else {
          denies.push_back({tg.dir, a, fr.origin});
          notes.insert("deny " + g + " widened to the whole hierarchy " + tg.dir + " (fails closed)");
        }
        continue;
      }
      std::string lp = tg.dir;
      std::error_code ec;
      // Row created-node: the kind of inode the program created at this path (socket, fifo).
      uint64_t node = 0;
      if (a & kWriteRights) {
        if (rule.trailing_comment.find(kTagSocket) != std::string::npos) node |= kMakeSock;
        if (rule.trailing_comment.find(kTagFifo) != std::string::npos) node |= kMakeFifo;
      }
      if (node && tg.rest.empty() && !g.ends_with("/")) {
        std::string parent = fs::path(lp).parent_path().string();
        uint64_t give = node | (a & kRemoveFile) | ((node & kMakeFifo) ? a & (kReadFile | kWriteFile) : 0);
        if (!fs::is_directory(parent, ec)) {
          dropped.push_back(g + " (neither it nor its directory " + parent + " exists)");
        } else if (no_widening(parent, false) || under_system_tree(parent)) {
          dropped.push_back(g + " (" + access_names(node) + " in " + parent + ")");
        } else {
          add_allow(parent, give, fr.origin);
          rows["created-node"].push_back(g + " -> " + parent + " (" + access_names(give) + ")");
        }
        continue;
      }
      // Creating rights for a path that does not exist yet (row created): on the nearest
      // existing directory at or above `from`.
      auto created_row = [&](const std::string& from, bool dir_rule) {
        uint64_t give = node | (a & (kWriteFile | kTruncate | kMakeReg | kRemoveFile | kReadFile | kRefer |
                                     kMakeSym | (dir_rule ? (kMakeDir | kRemoveDir | kReadDir) : 0)));
        std::string parent = from;
        while (!parent.empty() && parent != "/" && !fs::is_directory(parent, ec))
          parent = fs::path(parent).parent_path().string();
        if (!(a & kWriteRights) || parent.empty()) {
          missing.push_back(lp);
        } else if (no_widening(parent, false) || under_system_tree(parent)) {
          dropped.push_back(g + " (creating in " + parent + ")");
        } else {
          add_allow(parent, give, fr.origin);
          rows["created"].push_back(
              g + " -> " + parent +
              (parent == from ? "" : " (nearest existing ancestor: " + from + " is missing)") +
              (node ? " (with " + access_names(node) + ", row created-node)" : ""));
          if (node) rows["created-node"].push_back(g + " -> " + parent + " (" + access_names(node) + ")");
        }
      };
      if (!tg.rest.empty() && tg.rest != "**") {
        // A glob: Landlock cannot match names below a directory.
        uint64_t read = a & (kReadFile | kReadDir | kExecute);
        if (read && fs::is_directory(lp, ec)) {
          if (no_widening(lp, true)) {
            dropped.push_back(g + " (read; glob below " + lp + ")");
          } else if (tg.rest.find('/') == std::string::npos && tg.rest.find("**") == std::string::npos &&
                     has_subdirectory(lp)) {
            // DIR/* (one component) beside sub-directories: DIR's subtree would cover them
            // (other data); each existing file the glob matches instead (row glob-files).
            std::vector<std::string> files;
            bool bounded = true;
            size_t scanned = 0;
            std::error_code ec2;
            for (auto it = fs::directory_iterator(lp, ec2); !ec2 && it != fs::directory_iterator();
                 it.increment(ec2)) {
              if (++scanned > opt.max_glob_files) {
                bounded = false;
                break;
              }
              std::string name = it->path().filename().string();
              // A symbolic link: a rule would reach its target, which AppArmor checks at the target's path.
              if (it->is_symlink(ec2) || it->is_directory(ec2) || !component_matches(lp, tg.rest, name))
                continue;
              files.push_back(join(lp, name));
            }
            if (!bounded || ec2) {
              add_allow(lp, read, fr.origin);
              rows["glob-read"].push_back(rule.path + " -> " + lp + " (more than " +
                                          std::to_string(opt.max_glob_files) + " entries)");
            } else {
              for (const auto& f : files) add_allow(f, read & (kReadFile | kExecute | kIoctlDev), fr.origin);
              rows["glob-files"].push_back(rule.path + " -> " + std::to_string(files.size()) +
                                           " file(s) in " + lp);
            }
          } else {
            add_allow(lp, read, fr.origin);
            rows["glob-read"].push_back(rule.path + " -> " + lp);
          }
        } else if (read) {
          missing.push_back(lp);
        }
        if (a & kWriteRights) created_row(lp, tg.rest.find('/') != std::string::npos || g.ends_with("/"));
        continue;
      }
      // A symbolic link named by the rule (a link the program makes: ln -sf): a Landlock rule on
      // it would follow it to its target, whose opens AppArmor checks at the target's own path.
      // Its name is what the rule is about: as a missing file (rights on its parent, row
      // missing-file; a read-only rule: nothing to grant).
      const bool link_rule =
          tg.rest.empty() && !g.ends_with("/") && fs::is_symlink(fs::symlink_status(lp, ec));
      if (link_rule || !fs::exists(lp, ec)) {
        // A file the program creates (and maybe removes) again: Landlock can only name
        // existing inodes. Read-only rules on missing paths stay skipped (nothing to read).
        bool dir_rule = tg.rest == "**" || g.ends_with("/");
        std::string parent = fs::path(lp).parent_path().string();
        if (!dir_rule && (a & kExecute) && (a & kWriteFile)) {
          // A program the workload writes and then runs (a build that runs its tests): execute
          // and the file's rights on the nearest existing directory (row created-exec).
          std::string anc = parent;
          while (!anc.empty() && anc != "/" && !fs::is_directory(anc, ec))
            anc = fs::path(anc).parent_path().string();
          if (anc.empty() || anc == "/" || no_widening(anc, false) || under_system_tree(anc)) {
            dropped.push_back(g + " (execute in " + (anc.empty() ? std::string("/") : anc) + ")");
          } else {
            add_allow(anc, a & (kExecute | kWriteFile | kTruncate | kMakeReg | kRemoveFile | kReadFile),
                      fr.origin);
            rows["created-exec"].push_back(g + " -> " + anc +
                                           (anc == parent ? "" : " (nearest existing ancestor)"));
          }
          continue;
        }
        if (dir_rule) {
          created_row(parent, true);
        } else if (!(a & kWriteRights)) {
          missing.push_back(lp);
        } else if (!fs::is_directory(parent, ec)) {
          // Its directory is missing too: creating that needs a directory rule, which grants it.
          dropped.push_back(g + " (neither it nor its directory " + parent + " exists)");
        } else if (no_widening(parent, false) || under_system_tree(parent)) {
          dropped.push_back(g + " (creating in " + parent + ")");
        } else {
          // The rule's own rights, on the parent: the file's content rights and creating or
          // removing a file; never listing, nor directories.
          uint64_t give =
              a & (kWriteFile | kTruncate | kMakeReg | kRemoveFile | kReadFile | kRefer | kMakeSym);
          size_t entries = 0;
          for (auto it = fs::directory_iterator(parent, ec); !ec && it != fs::directory_iterator();
               it.increment(ec))
            ++entries;
          add_allow(parent, give, fr.origin);
          rows["missing-file"].push_back(g + " -> " + parent + " (" + access_names(give) + "; " +
                                         std::to_string(entries) + " entr" + (entries == 1 ? "y" : "ies") +
                                         " there now)");
        }
        continue;
      }
      uint64_t acc = a;
      if (fs::is_directory(lp, ec)) {
        if (tg.rest == "**") {
          if (acc) rows["tree-dir"].push_back(rule.path + " -> " + lp);
        } else {
          // A rule on the directory itself: AppArmor applies it to DIR/ only, a Landlock
          // rule to everything beneath. Only listing is kept (row list-dir).
          if (acc & ~(kReadDir | kIoctlDev))
            dropped.push_back(g + " (" + access_names(acc & ~(kReadDir | kIoctlDev)) +
                              " on the directory itself)");
          // Creating or removing DIR itself (row recreate-dir): make_dir/remove_dir on DIR's
          // parent. Not its files: a re-created DIR is a new inode that DIR's rules do not reach
          // (docs/heldout.md), but file rights on the parent would reach all its other entries.
          std::string parent = fs::path(lp).parent_path().string();
          if ((acc & kRemoveDir) && lp != "/" && !parent.empty() && !no_widening(parent, false) &&
              !under_system_tree(parent)) {
            add_allow(parent, kMakeDir | kRemoveDir, fr.origin);
            rows["recreate-dir"].push_back(g + " -> " + parent);
            // Its content too when the profile lets the program write D's tree (row
            // recreate-tree): the rights the created row gives when D is missing.
            auto tr = tree_rights.find(lp);
            if (tr != tree_rights.end()) {
              uint64_t give = tr->second & (kWriteFile | kTruncate | kMakeReg | kRemoveFile | kReadFile |
                                            kRefer | kMakeSym | kMakeDir | kRemoveDir | kReadDir);
              add_allow(parent, give, fr.origin);
              rows["recreate-tree"].push_back(g + "** -> " + parent + " (" + access_names(give) + ")");
            }
          }
          acc &= kReadDir;
          if (acc && no_widening(lp, false)) {
            dropped.push_back(g + " (read_dir: listing " + lp + " would list everything beneath it)");
            acc = 0;
          }
          if (acc) rows["list-dir"].push_back(g + " -> " + lp);
        }
      } else {
        acc &= kFileRights;
        if ((acc & kExecute) && (acc & kWriteFile) && tg.rest.empty()) {
          // A program the workload writes and runs, there now (row created-exec): the next run
          // writes it again as a new inode (a linker replaces its output; make clean removes the
          // directory), so execute goes to the directory above it that the program does not
          // re-create: its parent, or the parent of the created-dir tree it lies in.
          std::string anc = fs::path(lp).parent_path().string();
          for (bool moved = true; moved;) {
            moved = false;
            for (const auto& [d, rights] : tree_rights)
              if (anc == d && d != "/") {
                anc = fs::path(d).parent_path().string();
                moved = true;
              }
          }
          if (!anc.empty() && anc != "/" && !no_widening(anc, false) && !under_system_tree(anc)) {
            add_allow(
                anc, (acc & (kExecute | kWriteFile | kTruncate | kReadFile)) | (a & (kMakeReg | kRemoveFile)),
                fr.origin);
            rows["created-exec"].push_back(g + " -> " + anc +
                                           " (it exists now; written again, it is a new inode)");
          }
        }
      }
      if (acc) add_allow(lp, acc, fr.origin);
    }
  }

  // Deny precedence by complement expansion.
  size_t enumerated = 0;
  for (const auto& d : denies) {
    std::vector<std::pair<std::string, uint64_t>> current(allow.begin(), allow.end());
    for (const auto& [a, acc] : current) {
      uint64_t overlap = acc & d.access;
      if (!overlap) continue;
      if (is_ancestor_or_self(d.target, a)) {  // allowed path inside the denied tree
        allow[a] &= ~d.access;
        continue;
      }
      if (!is_ancestor_or_self(a, d.target)) continue;
      allow[a] &= ~d.access;
      // walk from a down to d.target, granting `overlap` to every sibling
      std::string rel = a == "/" ? d.target.substr(1) : d.target.substr(a.size() + 1);
      std::string cur = a;
      size_t pos = 0;
      while (pos <= rel.size()) {
        size_t e = rel.find('/', pos);
        std::string comp = rel.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
        std::error_code ec;
        for (const auto& ent : fs::directory_iterator(cur, ec)) {
          std::string name = ent.path().filename().string();
          if (name == comp) continue;
          if (++enumerated > opt.max_complement)
            return Error("deny " + d.target + " (" + d.origin + "): more than " +
                         std::to_string(opt.max_complement) +
                         " sibling entries to enumerate; refusing (would fail open otherwise)");
          std::string sib = join(cur, name);
          uint64_t give = overlap;
          if (!ent.is_directory(ec)) give &= kFileRights;
          if (give) {
            allow[sib] |= give;
            if (!origin.count(sib)) origin[sib] = "complement of deny " + d.target + " (" + d.origin + ")";
          }
        }
        notes.insert("deny " + d.target + " inside allowed " + a + ": complement expansion (siblings along " +
                     a + " -> " + d.target +
                     " enumerated at translation time get the allowed rights; entries created "
                     "later, and the directories on the way, do not)");
        cur = join(cur, comp);
        if (e == std::string::npos) break;
        pos = e + 1;
      }
    }
  }
  // Denied rights must not come back through a complement entry beneath a denied tree.
  for (const auto& d : denies)
    for (auto& [a, acc] : allow)
      if (is_ancestor_or_self(d.target, a)) acc &= ~d.access;

  for (const auto& [path, acc] : allow) {
    if (!acc) continue;
    t.rules.push_back(PathRule{path, acc & t.handled, origin[path]});
  }
  // A deny that reaches /proc (`deny /** w`, `deny /proc/** w`, or anything beneath /proc, whose
  // pids we cannot compare) removes its rights from the self-proc rules too (fails closed).
  for (const auto& d : denies)
    if (is_ancestor_or_self(d.target, "/proc") || d.target.starts_with("/proc/"))
      for (auto& [rel, sr] : self) {
        if (sr.access & d.access)
          notes.insert("deny " + d.target + " (" + d.origin + ") removes " +
                       access_names(sr.access & d.access) + " from /proc/self/" + rel + " (row self-proc)");
        sr.access &= ~d.access;
      }
  for (const auto& [rel, sr] : self)
    if (sr.access) t.self_rules.push_back(sr);
  for (const auto& [kind, n] : untranslated)
    t.warnings.push_back(std::to_string(n) + " " + kind + " rule(s) not expressible in Landlock" +
                         (kind == "network"
                              ? " (ABI 4+ mediates TCP bind/connect ports only; AppArmor 3 network "
                                "rules name families/types, e.g. raw/udp)"
                              : "") +
                         "; not enforced");
  auto summary = [&](std::vector<std::string> v, const std::string& what) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    if (v.empty()) return;
    std::string s = std::to_string(v.size()) + " " + what + ": ";
    for (size_t i = 0; i < v.size() && i < 12; ++i) s += (i ? ", " : "") + v[i];
    if (v.size() > 12) s += ", ...";
    t.warnings.push_back(s);
  };
  for (const auto& w : kWidenings) {
    auto it = rows.find(w.id);
    if (it != rows.end())
      summary(it->second, std::string("use(s) of widening row ") + w.id + " (" + w.reason + ")");
  }
  summary(missing, "path(s) do not exist at translation time; their rules are skipped");
  summary(dropped,
          "rule(s) narrowed: rights Landlock cannot grant without widening are dropped (the program may be "
          "denied what the profile allows)");
  for (const auto& n : notes) t.warnings.push_back(n);
  if (t.rules.empty() && t.self_rules.empty())
    t.warnings.push_back("no file access is allowed: the confined program cannot even be executed");
  return t;
}

Status apply_ruleset(const Translation& t, std::vector<std::string>* notes, std::vector<int>* pins) {
  CONFINE_TRY(auto rs, LandlockRuleset::create(t.handled));
  for (const auto& n : rs.notes())
    if (notes) notes->push_back(n);
  for (const auto& pr : t.rules) {
    struct stat st;
    if (stat(pr.path.c_str(), &st) != 0) {
      if (notes) notes->push_back("skipped " + pr.path + " (no longer exists)");
      continue;
    }
    CONFINE_CHECK_CTX(rs.allow_path(pr.path, pr.access), "rule from " + pr.origin);
  }
  for (const auto& sr : t.self_rules) {
    if (!pins)
      return Error("rule from " + sr.origin + " (row self-proc) needs a holder for /proc/self/" + sr.rel);
    CONFINE_CHECK_CTX(rs.allow_self(sr.rel, sr.access, pins, notes), "rule from " + sr.origin);
  }
  return rs.restrict_self();
}

}  // namespace confine::apparmor
