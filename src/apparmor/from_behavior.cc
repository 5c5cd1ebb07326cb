// Behavior (what a workload did) -> AppArmor profile (see from_behavior.h for
// the steps). The profile is self-contained: no include, its own @{pid}/@{tid},
// and every rule comes from a recorded access or from a row of kPathRows.
#include "apparmor/from_behavior.h"

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include "core/file.h"
#include "generate/generate.h"

namespace confine::apparmor {

namespace fs = std::filesystem;

namespace {
// Executables that run other programs' code: a profile generated from one run of a script must not
// attach to the interpreter by path, or it confines every script and program that interpreter runs on
// the host (the profile stays usable by name). docs/apparmor.md "Attachment".
const char* shared_interpreter(const std::string& exe) {
  std::string base = exe.substr(exe.rfind('/') + 1);
  auto is = [&](std::string_view stem) {
    if (!base.starts_with(stem)) return false;
    std::string_view rest = std::string_view(base).substr(stem.size());
    return std::all_of(rest.begin(), rest.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  };
  for (const char* sh :
       {"sh", "dash", "bash", "zsh", "ksh", "mksh", "ksh93", "busybox", "rbash", "fish", "tcsh", "csh"})
    if (base == sh) return "a shell";
  for (const char* in : {"python", "perl", "ruby", "node", "nodejs", "lua", "luajit", "php", "tclsh", "wish",
                         "guile", "java", "pwsh", "Rscript", "R", "mawk", "gawk", "awk", "nawk"})
    if (is(in)) return "an interpreter";
  if (base == "env" || base == "nice" || base == "nohup" || base == "timeout" || base == "xargs" ||
      base == "setsid" || base == "stdbuf")
    return "a launcher of other programs";
  return nullptr;
}

// The reviewed table of path generalisations: every rule that grants more than the
// exact recorded access comes from one of these rows; the row is printed (profile
// header and notes) when it is used. Nothing else widens.
const std::vector<PathRow> kPathRows = {
    {"system-libraries", "hierarchy", "`/usr/lib/ARCH/** mr`",
     "a file read beneath /usr/lib/ARCH/ (ARCH a multiarch triplet, e.g. x86_64-linux-gnu)",
     "the loader and dlopen pick libraries and modules (NSS, gconv, plugins) by configuration and input; "
     "installed, world-readable files; read and map only",
     false},
    {"system-headers", "hierarchy", "`/usr/include/** r`", "a file read beneath /usr/include/",
     "a compiler or preprocessor includes whichever headers the input names", false},
    {"compiler-tree", "hierarchy", "`/usr/lib/gcc/ARCH/VERSION/** r`",
     "a file read beneath /usr/lib/gcc/ARCH/VERSION/",
     "the compiler's own headers (stddef.h, stdarg.h) and specs, included by input; executed programs "
     "there keep their exact rules",
     false},
    {"locale", "hierarchy", "`/usr/share/locale/** r`, `/usr/lib/locale/** r`, `/usr/share/i18n/** r`",
     "a file read beneath that directory",
     "message catalogs and locale data are chosen by LANG/LC_* of the run", false},
    {"zoneinfo", "hierarchy", "`/usr/share/zoneinfo/** r`", "a file read beneath /usr/share/zoneinfo/",
     "time zone data is chosen by TZ and by the dates in the input", false},
    {"interpreter-stdlib", "hierarchy", "`ROOT/** mr`",
     "a file read beneath ROOT: /usr/lib/python3.N/, /usr/lib/python3/, /usr/share/perl/VERSION/, "
     "/usr/share/perl5/, /usr/lib/ruby/, /usr/share/lua/, /usr/share/nodejs/, /usr/share/tcltk/, and "
     "PREFIX/lib/python3.N/ for a python3.N executed as PREFIX/bin/python3.N (pyenv, conda, a venv, /opt: "
     "even beneath a home directory, read and map only)",
     "an interpreter imports the standard-library and packaged modules the script and the input need", false},
    {"package-data", "hierarchy",
     "`/usr/share/PKG/** r`, `/usr/lib/PKG/** mr`, `/usr/libexec/PKG/** mr`, the same under /usr/local, "
     "`/opt/PKG/** mr`",
     "a file read in a sub-directory PKG of /usr/share, /usr/lib, /usr/libexec, /usr/local/share, "
     "/usr/local/lib or /opt (not one of the rows above)",
     "a program's own installed data and plugins (magic, dictionaries, templates) are read by input; one "
     "package's tree, read only",
     false},
    {"data-dir", "data",
     "`DIR/** r` for a directory read in (m too if a library was mapped), `DIR/* r` if a directory beneath "
     "it was read in too; `DIR/* LETTERS`, `DIR/[^.]*/ LETTERS` and `DIR/[^.]*/** LETTERS` for one written "
     "in (the letters among r w k used on the files written there; l too if the program made hard links; r "
     "too if it renamed or made links: AppArmor checks a rename's source for r w d)",
     "a file read, written or created in DIR, DIR allowed by the never rows",
     "the same program on other input reads other files of the directory it read, in its sub-directories too "
     "(the input names the paths: a docroot's sub-directory, an import from a sub-directory, a deeper tree "
     "to search), and writes other names in the directory it wrote and in its sub-directories (a spill "
     "directory such as sort -T DIR/tmp past its buffer, per-key directories; the Landlock translation "
     "grants DIR's subtree for `DIR/* w` anyway); siblings and parents of DIR are other data, and so are the "
     "other sub-directories of a directory that holds several data directories (a script beside them); "
     "never a dot-directory directly beneath DIR",
     false},
    {"data-tree", "data", "`DIR/** r` (m too if a library was mapped)",
     "DIR listed and, beneath it, one of DIR's own sub-directories listed (listed: getdents recorded on "
     "it, behavior.json `e`; a directory only opened is no walk: rsync opens its working directory, a "
     "file read by name in a sub-directory is none either); DIR allowed by the never rows (the outermost "
     "such DIR)",
     "a program that walks a tree (find, tar, grep -r, a build) reads whatever the tree holds on another "
     "input; read only (writes: work-tree)",
     false},
    {"work-tree", "data",
     "`TREE/* LETTERS`, `TREE/[^.]*/ LETTERS`, `TREE/[^.]*/** LETTERS` (the letters among r w k used on the "
     "files written; l and r as for data-dir)",
     "a file written in a directory beneath (or in) a tree the program walked (data-tree's DIR, the "
     "outermost)",
     "a program that walks a tree and edits files in it (a VCS over its work tree, a build, rsync --delete, "
     "a formatter) edits other files of that tree, in other sub-directories, on other input (seen: git "
     "commit -a and git rm over a work tree with more directories than the training's); writes stay in the "
     "tree walked, never a dot-directory directly beneath it",
     false},
    {"created-dir", "data", "`DIR/ rw`, `DIR/** rw` (l too if the program made hard links, k if it locked)",
     "a directory the program created and created files in (not a well-known or never directory; a "
     "recorded path beneath it that the program did not create and that exists now shows the directory was "
     "there: mkdir -p's EEXIST)",
     "the program owns what is in it, at any depth (git's .git/objects/XX/ for other hashes); its name may "
     "be random",
     true},
    {"temp-name", "name", "a glob for the random part (`tmp.*`, `pymp-*`, `out-[0-9]*.txt`, the host name)",
     "a file or directory the program created with a random-looking or numbered name, or one holding the "
     "host name (not in /, /root, /home, /dev, /proc, /sys, /etc, except inside a dot-directory of a home: "
     "gpg's ~/.gnupg)",
     "mkstemp-like and pid-numbered names never repeat", true},
    {"tmpfile", "name", "`DIR/?[0-9]* rw` (`?` for the `#`, which a rule path cannot hold unquoted)",
     "an open with O_TMPFILE in DIR (glibc's tmpfile(3): ed; python's TemporaryFile), recorded as "
     "DIR/#tmpfile",
     "the file has no name until the kernel calls it #INODE in DIR, a number that never repeats; the "
     "Landlock translation gives DIR's files the rule's rights (row created), which the kernel checks "
     "the unnamed file's open against",
     true},
    {"proc-pid", "name", "`owner /proc/@{pid}/...`, `.../task/@{tid}/...`; `comm` without owner",
     "a path beneath /proc/<pid>, /proc/self, /proc/thread-self",
     "pids differ every run; owner: the program's own processes only (comm: the kernel writes a thread "
     "name only within the writer's own thread group and every user may read it, while a service that "
     "dropped privileges is not dumpable, so its /proc files belong to root and owner never matches)",
     true},
    {"library-config", "config", "`/etc/ssl/openssl.cnf r` (the exact file, when it exists)",
     "libssl or libcrypto read (mapped) by the program, or an interpreter executed (exec:interpreter of the "
     "seccomp table: its standard library loads OpenSSL when the script imports hashlib or ssl)",
     "OpenSSL loads its configuration the first time the program uses it (a hash, a TLS context), which "
     "depends on the input; the file is world-readable and holds no key (those are in /etc/ssl/private, "
     "never granted)",
     false},
    {"random-devices", "config", "`/dev/urandom r`, `/dev/random r`",
     "getrandom called, or /dev/urandom or /dev/random read",
     "a program that needs entropy gets it through getrandom or by reading the device, by library and "
     "input (seen: python's hashlib/uuid beside os.urandom); read only (a write to /dev/random credits "
     "the pool: not granted); every other device stays exact (never-dev)",
     false},
    {"cgroup-root", "config",
     "`/sys/fs/cgroup/CTRL/FILE r`, `/sys/fs/cgroup/FILE r` (the exact file, when it exists)",
     "a file FILE (a name with a dot: memory.max, memory.limit_in_bytes, cpu.max) read in a cgroup directory "
     "beneath a hierarchy's root: /sys/fs/cgroup/CTRL/PATH/FILE (CTRL a v1 controller, systemd or unified) "
     "or "
     "/sys/fs/cgroup/PATH/FILE (v2)",
     "a runtime reads its own cgroup's limits (Node's heap and thread pool, the JVM, Go's GOMAXPROCS) where "
     "/proc/self/cgroup names it: the cgroup the recording ran in; in a cgroup namespace (confine run, a "
     "container) the same file is at the hierarchy's root (seen: node under confine run after a recording "
     "on the host); read only, the same file name, /sys stays read-only",
     false},
    {"loader", "exec", "`LOADER mrix`", "an executed program's ELF loader (PT_INTERP) or #! interpreter",
     "the kernel opens it for the exec; Landlock needs execute on it", true},
    {"file-lock", "lock", "`k` on each file the program wrote",
     "`flock`, or `fcntl`/`fcntl64` with a lock command (F_GETLK, F_SETLK, F_SETLKW, their OFD forms)",
     "a program that locks its own files (SQLite's fcntl F_SETLK, flock) locks whichever files it writes on "
     "other input; AppArmor mediates locking with k; advisory locks on files it may write already (seen: "
     "sqlite3 under real AppArmor, 490 file_lock denials)",
     true},
    {"hard-link", "link", "`l` on each file the program created", "`link` or `linkat` recorded",
     "a program that makes hard links needs l on the link it creates, and the recording names the files "
     "created, not which of them were links (gpg's dotlock: a lock file linked to NAME.lock); only files it "
     "created itself, and AppArmor still requires the link's rights to be a subset of the target's",
     true},
    {"self-signal", "signal", "`signal (send, receive) peer=PROFILE`",
     "kill, tkill, tgkill, rt_sigqueueinfo or rt_tgsigqueueinfo recorded, or (by default) allowed by the "
     "seccomp table (raise after a write: gettid/tgkill)",
     "a program raises a signal on itself (abort, a handler that cleans up and re-raises: sort removes its "
     "temporary files on SIGPIPE, then raises it) or signals its own children; AppArmor mediates a signal "
     "to oneself too (seen: sort under real AppArmor, signal=pipe); only peers confined by the same "
     "profile, never another profile or unconfined processes",
     true},
    {"never-dev", "never", "-", "/dev (except the two of random-devices)",
     "device nodes: each is another device (a terminal, a disk, /dev/mem)", true},
    {"never-kernel", "never", "-", "/proc (except proc-pid), /sys (except cgroup-root's exact files)",
     "kernel state and other processes; a write there changes the kernel (/proc/sys, /sys)", true},
    {"never-etc", "never", "-", "/etc, /boot (library-config names one exact file)",
     "configuration and secrets (/etc/shadow, /etc/gshadow, /etc/ssl/private, ssh host keys): exact files "
     "only",
     true},
    {"never-home", "never", "-", "/root, /home, any dot-directory (~/.ssh, .gnupg, .config)",
     "a user's credentials and configuration live next to the data (temp-name may still glob the random "
     "part of a file the program created in a home's dot-directory, nothing else)",
     true},
    {"never-shared", "never", "-",
     "/, /tmp, /var/tmp, /dev/shm, /run, /run/user/UID, /run/lock, /var, /var/lib, /var/cache, /var/log, "
     "/var/spool, /srv, /mnt, /media, /opt, /usr/local (their direct files)",
     "directories many programs share: their files are granted only by recorded names and temp-name globs",
     true},
    {"never-installed", "never", "-", "/usr, /opt, /bin, /sbin, /lib* outside the hierarchy rows",
     "installed software: only the hierarchy rows above widen there, read only", true},
    {"never-write", "never", "-", "any write outside the directories written (and their sub-directories)",
     "the hierarchy rows grant read (and map) only; data-dir grants w only beneath a directory the program "
     "wrote in, work-tree only in a tree it walked and wrote in",
     true},
};

}  // namespace

const std::vector<PathRow>& path_generalisation_table() { return kPathRows; }

std::string cgroup_root_file(std::string_view path) {
  constexpr std::string_view kRoot = "/sys/fs/cgroup/";
  if (!path.starts_with(kRoot) || path.find("/../") != std::string_view::npos ||
      path.find("/./") != std::string_view::npos)
    return "";
  std::string_view rest = path.substr(kRoot.size());
  size_t slash = rest.rfind('/');
  if (slash == std::string_view::npos) return "";  // already at the root
  std::string_view file = rest.substr(slash + 1), dir = rest.substr(0, slash);
  if (file.empty() || file.find('.') == std::string_view::npos || file[0] == '.') return "";
  static const std::set<std::string, std::less<>> v1 = {
      "blkio",   "cpu",    "cpuacct", "cpu,cpuacct", "cpuset",      "devices",          "freezer",
      "hugetlb", "memory", "misc",    "net_cls",     "net_prio",    "net_cls,net_prio", "perf_event",
      "pids",    "rdma",   "systemd", "unified",     "name=systemd"};
  std::string_view first = dir.substr(0, dir.find('/'));
  if (v1.count(first)) {
    if (first.size() == dir.size()) return "";  // the controller's root
    return std::string(kRoot) + std::string(first) + "/" + std::string(file);
  }
  return std::string(kRoot) + std::string(file);
}

bool data_dir_allowed(std::string_view dir) {
  std::string d(dir);
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  if (d.empty() || d[0] != '/' || d == "/") return false;
  if (is_system_tree(d) || under_system_tree(d))
    return false;  // never-dev, never-kernel, never-etc, never-home
  for (const char* p :
       {"/boot", "/usr", "/opt", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/snap"})
    if (d == p || d.starts_with(std::string(p) + "/")) return false;  // never-installed, never-etc (/boot)
  static const std::set<std::string> shared = {
      "/tmp",     "/var/tmp",   "/dev/shm",   "/run",       "/run/lock",   "/run/user", "/var",
      "/var/lib", "/var/cache", "/var/log",   "/var/spool", "/var/run",    "/srv",      "/mnt",
      "/media",   "/var/mail",  "/var/local", "/var/opt",   "/var/backups"};
  if (shared.count(d)) return false;  // never-shared
  if (d.starts_with("/run/user/") && d.find('/', 10) == std::string::npos) return false;
  for (size_t i = 0; i < d.size(); ++i)  // never-home: dot-directories
    if (d[i] == '/' && i + 1 < d.size() && d[i + 1] == '.') return false;
  return true;
}

namespace {

// Directories under which no generalisation applies: rules there name exactly
// the recorded paths.
bool no_generalisation_under(const std::string& p) {
  return p.find('/', 1) == std::string::npos || under_system_tree(p);  // "/" and its direct entries too
}

Comment comment(std::string text) {
  Comment c;
  c.text = text.empty() ? "" : " " + text;
  return c;
}

Comment blank() {
  Comment c;
  c.blank = true;
  return c;
}

// Escapes AppArmor glob/special characters so the text matches only itself.
std::string escape(std::string_view p) {
  std::string s;
  for (char c : p) {
    if (std::strchr("*?[]{}\\\"^", c)) s += '\\';
    s += c;
  }
  return s;
}

// Quotes a rule path when it contains characters the lexer would split on.
std::string quote_if_needed(const std::string& p) {
  if (p.find_first_of(" \t,#=()") == std::string::npos) return p;
  return "\"" + p + "\"";
}

std::string family_word(const std::string& af) {
  std::string w = af.starts_with("AF_") ? af.substr(3) : af;
  for (auto& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return w;
}

bool is_lib_name(std::string_view n) {
  // libfoo.so, libfoo.so.6, libfoo.so.1.0 (not ld.so.preload)
  for (size_t i = n.find(".so"); i != std::string_view::npos; i = n.find(".so", i + 1)) {
    if (i + 3 == n.size()) return true;
    if (n[i + 3] == '.' && i + 4 < n.size() && std::isdigit(static_cast<unsigned char>(n[i + 4])))
      return true;
  }
  return false;
}

// Directories that exist on every system (or are a user's home): never "created by the program".
bool well_known_dir(std::string d) {
  if (d.size() > 1 && d.back() == '/') d.pop_back();
  static const std::set<std::string> k = {"/",         "/root",      "/home",      "/tmp",      "/var/tmp",
                                          "/var",      "/etc",       "/usr",       "/opt",      "/srv",
                                          "/run",      "/dev",       "/dev/shm",   "/proc",     "/sys",
                                          "/mnt",      "/media",     "/var/lib",   "/var/log",  "/var/cache",
                                          "/run/user", "/var/spool", "/usr/local", "/run/lock", "/var/run"};
  if (k.count(d)) return true;
  // /home/USER, /run/user/UID
  for (const char* p : {"/home/", "/run/user/"})
    if (d.starts_with(p) && d.find('/', std::strlen(p)) == std::string::npos) return true;
  return false;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The system read-only hierarchy (rows system-libraries ... package-data) a read file is
// in: its root ("" for none), the row id and the letters the row grants.
std::string hierarchy_of(const std::string& p, std::string* id, std::string* letters,
                         const std::vector<std::string>& prefix_stdlibs = {}) {
  auto comp = [&](size_t from) {  // the path component starting at p[from], "" if it is the last one
    size_t e = p.find('/', from);
    return e == std::string::npos ? std::string() : p.substr(from, e - from);
  };
  auto set = [&](const char* row, const char* l, std::string root) {
    *id = row;
    *letters = l;
    return root;
  };
  if (p.starts_with("/usr/include/")) return set("system-headers", "r", "/usr/include");
  for (const char* r : {"/usr/share/locale", "/usr/lib/locale", "/usr/share/i18n"})
    if (p.starts_with(std::string(r) + "/")) return set("locale", "r", r);
  if (p.starts_with("/usr/share/zoneinfo/")) return set("zoneinfo", "r", "/usr/share/zoneinfo");
  if (p.starts_with("/usr/lib/gcc/")) {
    std::string arch = comp(13);
    if (arch.empty()) return "";
    std::string ver = comp(13 + arch.size() + 1);
    if (ver.empty()) return "";
    return set("compiler-tree", "r", "/usr/lib/gcc/" + arch + "/" + ver);
  }
  for (const auto& r : prefix_stdlibs)  // an interpreter installed under its own prefix (pyenv, a venv, /opt)
    if (p.starts_with(r + "/")) return set("interpreter-stdlib", "mr", r);
  for (const char* r : {"/usr/lib/python3/", "/usr/share/perl5/", "/usr/lib/ruby/", "/usr/share/lua/",
                        "/usr/share/nodejs/", "/usr/share/tcltk/"})
    if (p.starts_with(r)) return set("interpreter-stdlib", "mr", std::string(r, std::strlen(r) - 1));
  for (const char* r : {"/usr/lib/", "/usr/share/perl/"}) {
    size_t n = std::strlen(r);
    if (!p.starts_with(r)) continue;
    std::string c = comp(n);
    if (c.empty()) continue;
    bool py = std::string_view(r) == "/usr/lib/" && c.starts_with("python3.") && all_digits(c.substr(8));
    bool perl = std::string_view(r) == "/usr/share/perl/";
    if (py || perl) return set("interpreter-stdlib", "mr", r + c);
  }
  if (p.starts_with("/usr/lib/")) {
    std::string c = comp(9);
    if (c.find("-linux-gnu") != std::string::npos) return set("system-libraries", "mr", "/usr/lib/" + c);
  }
  for (const char* r :
       {"/usr/share/", "/usr/lib/", "/usr/libexec/", "/usr/local/share/", "/usr/local/lib/", "/opt/"}) {
    size_t n = std::strlen(r);
    if (!p.starts_with(r)) continue;
    std::string c = comp(n);
    if (c.empty() || c[0] == '.') continue;
    return set("package-data", std::string_view(r).ends_with("/share/") ? "r" : "mr", r + c);
  }
  return "";
}

// ---- recorded paths --------------------------------------------------------------------

struct Need {
  std::string sample;    // concrete path for coverage (dirs end in '/')
  std::string emit;      // rule path (escaped/globbed)
  std::string perms;     // needed letters among m r w k
  bool exec = false;     // gets ix
  bool owner = false;    // emit `owner`
  bool created = false;  // the program created it
  bool written = false;
  bool dir = false;
  bool literal = true;  // emit is sample escaped (eligible for collapsing)
  uint8_t acc = 0;      // recorded access bits
  std::string why;      // trailing comment
  bool covered = false;
};

std::string perm_order(const std::string& letters) {
  std::string out;
  for (char c : std::string("mrwlk"))
    if (letters.find(c) != std::string::npos) out += c;
  return out;
}

// /proc/<pid>|self|thread-self/... -> (/proc/@{pid}/..., concrete sample for matching).
bool proc_glob(const std::string& p, std::string* emit, std::string* sample) {
  if (!p.starts_with("/proc/")) return false;
  std::string rest = p.substr(6);
  size_t sl = rest.find('/');
  std::string first = rest.substr(0, sl);
  std::string tail = sl == std::string::npos ? "" : rest.substr(sl);
  std::string pid_part, sample_part;
  if (first == "thread-self") {
    pid_part = "@{pid}/task/@{tid}";
    sample_part = "4242/task/4243";
  } else if (first == "self" || all_digits(first)) {
    pid_part = "@{pid}";
    sample_part = "4242";
    // /proc/<pid>/task/<tid>/...
    if (tail.starts_with("/task/")) {
      std::string t = tail.substr(6);
      size_t s2 = t.find('/');
      if (all_digits(t.substr(0, s2))) {
        pid_part += "/task/@{tid}";
        sample_part += "/task/4243";
        tail = s2 == std::string::npos ? "" : t.substr(s2);
      }
    }
  } else {
    return false;
  }
  *emit = "/proc/" + pid_part + escape(tail);
  *sample = "/proc/" + sample_part + tail;
  return true;
}

// "#!/bin/sh -e" -> "/bin/sh"; ELF PT_INTERP -> "/lib64/ld-linux-x86-64.so.2".
std::string interpreter_of(const std::string& path) {
  // A recorded path: a FIFO or device there must not block or be read.
  auto opened = file::open_regular(path);
  if (!opened.ok()) return "";
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{*opened};
  auto read_at = [&](void* buf, size_t len, uint64_t off) {
    return ::pread(closer.fd, buf, len, static_cast<off_t>(off)) == static_cast<ssize_t>(len);
  };
  char head[256] = {};
  ssize_t got = ::pread(closer.fd, head, sizeof head, 0);
  size_t n = got > 0 ? static_cast<size_t>(got) : 0;
  if (n > 2 && head[0] == '#' && head[1] == '!') {
    std::string line(head + 2, n - 2);
    line = line.substr(0, line.find('\n'));
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    size_t e = line.find_first_of(" \t\r", b);
    return line.substr(b, e == std::string::npos ? std::string::npos : e - b);
  }
  if (n < sizeof(Elf64_Ehdr) || std::memcmp(head, ELFMAG, SELFMAG) != 0) return "";
  auto read_interp = [&](uint64_t phoff, uint16_t phnum, uint16_t phentsize, bool is64) -> std::string {
    for (uint16_t i = 0; i < phnum && i < 256; ++i) {
      uint64_t off = 0, sz = 0;
      uint32_t type = 0;
      if (is64) {
        Elf64_Phdr ph{};
        if (!read_at(&ph, sizeof ph, phoff + uint64_t(i) * phentsize)) return "";
        type = ph.p_type, off = ph.p_offset, sz = ph.p_filesz;
      } else {
        Elf32_Phdr ph{};
        if (!read_at(&ph, sizeof ph, phoff + uint64_t(i) * phentsize)) return "";
        type = ph.p_type, off = ph.p_offset, sz = ph.p_filesz;
      }
      if (type != PT_INTERP) continue;
      if (sz == 0 || sz > 4096) return "";
      std::string s(sz, '\0');
      if (!read_at(s.data(), sz, off)) return "";
      s = s.substr(0, s.find('\0'));
      return s;
    }
    return "";
  };
  if (head[EI_CLASS] == ELFCLASS64) {
    Elf64_Ehdr eh;
    std::memcpy(&eh, head, sizeof eh);
    if (eh.e_phentsize < sizeof(Elf64_Phdr)) return "";
    return read_interp(eh.e_phoff, eh.e_phnum, eh.e_phentsize, true);
  }
  if (head[EI_CLASS] == ELFCLASS32) {
    Elf32_Ehdr eh;
    std::memcpy(&eh, head, sizeof eh);
    if (eh.e_phentsize < sizeof(Elf32_Phdr)) return "";
    return read_interp(eh.e_phoff, eh.e_phnum, eh.e_phentsize, false);
  }
  return "";
}

// The live file system's answers, memoized for one from_behavior() call: a recording of 20,000
// files asked weakly_canonical (an lstat and a readlink per component) and stat 2-3 times per path,
// ~0.3 s of system time. canonical() resolves a path from its parent's memoized canonical form and
// one lstat of its last component; anything else (a symlink, ".", "..", "//", an error other than
// ENOENT/ENOTDIR) goes to weakly_canonical itself, so the answer is the same (proven against
// weakly_canonical on the recordings of bench/record_overhead.sh and symlink/dangling/trailing-slash
// cases: tests/apparmor/from_behavior_test.cc CanonicalMemoIsWeaklyCanonical).
struct FsMemo {
  std::unordered_map<std::string, std::string> canon;
  std::unordered_map<std::string, int> kind;  // stat(): -1 fails, 0 not a directory, 1 a directory
};
thread_local FsMemo* t_memo = nullptr;

std::string slow_canonical(const std::string& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  if (ec) return p;
  return c.string();
}

// An absolute path without empty, "." or ".." components.
bool plain_path(const std::string& p) {
  if (p.size() < 2 || p[0] != '/') return false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '/') continue;
    if (i + 1 < p.size() && p[i + 1] == '/') return false;
    if (p.compare(i, 3, "/./") == 0 || p.compare(i, 4, "/../") == 0) return false;
  }
  return !(p.ends_with("/.") || p.ends_with("/.."));
}

std::string memo_canonical(FsMemo& m, const std::string& p) {
  if (auto it = m.canon.find(p); it != m.canon.end()) return it->second;
  std::string r;
  struct stat st;
  if (!plain_path(p)) {
    r = slow_canonical(p);
  } else if (p.back() == '/') {
    // weakly_canonical: an existing directory without the slash, else the canonical prefix + "/".
    std::string q = p.substr(0, p.size() - 1);
    if (stat(p.c_str(), &st) == 0)
      r = memo_canonical(m, q);
    else if (errno == ENOENT || errno == ENOTDIR)
      r = memo_canonical(m, q) + "/";
    else
      r = slow_canonical(p);
  } else {
    size_t s = p.rfind('/');
    std::string parent = s == 0 ? "/" : p.substr(0, s);
    if (lstat(p.c_str(), &st) == 0) {
      if (S_ISLNK(st.st_mode)) {
        r = slow_canonical(p);
      } else {
        std::string pc = parent == "/" ? "/" : memo_canonical(m, parent);
        r = (pc == "/" ? "" : pc) + p.substr(s);
        m.kind.emplace(r, S_ISDIR(st.st_mode) ? 1 : 0);  // what stat(r) says: the same inode
      }
    } else if (errno == ENOENT || errno == ENOTDIR) {
      std::string pc = parent == "/" ? "/" : memo_canonical(m, parent);
      r = (pc == "/" ? "" : pc) + p.substr(s);
    } else {
      r = slow_canonical(p);
    }
  }
  m.canon.emplace(p, r);
  return r;
}

std::string canonical(const std::string& p, bool enabled) {
  if (!enabled) return p;
  if (t_memo) return memo_canonical(*t_memo, p);
  return slow_canonical(p);
}

int stat_kind(const std::string& p) {
  if (t_memo)
    if (auto it = t_memo->kind.find(p); it != t_memo->kind.end()) return it->second;
  struct stat st;
  int k = stat(p.c_str(), &st) != 0 ? -1 : S_ISDIR(st.st_mode) ? 1 : 0;
  if (t_memo) t_memo->kind.emplace(p, k);
  return k;
}

bool is_dir(const std::string& p, bool enabled) {
  if (!enabled) return false;
  return stat_kind(p) == 1;
}

bool exists(const std::string& p, bool enabled) {
  if (!enabled) return true;
  return stat_kind(p) >= 0;
}

std::string parent_of(const std::string& p) {
  std::string q = p;
  if (q.size() > 1 && q.back() == '/') q.pop_back();
  size_t s = q.rfind('/');
  return s == 0 || s == std::string::npos ? "/" : q.substr(0, s);
}

std::string base_of(const std::string& p) {
  std::string q = p;
  if (q.size() > 1 && q.back() == '/') q.pop_back();
  return q.substr(q.rfind('/') + 1);
}

// p.starts_with(d + "/") without building the string (the generator's pairwise loops).
bool under(const std::string& p, const std::string& d) {
  return p.size() > d.size() && p[d.size()] == '/' && p.compare(0, d.size(), d) == 0;
}

std::string with_slash(const std::string& d) { return d.ends_with("/") ? d : d + "/"; }

bool uses(const behavior::Behavior& b, const char* sys) {
  for (const auto& [arch, m] : b.arches)
    if (m.count(sys)) return true;
  return false;
}

// A lock taken through fcntl: F_GETLK/F_SETLK/F_SETLKW (5-7), their i386 64-bit forms (12-14) and the
// open file description locks F_OFD_GETLK/SETLK/SETLKW (36-38); or flock.
bool locks_files(const behavior::Behavior& b) {
  if (uses(b, "flock")) return true;
  for (const auto& [arch, m] : b.arches)
    for (const char* sys : {"fcntl", "fcntl64"}) {
      auto it = m.find(sys);
      if (it == m.end()) continue;
      auto cmd = it->second.args.find("cmd");
      if (cmd == it->second.args.end()) continue;
      for (uint64_t c : cmd->second)
        if ((c >= 5 && c <= 7) || (c >= 12 && c <= 14) || (c >= 36 && c <= 38)) return true;
    }
  return false;
}

const char* sock_type_word(uint64_t t) {
  switch (t & 0xf) {
    case 1: return "stream";
    case 2: return "dgram";
    case 3: return "raw";
    case 4: return "rdm";
    case 5: return "seqpacket";
    case 10: return "packet";
    default: return nullptr;
  }
}

}  // namespace

std::string temp_glob(std::string_view name, const std::vector<std::string>& hosts) {
  auto randomish = [](std::string_view t) {
    if (t.size() < 6) return false;
    bool digit = false, lower = false, upper = false;
    for (char c : t) {
      if (c >= '0' && c <= '9')
        digit = true;
      else if (c >= 'a' && c <= 'z')
        lower = true;
      else if (c >= 'A' && c <= 'Z')
        upper = true;
      else if (c != '_')
        return false;
    }
    return (digit && (lower || upper)) || (lower && upper);
  };
  std::string out;
  size_t i = 0;
  while (i <= name.size()) {
    size_t e = name.find_first_of(".-#", i);
    std::string_view tok = name.substr(i, e == std::string_view::npos ? std::string_view::npos : e - i);
    bool all_digits =
        !tok.empty() && std::all_of(tok.begin(), tok.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (tok.starts_with("tmp") && randomish(tok.substr(3))) {
      out += "tmp*";
    } else if (randomish(tok)) {
      out += "*";
    } else if (i > 0 && !tok.empty() && std::find(hosts.begin(), hosts.end(), tok) != hosts.end()) {
      out += "*";  // the host's name: another host, the sandbox's uts namespace
    } else if (all_digits && i > 0) {
      // a number after a separator: a pid or a counter (gpg's lock ".#lk0x....HOST.PID" with the
      // sandbox's one-digit pids, "log.1")
      out += "[0-9]*";
    } else {
      // digit runs of two or more -> [0-9]*
      for (size_t k = 0; k < tok.size();) {
        if (std::isdigit(static_cast<unsigned char>(tok[k]))) {
          size_t m = k;
          while (m < tok.size() && std::isdigit(static_cast<unsigned char>(tok[m]))) ++m;
          if (m - k >= 2)
            out += "[0-9]*";
          else
            out += escape(tok.substr(k, m - k));
          k = m;
        } else {
          out += escape(tok.substr(k, 1));
          ++k;
        }
      }
    }
    if (e == std::string_view::npos) break;
    out += name[e];
    i = e + 1;
  }
  return out;
}

Result<GenerateOptions::Mode> mode_from_name(std::string_view s) {
  if (s == "enforce") return GenerateOptions::Mode::Enforce;
  if (s == "complain") return GenerateOptions::Mode::Complain;
  return Error("AppArmor mode must be enforce or complain, not \"" + std::string(s) + "\"");
}

std::vector<std::string> canonical_paths(const std::vector<std::string>& paths) {
  FsMemo memo;
  std::vector<std::string> out;
  for (const auto& p : paths) out.push_back(memo_canonical(memo, p));
  return out;
}

Result<File> from_behavior(const behavior::Behavior& b, const std::string& name,
                           std::vector<std::string>* notes) {
  GenerateOptions o;
  o.name = name;
  return from_behavior(b, o, notes);
}

Result<File> from_behavior(const behavior::Behavior& b, const GenerateOptions& opt,
                           std::vector<std::string>* notes) {
  const std::string& name = opt.name;
  FsMemo memo;
  FsMemo* const outer_memo = t_memo;
  t_memo = &memo;
  struct MemoScope {
    FsMemo* outer;
    ~MemoScope() { t_memo = outer; }
  } memo_scope{outer_memo};
  if (name.empty() || name.find_first_of(" \t\n{}(),#\"=") != std::string::npos || name[0] == '^')
    return Error("bad profile name \"" + name + "\"");
  const bool live = opt.canonicalize;
  std::vector<std::string> approx;  // header lines
  std::set<std::string> rows_used;  // ids of kPathRows rows
  auto note = [&](const std::string& s) {
    if (notes) notes->push_back(s);
  };

  // 1. Collect what is needed per path.
  std::map<std::string, Need> needs;  // by emit (+ owner marker)
  std::set<std::string> dropped_fds, missing;
  // Opens through a path that is a symbolic link the program created or removed: added after
  // the link itself, resolved to what they opened.
  std::vector<std::pair<std::string, uint8_t>> through_links;
  auto add = [&](const std::string& raw, uint8_t acc, const std::string& why) {
    if (raw.empty() || raw[0] != '/') {
      note("path \"" + raw + "\" is not absolute; not added");
      return;
    }
    if (raw.find("@{") != std::string::npos || std::any_of(raw.begin(), raw.end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
        })) {
      note("path \"" + raw + "\" has characters AppArmor rules cannot express literally; left out");
      return;
    }
    if (raw.starts_with("/dev/std") || raw.starts_with("/dev/fd/") || raw == "/dev/fd") {
      dropped_fds.insert(raw);
      return;
    }
    Need n;
    std::string pe, ps;
    if (base_of(raw) == behavior::kTmpfileName && parent_of(raw).size() > 1) {
      // O_TMPFILE (row tmpfile): the kernel names the file #INODE in the directory.
      std::string dir = canonical(parent_of(raw), live);
      rows_used.insert("tmpfile");
      n.sample = dir + "/#0";
      n.emit = escape(dir) + "/?[0-9]*";  // #INODE; an unquoted path cannot hold #
      n.literal = false;
      n.why = "generalisation tmpfile: an unnamed temporary file (O_TMPFILE) in " + dir;
    } else if (proc_glob(raw, &pe, &ps)) {
      rows_used.insert("proc-pid");
      n.sample = ps;
      n.emit = pe;
      // comm: the kernel itself limits writes to the writer's own thread group (comm_write:
      // EINVAL otherwise) and it is world-readable; owner would fail for a service that dropped
      // privileges (not dumpable: its /proc files belong to root).
      n.owner = !(pe == "/proc/@{pid}/comm" || pe == "/proc/@{pid}/task/@{tid}/comm");
      n.literal = false;
      // directory-ness from our own /proc/self (same layout)
      std::string tail = raw.substr(6);
      tail = tail.find('/') == std::string::npos ? "" : tail.substr(tail.find('/'));
      n.dir = is_dir("/proc/self" + tail, live) && !tail.starts_with("/task/");
      // Without the live filesystem: procfs's per-process directories by name.
      for (const char* d : {"", "/fd", "/fdinfo", "/task", "/net", "/ns", "/attr", "/map_files"})
        if (!live && tail == d) n.dir = true;
      if (raw.ends_with("/")) n.dir = true;
      // AppArmor checks a directory as "path/": a rule without the slash never matches it.
      if (n.dir && !n.emit.ends_with("/")) n.emit += "/";
      if (n.dir && !n.sample.ends_with("/")) n.sample += "/";
    } else {
      // A symbolic link the program created or removed (ln -s, ln -sf's temporary renamed over
      // the link): the rule is for the link itself, whose name AppArmor and Landlock check when
      // it is made or removed, never for its target. Resolving it made `ln -sf ../in/x out/l`
      // a write of in/x (data-dir: the input directory writable) and left out/l unallowed.
      // An open through it (r, w) still reaches the target: added after, resolved.
      struct stat lst;
      const bool link_itself = live && (acc & (behavior::kCreate | behavior::kUnlink)) &&
                               lstat(raw.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
      std::string c;
      if (link_itself) {
        const uint8_t through =
            acc & (behavior::kRead | behavior::kWrite | behavior::kExec | behavior::kList);
        if (through) through_links.emplace_back(raw, through);
        acc &= static_cast<uint8_t>(~through);
        std::string pc = canonical(parent_of(raw), live);
        c = (pc == "/" ? "" : pc) + "/" + base_of(raw);
      } else {
        c = canonical(raw, live);
      }
      if (!(acc & (behavior::kCreate | behavior::kWrite | behavior::kUnlink)) && !exists(c, live)) {
        // A failed open/exec (ENOENT: library search paths, PATH lookups): AppArmor never
        // mediates it (the check comes after the lookup), so it needs no rule.
        missing.insert(raw);
        return;
      }
      // Written and gone now (a temporary file renamed or removed: `ln -sf`, editors):
      // a write to a path that does not exist created it.
      if ((acc & behavior::kWrite) && !exists(c, live)) acc |= behavior::kCreate;
      n.dir = !link_itself && (raw.ends_with("/") || is_dir(c, live));
      if (c.size() > 1 && c.back() == '/') c.pop_back();
      n.sample = n.dir && c != "/" ? c + "/" : c;
      n.emit = escape(n.sample);
      if (c != raw) n.why = "recorded as " + raw;
    }
    std::string perms;
    if (acc & (behavior::kRead | behavior::kList)) perms += "r";
    if (acc & (behavior::kWrite | behavior::kCreate | behavior::kUnlink)) perms += "w";
    if (acc & behavior::kExec) perms += "mr";
    if ((acc & behavior::kRead) && !n.dir && is_lib_name(base_of(n.sample))) perms += "m";
    n.exec = acc & behavior::kExec;
    n.acc = acc;
    n.created = acc & behavior::kCreate;
    n.written = acc & (behavior::kWrite | behavior::kCreate | behavior::kUnlink);
    n.perms = perm_order(perms);
    if (!why.empty()) n.why = why;
    std::string key = n.emit + (n.owner ? "\x01" : "");
    auto it = needs.find(key);
    if (it == needs.end()) {
      needs.emplace(key, std::move(n));
    } else {
      Need& m = it->second;
      m.perms = perm_order(m.perms + n.perms);
      m.exec |= n.exec;
      m.created |= n.created;
      m.written |= n.written;
      m.acc |= n.acc;
      if (m.why.empty()) m.why = n.why;
    }
  };
  for (const auto& [path, acc] : b.files) add(path, acc, "");
  for (const auto& [path, acc] : through_links) add(path, acc, "");
  // A unix socket the program connected to: AppArmor mediates connect() to a path socket with
  // the file rules (w on the socket). Only a socket there now (a failed lookup is not mediated);
  // kSocket keeps it out of the data rows (its own rule, not DIR/* w).
  for (const auto& c : b.connects)
    if (c.starts_with("unix:/") && (!live || exists(canonical(c.substr(5), live), live)))
      add(c.substr(5), behavior::kWrite | behavior::kSocket, "connected unix socket");
  std::set<std::string> interps;
  for (const auto& e : b.execs) {
    add(e, behavior::kExec, "");
    if (!exists(e, live)) continue;
    if (!live) continue;
    std::string in = interpreter_of(canonical(e, live));
    if (!in.empty() && in[0] == '/' && exists(in, live)) interps.insert(in);
  }
  for (const auto& in : interps) {
    std::string c = canonical(in, live);
    bool known = false;
    for (const auto& [k, n] : needs)
      if (n.sample == c && n.exec) known = true;
    if (!known) {
      add(in, behavior::kExec, "generalisation loader: interpreter/loader of an executed program");
      rows_used.insert("loader");
    }
  }
  if (!dropped_fds.empty()) {
    std::string l;
    for (const auto& d : dropped_fds) l += (l.empty() ? "" : " ") + d;
    approx.push_back("not added (inherited descriptors, mediated when they were opened): " + l);
  }
  if (!missing.empty()) {
    approx.push_back(std::to_string(missing.size()) +
                     " recorded path(s) that do not exist now were left out (failed lookups: library "
                     "search paths, PATH; AppArmor does not mediate a lookup that fails)");
    size_t shown = 0;
    for (const auto& m : missing)
      if (++shown <= 5) note("no rule for " + m + ": it does not exist now");
    if (missing.size() > 5)
      note("no rule for " + std::to_string(missing.size() - 5) + " more path(s): they do not exist now");
  }
  if (locks_files(b))
    for (auto& [k, n] : needs)
      if (n.written && !n.dir && n.perms.find('k') == std::string::npos) {
        n.perms = perm_order(n.perms + "k");
        rows_used.insert("file-lock");
      }
  if (uses(b, "link") || uses(b, "linkat"))
    for (auto& [k, n] : needs)
      if (n.created && !n.dir && !n.exec && n.perms.find('l') == std::string::npos) {
        n.perms = perm_order(n.perms + "l");
        rows_used.insert("hard-link");
      }

  // 3. Created directories with created/written content -> D/ rw + D/** rwk.
  std::vector<Need> out;
  std::set<std::string> created_dirs;
  std::vector<std::string> eexist;
  for (auto& [k, n] : needs)
    if (n.literal && n.created && !n.covered) {
      // "created" may be a mkdir that failed with EEXIST (mkdir -p): the recorder sees no
      // return values. A directory holding a recorded path the program did not create
      // existed before it; well-known directories are never collapsed. A path that does not
      // exist now is no such evidence: its unlink or open may have failed with ENOENT (git
      // removes MERGE_HEAD, gc.log, a stale commit-graph-chain... in the repository it has
      // just created).
      bool has_child = false, preexisting_child = false;
      std::string d = with_slash(n.sample);
      for (const auto& [k2, m] : needs) {
        if (m.sample.size() <= d.size() || !m.sample.starts_with(d)) continue;
        if (!m.created && m.sample != d && exists(m.sample, live)) preexisting_child = true;
        if (m.literal && m.written && m.created) has_child = true;
      }
      if (n.dir && n.acc == behavior::kCreate && (preexisting_child || well_known_dir(d))) {
        // mkdir of a directory that was there (mkdir -p): EEXIST comes before AppArmor's check
        eexist.push_back(n.sample);
        continue;
      }
      if (has_child && !preexisting_child && !well_known_dir(d) && !no_generalisation_under(n.sample))
        created_dirs.insert(n.sample.ends_with("/") ? n.sample.substr(0, n.sample.size() - 1) : n.sample);
    }
  for (const auto& d : eexist)
    for (auto& [k, n] : needs)
      if (n.sample == d) n.covered = true;
  if (!eexist.empty()) {
    std::string l;
    for (const auto& d : eexist) l += (l.empty() ? "" : " ") + d;
    approx.push_back("mkdir of existing directories (EEXIST, not mediated) left out: " + l);
  }
  const bool links = uses(b, "link") || uses(b, "linkat");
  const bool renames = links || uses(b, "rename") || uses(b, "renameat") || uses(b, "renameat2") ||
                       uses(b, "symlink") || uses(b, "symlinkat");
  // keep outermost created dirs only
  std::set<std::string> top_dirs;
  for (const auto& d : created_dirs) {
    bool inner = false;
    for (const auto& e : created_dirs)
      if (e != d && under(d, e)) inner = true;
    if (!inner) top_dirs.insert(d);
  }
  for (const auto& d : top_dirs) {
    std::string g = escape(parent_of(d));
    if (g != "/") g += "/";
    g += temp_glob(base_of(d));
    bool lock = false;
    uint8_t kinds = 0;  // sockets/fifos created in it
    for (auto& [k, n] : needs)
      if (n.literal && !n.exec && (n.sample == d || under(n.sample, d))) {
        // An executed file keeps its own exec rule (a build that runs what it built): the
        // directory's rw never includes x.
        n.covered = true;
        lock |= n.perms.find('k') != std::string::npos;
        kinds |= n.acc & (behavior::kSocket | behavior::kFifo);
      }
    rows_used.insert("created-dir");
    Need dn;
    dn.emit = g + "/";
    dn.perms = "rw";
    dn.why = "generalisation created-dir: directory created by the program";
    out.push_back(dn);
    Need all;
    all.emit = g + "/**";
    // l: a program that makes hard links (git's objects, written to a temporary and linked
    // to their name) links what it created; AppArmor still requires the link's rights to
    // be a subset of the target's.
    all.perms = perm_order(std::string("rw") + (lock ? "k" : "") + (links ? "l" : ""));
    all.why = std::string(kTagCreatedDir) + " files the program created in it";  // row recreate-tree reads it
    all.acc = kinds ? kinds | behavior::kCreate : 0;
    out.push_back(all);
    if (g != escape(d)) {
      rows_used.insert("temp-name");
      approx.push_back("created directory " + d + " -> " + g + "/ (random-looking name)");
    }
  }

  // 3b. random-looking names of created files -> globs. Not in the system trees (/, /root, /home,
  // /dev, /proc, /sys, /etc), except in a program's own dot-directory of a home (gpg's lock files
  // in ~/.gnupg): the glob keeps the name's shape in the directory the program wrote.
  std::vector<std::string> hosts = {"confine"};  // the sandbox's uts name (sandbox/namespaces)
  {
    char hn[256] = {};
    if (live && gethostname(hn, sizeof hn - 1) == 0 && hn[0] && std::string_view(hn) != "localhost")
      hosts.push_back(hn);
  }
  auto temp_glob_ok = [](const std::string& p) {
    if (!no_generalisation_under(p)) return true;
    // /root/.X/.../NAME, /home/U/.X/.../NAME: inside a dot-directory of a home
    std::string_view rest;
    if (p.starts_with("/root/"))
      rest = std::string_view(p).substr(6);
    else if (p.starts_with("/home/") && p.find('/', 6) != std::string::npos)
      rest = std::string_view(p).substr(p.find('/', 6) + 1);
    else
      return false;
    return rest.size() > 1 && rest[0] == '.' && rest[1] != '.' && rest.find('/') != std::string_view::npos;
  };
  for (auto& [k, n] : needs) {
    if (n.covered || !n.literal || !n.created || !temp_glob_ok(n.sample)) continue;
    std::string g = temp_glob(base_of(n.sample), hosts);
    if (g == escape(base_of(n.sample))) continue;
    std::string p = escape(parent_of(n.sample));
    n.emit = (p == "/" ? "/" : p + "/") + g + (n.dir ? "/" : "");
    n.literal = false;
    rows_used.insert("temp-name");
    approx.push_back("created " + n.sample + " -> " + n.emit + " (random-looking name)");
  }

  // 4. (--tightness default) System read-only hierarchies, then the program's data directories.
  auto generalised = [&](const std::string& id, const std::string& rule, const std::string& detail) {
    rows_used.insert(id);
    note("generalised: " + rule + " (row " + id + ": " + detail + ")");
  };
  // A socket or fifo keeps its own rule (with the kind it was created as): no data or
  // hierarchy row covers it.
  auto plain_file = [](const Need& n) {
    return !n.covered && !n.exec && !n.dir && !n.owner && !(n.acc & (behavior::kSocket | behavior::kFifo));
  };
  if (opt.generalise) {
    struct Tree {
      std::string id, letters;
      size_t files = 0;
    };
    std::map<std::string, Tree> trees;  // root -> row
    // A python executed as PREFIX/bin/python3.N (pyenv, conda, a venv, /opt/python) has its
    // standard library and site-packages in PREFIX/lib/python3.N: the row's ROOT there.
    std::vector<std::string> prefix_stdlibs;
    for (const auto& e : b.execs) {
      std::string exe = canonical(e, live);
      std::string base = base_of(exe), dir = parent_of(exe);
      if (!base.starts_with("python3.") || !all_digits(base.substr(8)) || base_of(dir) != "bin") continue;
      std::string prefix = parent_of(dir);
      if (prefix == "/usr" || prefix.size() < 2) continue;  // the /usr/lib/python3.N rule already
      prefix_stdlibs.push_back(prefix + "/lib/" + base);
    }
    for (auto& [k, n] : needs) {
      if (!plain_file(n) || !n.literal || n.written) continue;
      std::string id, letters;
      std::string root = hierarchy_of(n.sample, &id, &letters, prefix_stdlibs);
      if (root.empty()) continue;
      Tree& t = trees[root];
      t.id = id;
      t.letters = letters;
      ++t.files;
    }
    for (const auto& tree : trees) {
      // Named, not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
      const auto& root = tree.first;
      const auto& t = tree.second;
      std::string g = escape(root) + "/**";
      for (auto& [k, n] : needs)
        if (n.literal && !n.exec && !n.owner && !n.written && under(n.sample, root) &&
            n.sample.size() > root.size() + 1 &&
            std::all_of(n.perms.begin(), n.perms.end(),
                        [&letters = t.letters](char c) { return letters.find(c) != std::string::npos; }))
          n.covered = true;
      Need c;
      c.emit = g;
      c.perms = t.letters;
      c.why = "generalisation " + t.id + ": " + std::to_string(t.files) + " file(s) read beneath";
      out.push_back(c);
      generalised(t.id, g + " " + t.letters, std::to_string(t.files) + " file(s) read beneath " + root);
    }

    // data-tree: DIR listed, and beneath it one of its own sub-directories listed.
    // data-dir (reads): a file read in DIR -> DIR/** r as well (the input names the paths).
    // Listed: getdents recorded on the directory (behavior::kList). Opening a directory is no
    // listing: rsync opens each component of its destination with O_PATH (the working
    // directory, /tmp, ...) and lists only its source, and the opens made the working
    // directory the walk's root (WORKSPACE/** r: a sibling secret/ readable, docs/heldout.md).
    // A recording without any listing (a behavior.json from before confine recorded them, or
    // one built from other sources) keeps the older reading: an open directory is listed.
    const bool listings = std::any_of(b.files.begin(), b.files.end(),
                                      [](const auto& f) { return (f.second & behavior::kList) != 0; });
    const uint8_t listed_bit = listings ? behavior::kList : behavior::kRead;
    std::set<std::string> walked, read_dirs;
    for (const auto& [k, n] : needs) {
      if (!plain_file(n) || !n.literal || n.written || !(n.acc & behavior::kRead)) continue;
      std::string d = parent_of(n.sample);
      if (data_dir_allowed(d)) read_dirs.insert(d);
    }
    for (const auto& [k, n] : needs) {
      if (!n.dir || n.owner || !(n.acc & listed_bit) || n.sample == "/") continue;
      std::string d = n.sample.substr(0, n.sample.size() - 1);
      if (!data_dir_allowed(d)) continue;
      for (const auto& [k2, m] : needs) {
        if (m.owner || m.exec || m.written || !under(m.sample, d)) continue;
        std::string rest = m.sample.substr(d.size() + 1);
        size_t sl = rest.find('/');
        // A walk goes through DIR's own sub-directories: one of them listed (sub/). An access deeper
        // down only (sub/t/x) is not DIR's walk: a program opens its working directory to come back
        // to it (find, rsync), and counting that made the working directory the tree root (the
        // data's sibling directories readable). Nor is a file read by name in a sub-directory
        // (sub/x): an interpreter lists its script's directory to find modules (python's sys.path[0],
        // the working directory) and then reads data/x.txt that its argument names; counting that
        // made the working directory a walked tree, and work-tree let the script write its own
        // inputs and itself (seen: python3 train.py data/x.txt > out/, docs/heldout.md third pass).
        bool child_listed = m.dir && sl != std::string::npos && sl + 1 == rest.size();
        if (child_listed && (m.acc & listed_bit)) {
          walked.insert(d);
          break;
        }
      }
    }
    if (!listings && !walked.empty())
      note("no directory listing (getdents) recorded: data-tree took the directories opened as listed");
    // A directory read in that holds another directory read in (or walked) is a container of
    // distinct data sets (a script beside its data directories): its own files only (DIR/*,
    // below), each data directory beneath it its own tree.
    std::set<std::string> tree_roots = walked;
    for (const auto& d : read_dirs) {
      bool container = false;
      for (const auto& e : read_dirs) container |= under(e, d);
      for (const auto& e : walked) container |= under(e, d);
      if (!container) tree_roots.insert(d);
    }
    for (const auto& d : tree_roots) {
      bool inner = false;
      for (const auto& e : tree_roots)
        if (e != d && under(d, e)) inner = true;
      if (inner) continue;
      const bool tree = walked.count(d) > 0;
      std::string letters = "r";
      size_t files = 0;
      for (auto& [k, n] : needs)
        if (!n.owner && !n.exec && !n.written && under(n.sample, d) && n.sample.size() > d.size() + 1 &&
            !n.covered) {
          if (n.perms.find('m') != std::string::npos) letters = "mr";
          n.covered = true;
          if (!n.dir) ++files;
        }
      std::string g = escape(d) + "/**";
      Need c;
      c.emit = g;
      c.perms = letters;
      if (tree) {
        c.why = "generalisation data-tree: a tree the program walked";
        generalised("data-tree", g + " " + letters,
                    "listed " + d + "/ and read beneath it (" + std::to_string(files) + " file(s))");
      } else {
        c.why = "generalisation data-dir: " + std::to_string(files) + " file(s) read beneath";
        generalised("data-dir", g + " " + letters,
                    std::to_string(files) + " file(s) read beneath " + d + ", read only");
      }
      out.push_back(c);
    }

    // data-dir: the files of a directory the program read in: DIR/* with the letters used.
    // data-dir (writes) and work-tree: a directory the program wrote in gets DIR/* and
    // DIR/[^.]*/** with the letters used on the files written (its sub-directories too, never a
    // dot-directory directly beneath); a directory written beneath a tree the program walked
    // (data-tree) gives the same on the tree's outermost walked root.
    std::map<std::string, std::vector<Need*>> by_dir;
    for (auto& [k, n] : needs) {
      if (!plain_file(n)) continue;
      std::string d = parent_of(n.sample);
      if (data_dir_allowed(d)) by_dir[d].push_back(&n);
    }
    struct WriteRoot {
      std::string letters;
      size_t files = 0;
      std::set<std::string> dirs;
    };
    std::map<std::string, WriteRoot> write_roots;
    for (auto& [d, v] : by_dir) {
      std::string letters;
      size_t read = 0;
      for (auto* n : v) {
        n->covered = true;
        if (n->written) {
          std::string root = d;
          for (const auto& w : walked)
            if ((d == w || under(d, w)) && w.size() < root.size()) root = w;
          WriteRoot& wr = write_roots[root];
          wr.letters += n->perms;
          ++wr.files;
          wr.dirs.insert(d);
        } else {
          letters += n->perms;
          ++read;
        }
      }
      if (read == 0) continue;
      letters = perm_order(letters);
      std::string g = escape(d) + "/*";
      Need c;
      c.emit = g;
      c.perms = letters;
      c.why = "generalisation data-dir: " + std::to_string(read) + " file(s) read here";
      out.push_back(c);
      generalised("data-dir", g + " " + letters, std::to_string(read) + " file(s) read in " + d);
    }
    for (auto& [root, wr] : write_roots) {
      // l: a program that makes hard links (gpg's dotlock links a temporary to NAME.lock)
      // links other names on other input; as for created-dir.
      // r: a program that renames, or makes links (replaced by renaming a temporary over them:
      // ln -sf when the link exists, the seccomp table's link row), renames other files on other
      // input, and AppArmor checks a rename's source for r w d (seen: ln -sf over an existing link,
      // "rename_src" denied r).
      std::string letters = perm_order(wr.letters + (links ? "l" : "") + (renames ? "r" : ""));
      const bool tree = wr.dirs.size() > 1 || !wr.dirs.count(root);
      const std::string id = tree ? "work-tree" : "data-dir";
      std::string detail =
          std::to_string(wr.files) + " file(s) written in " +
          (tree ? std::to_string(wr.dirs.size()) + " director" + (wr.dirs.size() == 1 ? "y" : "ies") +
                      " of the tree " + root + " the program walked"
                : root);
      // DIR/** does not match DIR/ (nor DIR/[^.]*/** a directory directly beneath): its own
      // rule lets the program create and remove the sub-directories.
      for (const std::string& g :
           {escape(root) + "/*", escape(root) + "/[^.]*/", escape(root) + "/[^.]*/**"}) {
        Need c;
        c.emit = g;
        c.perms = letters;
        c.why = "generalisation " + id + ": " + detail;
        out.push_back(c);
        generalised(id, g + " " + letters, detail);
      }
    }
  }

  // 4b. (--tightness default) Exact files a library or a syscall implies (rows library-config,
  // random-devices): read only, never a directory.
  if (opt.generalise) {
    auto exact = [&](const char* id, const std::string& path, const std::string& detail) {
      std::string c = canonical(path, live);
      if (!exists(c, live) || is_dir(c, live)) return;
      for (auto& [k, n] : needs)
        if (n.sample == c && !n.owner && n.perms.find('r') != std::string::npos) return;  // recorded
      Need r;
      r.emit = escape(c);
      r.perms = "r";
      r.why = std::string("generalisation ") + id + ": " + detail;
      out.push_back(r);
      generalised(id, r.emit + " r", detail);
    };
    bool ssl = generate::runs_interpreter(b), entropy = uses(b, "getrandom");
    for (const auto& [k, n] : needs) {
      std::string base = base_of(n.sample);
      if (base.starts_with("libssl.so") || base.starts_with("libcrypto.so")) ssl = true;
      if (n.sample == "/dev/urandom" || n.sample == "/dev/random") entropy = true;
    }
    if (ssl)
      exact("library-config", "/etc/ssl/openssl.cnf",
            "libssl/libcrypto loaded or an interpreter run: OpenSSL's configuration");
    if (entropy)
      for (const char* d : {"/dev/urandom", "/dev/random"})
        exact("random-devices", d, "entropy read through getrandom or the device");
    std::set<std::string> cgroup_files;
    for (const auto& [k, n] : needs)
      if (!n.dir && n.perms.find('r') != std::string::npos) {
        std::string root = cgroup_root_file(n.sample);
        if (!root.empty()) cgroup_files.insert(root);
      }
    for (const auto& c : cgroup_files)
      exact("cgroup-root", c, "a cgroup file read in the recording's cgroup, at its hierarchy's root");
  }

  // 5. The rest, one rule per path.
  for (auto& [k, n] : needs)
    if (!n.covered && (!n.perms.empty() || n.exec)) out.push_back(n);

  // Merge rules with the same path/owner.
  std::map<std::pair<std::string, bool>, Need> merged;
  for (auto& n : out) {
    auto key = std::make_pair(n.emit, n.owner);
    auto it = merged.find(key);
    if (it == merged.end()) {
      merged.emplace(key, n);
    } else {
      it->second.perms = perm_order(it->second.perms + n.perms);
      it->second.exec |= n.exec;
      it->second.acc |= n.acc;
      if (it->second.why.empty()) it->second.why = n.why;
    }
  }

  // 6. Capabilities and network.
  std::vector<Rule> caps, net;
  for (const auto& [cap, why] : generate::inferred_caps(b)) {
    std::string w = cap;
    for (auto& ch : w) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!is_capability(w)) continue;
    Rule r;
    r.kind = "capability";
    r.terms.push_back(Term{Term::Kind::Word, w, "", {}, {}});
    r.trailing_comment = " " + why;
    caps.push_back(r);
  }
  std::map<std::string, std::set<std::string>> fam_types;  // family word -> types ("" = any)
  bool cross = false;
  for (const char* sc : {"socket", "socketpair"})
    for (const auto& [arch, m] : b.arches) {
      auto it = m.find(sc);
      if (it == m.end()) continue;
      auto d = it->second.args.find("domain");
      auto t = it->second.args.find("type");
      if (d == it->second.args.end() || d->second.empty()) continue;
      std::set<std::string> types;
      if (t != it->second.args.end())
        for (uint64_t v : t->second)
          if (auto* w = sock_type_word(v)) types.insert(w);
      if (d->second.size() > 1 && types.size() > 1) cross = true;
      for (uint64_t dom : d->second) {
        std::string fw = family_word(behavior::family_name(dom));
        auto& s = fam_types[fw];
        if (types.empty())
          s.insert("");
        else
          s.insert(types.begin(), types.end());
      }
    }
  for (const auto& af : b.net_families) {
    std::string fw = family_word(af);
    if (!fam_types.count(fw)) fam_types[fw].insert("");
  }
  if (cross)
    approx.push_back(
        "socket families and types are recorded separately: network rules are their cross product");
  for (const auto& [fw, types] : fam_types) {
    auto probe = parse("profile p { network " + fw + ", }", "probe");
    if (!probe.ok()) {
      note("socket family " + fw + " has no AppArmor network keyword; not added");
      continue;
    }
    bool any = types.count("") > 0;
    for (const auto& ty : types) {
      if (any && !ty.empty()) continue;
      Rule r;
      r.kind = "network";
      r.terms.push_back(Term{Term::Kind::Word, fw, "", {}, {}});
      if (!ty.empty()) r.terms.push_back(Term{Term::Kind::Word, ty, "", {}, {}});
      auto p2 = parse("profile p { " + format_rule(r) + " }", "probe");
      if (!p2.ok()) continue;
      net.push_back(r);
    }
  }

  // 6b. Row self-signal: a program that may signal (raise after a write, abort, a handler that
  // re-raises after cleaning up) signals the processes of its own profile only.
  std::vector<Rule> sig;
  {
    std::set<std::string> allowed = b.syscall_names();
    if (opt.generalise)
      for (const auto& [n, why] : generate::companion_syscalls(b)) allowed.insert(n);
    std::string which;
    for (const char* s : {"kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"})
      if (allowed.count(s)) which += (which.empty() ? "" : ", ") + std::string(s);
    if (!which.empty()) {
      auto probe = parse("profile p { signal (send, receive) peer=" + name + ", }", "probe");
      const Profile* pp = nullptr;
      if (probe.ok())
        for (const auto& it : probe->items)
          if (auto* sp = std::get_if<std::shared_ptr<Profile>>(&it)) pp = sp->get();
      const Rule* r = nullptr;
      if (pp)
        for (const auto& it : pp->items)
          if (auto* rr = std::get_if<Rule>(&it)) r = rr;
      if (r) {
        sig.push_back(*r);
        sig.back().trailing_comment = " generalisation self-signal: " + which + " allowed";
        rows_used.insert("self-signal");
        note("generalised: signal (send, receive) peer=" + name + " (row self-signal: " + which +
             " allowed)");
      } else {
        note("profile name " + name + " cannot be a signal peer; no signal rule (signals denied)");
      }
    }
  }

  // 7. Assemble.
  File f;
  f.path = name;
  std::string cmd;
  for (const auto& c : b.command) cmd += (cmd.empty() ? "" : " ") + c;
  // The command line and the partial reason are the user's/task's text: a
  // newline in them must not end the comment and start profile rules.
  f.items.push_back(comment("AppArmor profile generated by confine record" +
                            (cmd.empty() ? std::string() : " from: " + file::escape_terminal(cmd))));
  f.items.push_back(
      comment("Review before use. Validate: apparmor_parser -Q -K FILE; load: apparmor_parser -r FILE"));
  if (b.partial)
    f.items.push_back(
        comment("WARNING: partial recording (" + file::escape_terminal(b.partial_reason) + ")"));
  if (b.files_truncated) {
    f.items.push_back(comment("WARNING: the recording's file list was truncated; the profile is incomplete"));
    note("the behavior's file list was truncated; the profile is incomplete");
  }
  f.items.push_back(comment("Self-contained: no include; every rule is a recorded access or a"));
  f.items.push_back(
      comment("row of the reviewed table (docs/generalisation.md, Path side), listed here when used."));
  f.items.push_back(comment("Approximations:"));
  f.items.push_back(
      comment("- programs run with ix (inherit this profile); px would need a profile per program"));
  f.items.push_back(comment("- only what the recording saw: other inputs or code paths may need more rules"));
  std::vector<std::string> rows;
  for (const auto& row : kPathRows)
    if (rows_used.count(row.id)) rows.push_back(std::string("generalisation ") + row.id + ": " + row.reason);
  approx.insert(approx.begin(), rows.begin(), rows.end());
  for (const auto& a : approx) {
    f.items.push_back(comment("- " + a));
    note(a);
  }
  Abi abi;
  abi.path = "abi/3.0";
  f.items.push_back(abi);
  if (rows_used.count("proc-pid")) {
    // Our own definitions (no tunables include): a pid/tid is a decimal number
    // without a leading zero, at most 7 digits (PID_MAX_LIMIT is 4194304).
    std::string pid = "{[1-9]";
    std::string digits = "[1-9]";
    for (int i = 2; i <= 7; ++i) {
      digits += "[0-9]";
      pid += "," + digits;
    }
    pid += "}";
    for (const char* v : {"pid", "tid"}) {
      Variable var;
      var.name = v;
      var.values = {pid};
      f.items.push_back(var);
    }
  }
  f.items.push_back(blank());

  auto p = std::make_shared<Profile>();
  p->name = name;
  if (opt.attachment == "-") {
  } else if (!opt.attachment.empty()) {
    p->attachment = quote_if_needed(opt.attachment);
  } else if (!b.command.empty()) {
    const std::string& c0 = b.command[0];
    std::string main;
    if (!c0.empty() && c0[0] == '/') {
      main = c0;
    } else {
      for (const auto& e : b.execs)
        if (base_of(e) == c0 && exists(e, live)) {
          main = e;
          break;
        }
    }
    if (!main.empty()) {
      std::string exe = canonical(main, live);
      if (const char* why = shared_interpreter(exe))
        note("no attachment: " + exe + " is " + why +
             "; a path attachment would confine every program it runs on this host. Attach by name: "
             "aa-exec -p " +
             name +
             ", /proc/self/attr/apparmor/exec, or Kubernetes' appArmorProfile "
             "(Localhost " +
             name + "); --attach PATH sets one");
      else
        p->attachment = quote_if_needed(escape(exe));
    }
  }
  if (opt.mode == GenerateOptions::Mode::Complain) p->flags = {"complain"};
  if (!caps.empty()) {
    if (!p->items.empty()) p->items.push_back(blank());
    for (auto& r : caps) p->items.push_back(r);
  }
  if (!net.empty()) {
    if (!p->items.empty()) p->items.push_back(blank());
    for (auto& r : net) p->items.push_back(r);
  }
  if (!sig.empty()) {
    if (!p->items.empty()) p->items.push_back(blank());
    for (auto& r : sig) p->items.push_back(r);
  }
  std::vector<Rule> exec_rules, file_rules;
  file_rules.reserve(merged.size());
  // The probe below parses each rule alone (20,000 parses for a find over /usr). Whether it
  // parses depends only on the rule's shape when its path is plain (a '/' and then letters,
  // digits and "/._+-" only) and its comment has no control character: one real probe per shape
  // (owner, letters, with or without a comment), the others take its answer.
  std::map<std::string, bool> shape_ok;
  auto plain_rule = [](const Rule& r) {
    if (r.path.empty() || r.path[0] != '/') return false;
    for (char c : r.path)
      if (!std::isalnum(static_cast<unsigned char>(c)) && (c == 0 || !std::strchr("/._+-", c))) return false;
    for (char c : r.trailing_comment)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    return true;
  };
  for (const auto& [key, n] : merged) {
    Rule r;
    r.kind = "file";
    r.path = quote_if_needed(n.emit);
    r.perms = n.perms + (n.exec ? "ix" : "");
    if (n.owner) r.owner = "owner";
    if (!n.why.empty()) r.trailing_comment = " " + n.why;
    if (n.perms.find('w') != std::string::npos)
      for (auto [bit, tag] : {std::pair{behavior::kSocket, kTagSocket}, std::pair{behavior::kFifo, kTagFifo}})
        if ((n.acc & bit) && (n.acc & behavior::kCreate)) r.trailing_comment += " " + std::string(tag);
    // A file name the language cannot carry (control characters, ...) must not cost the profile.
    bool parses;
    if (plain_rule(r)) {
      std::string shape = r.owner + "\x01" + r.perms + "\x01" + (r.trailing_comment.empty() ? "" : "#");
      auto it = shape_ok.find(shape);
      if (it == shape_ok.end())
        it = shape_ok.emplace(shape, parse("profile p {\n" + format_rule(r) + "\n}\n", "probe").ok()).first;
      parses = it->second;
    } else {
      parses = parse("profile p {\n" + format_rule(r) + "\n}\n", "probe").ok();
    }
    if (!parses) {
      note("path " + n.emit + " cannot be written as an AppArmor rule; left out");
      continue;
    }
    (n.exec ? exec_rules : file_rules).push_back(std::move(r));
  }
  p->items.reserve(p->items.size() + exec_rules.size() + file_rules.size() + 2);
  if (!exec_rules.empty()) {
    if (!p->items.empty()) p->items.push_back(blank());
    for (auto& r : exec_rules) p->items.push_back(std::move(r));
  }
  if (!file_rules.empty()) {
    if (!p->items.empty()) p->items.push_back(blank());
    for (auto& r : file_rules) p->items.push_back(std::move(r));
  }
  f.items.push_back(p);
  // The text must read back as the same model (escaping, quoting, letters).
  auto again = parse(format(f), name);
  if (!again.ok()) return Error("internal: generated profile does not parse: " + again.error().message());
  return f;
}

}  // namespace confine::apparmor
