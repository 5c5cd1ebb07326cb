#include "record/decode.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstring>
#include <map>

#include "behavior/behavior.h"
#include "syscalls/syscalls.h"

namespace confine::record {
namespace {

class FakeMem : public MemReader {
 public:
  std::map<uint64_t, std::string> mem;  // address -> bytes (strings include their NUL)
  std::map<int, std::string> fds;
  std::string cwd_ = "/home/u";
  std::optional<std::string> read_string(uint64_t a, size_t max) override {
    auto it = mem.find(a);
    if (it == mem.end()) return std::nullopt;
    size_t nul = it->second.find('\0');
    if (nul == std::string::npos || nul > max) return std::nullopt;
    return it->second.substr(0, nul);
  }
  std::optional<std::string> read_bytes(uint64_t a, size_t len) override {
    auto it = mem.find(a);
    if (it == mem.end() || it->second.size() < len) return std::nullopt;
    return it->second.substr(0, len);
  }
  std::string fd_path(int fd) override { return fds.count(fd) ? fds[fd] : ""; }
  std::string cwd() override { return cwd_; }
};

std::string cstr(const char* s) { return std::string(s) + '\0'; }

TEST(Decode, JoinPath) {
  EXPECT_EQ(join_path("/a/b", "c"), "/a/b/c");
  EXPECT_EQ(join_path("/a/b", "../c/./d//e"), "/a/c/d/e");
  EXPECT_EQ(join_path("/", "/x/../../y"), "/y");
  EXPECT_EQ(join_path("/a", "."), "/a");
  EXPECT_EQ(join_path("", "rel"), "?/rel");
  EXPECT_EQ(join_path("pipe:[1]", "rel"), "?/rel");
}

// bind() to a unix socket path creates a socket inode there (relative to the cwd): a
// file the program created, of kind socket; abstract names and connect() create nothing.
// mknod/mknodat record the kind they make (fifo, socket; devices stay plain c).
TEST(Decode, UnixSocketBindAndMknodRecordTheKindCreated) {
  FakeMem m;
  auto un = [](const std::string& path, bool abstract) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path + (abstract ? 1 : 0), path.data(), path.size());
    return std::string(reinterpret_cast<const char*>(&sa), sizeof sa);
  };
  m.mem[0x1000] = un("run/redis.sock", false);
  m.mem[0x2000] = un("abs", true);
  uint64_t a[6] = {3, 0x1000, sizeof(sockaddr_un), 0, 0, 0};
  Decoded d;
  decode(Arch::X86_64, "bind", a, m, &d);
  EXPECT_EQ(d.bind, "unix:run/redis.sock");
  ASSERT_EQ(d.files.size(), 1u);
  EXPECT_EQ(d.files[0].first, "/home/u/run/redis.sock");
  EXPECT_EQ(d.files[0].second, behavior::kCreate | behavior::kSocket);
  Decoded c;
  decode(Arch::X86_64, "connect", a, m, &c);
  EXPECT_TRUE(c.files.empty()) << "connect creates nothing";
  uint64_t b[6] = {3, 0x2000, sizeof(sockaddr_un), 0, 0, 0};
  Decoded ab;
  decode(Arch::X86_64, "bind", b, m, &ab);
  EXPECT_TRUE(ab.files.empty()) << "an abstract socket has no path";
  m.mem[0x3000] = cstr("/tmp/q/fifo");
  uint64_t f[6] = {0x3000, S_IFIFO | 0600, 0, 0, 0, 0};
  Decoded fd;
  decode(Arch::X86_64, "mknod", f, m, &fd);
  ASSERT_EQ(fd.files.size(), 1u);
  EXPECT_EQ(fd.files[0].second, behavior::kCreate | behavior::kFifo);
  uint64_t fa[6] = {static_cast<uint64_t>(-100), 0x3000, S_IFCHR | 0600, 0, 0, 0};
  Decoded ch;
  decode(Arch::X86_64, "mknodat", fa, m, &ch);
  ASSERT_EQ(ch.files.size(), 1u);
  EXPECT_EQ(ch.files[0].second, behavior::kCreate);
  EXPECT_EQ(behavior::access_str(behavior::kCreate | behavior::kSocket), "cs");
  EXPECT_EQ(*behavior::access_from_str("cp"), behavior::kCreate | behavior::kFifo);
}

TEST(Decode, OpenatRelativeToDirfdAndCwd) {
  FakeMem m;
  m.mem[0x1000] = cstr("etc/passwd");
  m.fds[5] = "/";
  uint64_t a[6] = {5, 0x1000, O_RDONLY, 0, 0, 0};
  Decoded d;
  decode(Arch::X86_64, "openat", a, m, &d);
  ASSERT_EQ(d.files.size(), 1u);
  EXPECT_EQ(d.files[0].first, "/etc/passwd");
  EXPECT_EQ(d.files[0].second, behavior::kRead);
  EXPECT_TRUE(d.used_memory);

  uint64_t b[6] = {static_cast<uint64_t>(-100), 0x1000, O_WRONLY | O_CREAT | O_TRUNC, 0, 0, 0};
  Decoded d2;
  decode(Arch::X86_64, "openat", b, m, &d2);
  ASSERT_EQ(d2.files.size(), 1u);
  EXPECT_EQ(d2.files[0].first, "/home/u/etc/passwd");
  EXPECT_EQ(d2.files[0].second, behavior::kWrite | behavior::kCreate);
}

// O_TMPFILE names a directory and makes an unnamed file in it (glibc's tmpfile(3) in /tmp): recorded
// as DIR/#tmpfile, created, with the open's access (the apparmor generator's row tmpfile).
TEST(Decode, OpenTmpfileIsAFileCreatedInTheDirectory) {
  FakeMem m;
  m.mem[0x1000] = cstr("/tmp");
  m.mem[0x1100] = cstr("scratch");
  uint64_t a[6] = {static_cast<uint64_t>(-100), 0x1000, O_RDWR | O_EXCL | O_TMPFILE, 0600, 0, 0};
  Decoded d;
  decode(Arch::X86_64, "openat", a, m, &d);
  ASSERT_EQ(d.files.size(), 1u);
  EXPECT_EQ(d.files[0].first, "/tmp/#tmpfile");
  EXPECT_EQ(d.files[0].second, behavior::kRead | behavior::kWrite | behavior::kCreate);
  uint64_t b[6] = {0x1100, O_WRONLY | O_TMPFILE, 0600, 0, 0, 0};
  Decoded d2;
  decode(Arch::X86_64, "open", b, m, &d2);
  ASSERT_EQ(d2.files.size(), 1u);
  EXPECT_EQ(d2.files[0].first, "/home/u/scratch/#tmpfile");
  EXPECT_EQ(d2.files[0].second, behavior::kWrite | behavior::kCreate);
  uint64_t c[6] = {static_cast<uint64_t>(-100), 0x1000, O_RDONLY | O_DIRECTORY, 0, 0, 0};  // not O_TMPFILE
  Decoded d3;
  decode(Arch::X86_64, "openat", c, m, &d3);
  ASSERT_EQ(d3.files.size(), 1u);
  EXPECT_EQ(d3.files[0].first, "/tmp");
  EXPECT_FALSE(d3.handle_only);
  uint64_t h[6] = {static_cast<uint64_t>(-100), 0x1000, O_RDONLY | O_PATH | O_DIRECTORY, 0, 0, 0};
  Decoded d4;  // rsync's walk to its destination: a handle, no access an LSM checks
  decode(Arch::X86_64, "openat", h, m, &d4);
  ASSERT_EQ(d4.files.size(), 1u);  // named (watch's fd.name); the recorders file nothing
  EXPECT_TRUE(d4.handle_only);
}

// getdents on a descriptor: the directory listed (its path), never a file opened. An open of a
// directory alone (O_PATH, or kept to come back to) is no listing.
TEST(Decode, GetdentsNamesTheDirectoryListed) {
  FakeMem m;
  m.fds[5] = "/work/tree/a";
  uint64_t a[6] = {5, 0x1000, 32768, 0, 0, 0};
  Decoded d;
  decode(Arch::X86_64, "getdents64", a, m, &d);
  EXPECT_EQ(d.listed, "/work/tree/a");
  EXPECT_TRUE(d.files.empty());
  EXPECT_TRUE(d.used_memory);  // /proc/PID/fd: the notification id is checked after
  Decoded d2;
  decode(Arch::X86, "getdents", a, m, &d2);
  EXPECT_EQ(d2.listed, "/work/tree/a");
  uint64_t bad[6] = {9, 0x1000, 32768, 0, 0, 0};  // unknown descriptor: nothing
  Decoded d3;
  decode(Arch::X86_64, "getdents64", bad, m, &d3);
  EXPECT_TRUE(d3.listed.empty());
  EXPECT_EQ(behavior::access_str(behavior::kRead | behavior::kList), "re");
  EXPECT_EQ(*behavior::access_from_str("re"), behavior::kRead | behavior::kList);
}

TEST(Decode, I386PointersAreTruncated) {
  FakeMem m;
  m.mem[0x2000] = cstr("/bin/true");
  // High garbage in a compat register must not matter.
  uint64_t a[6] = {0xdead00002000ull, 0, 0, 0, 0, 0};
  Decoded d;
  decode(Arch::X86, "execve", a, m, &d);
  EXPECT_EQ(d.exec, "/bin/true");
}

TEST(Decode, SensitiveArguments) {
  FakeMem m;
  Decoded d;
  uint64_t sock[6] = {2, 1 | 0x80000 | 0x800, 0, 0, 0, 0};
  decode(Arch::X86_64, "socket", sock, m, &d);
  EXPECT_EQ(d.family, 2u);
  EXPECT_EQ(d.args, (std::vector<std::pair<std::string, uint64_t>>{{"domain", 2}, {"type", 1}}));
  Decoded c;
  uint64_t clone[6] = {0x10000000 | 0x3d0f00, 0, 0, 0, 0, 0};  // CLONE_NEWUSER | thread flags
  decode(Arch::X86_64, "clone", clone, m, &c);
  EXPECT_EQ(c.args[0].second, 0x10000000u);
  Decoded p;
  uint64_t mp[6] = {0, 4096, 7, 0, 0, 0};
  decode(Arch::X86_64, "mprotect", mp, m, &p);
  EXPECT_EQ(p.args[0], (std::pair<std::string, uint64_t>{"prot", 6}));
  Decoded s;
  uint64_t sc[6] = {1, 1, 0x7ff000, 0, 0, 0};
  decode(Arch::X86_64, "seccomp", sc, m, &s);
  EXPECT_TRUE(s.seccomp_filter);
}

TEST(Decode, Sockaddrs) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(8080);
  inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
  EXPECT_EQ(format_sockaddr(std::string(reinterpret_cast<char*>(&in), sizeof in)), "127.0.0.1:8080");
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(443);
  inet_pton(AF_INET6, "::1", &in6.sin6_addr);
  EXPECT_EQ(format_sockaddr(std::string(reinterpret_cast<char*>(&in6), sizeof in6)), "[::1]:443");
  std::string un("\x01\x00/run/x.sock\x00", 14);
  EXPECT_EQ(format_sockaddr(un), "unix:/run/x.sock");
  std::string abs("\x01\x00\x00name", 7);
  EXPECT_EQ(format_sockaddr(abs), "unix:@name");
  EXPECT_EQ(format_sockaddr(std::string("\x02", 1)), "");
  EXPECT_EQ(format_sockaddr(std::string("\x02\x00\x01", 3)), "");  // truncated AF_INET

  FakeMem m;
  m.mem[0x3000] = std::string(reinterpret_cast<char*>(&in), sizeof in);
  uint64_t a[6] = {3, 0x3000, sizeof in, 0, 0, 0};
  Decoded d;
  decode(Arch::X86_64, "connect", a, m, &d);
  EXPECT_EQ(d.connect, "127.0.0.1:8080");
}

TEST(Decode, UnreadableMemoryIsSkipped) {
  FakeMem m;
  uint64_t a[6] = {static_cast<uint64_t>(-100), 0x9999, 0, 0, 0, 0};
  Decoded d;
  decode(Arch::X86_64, "openat", a, m, &d);
  EXPECT_TRUE(d.files.empty());
  EXPECT_TRUE(d.used_memory);
}

}  // namespace
}  // namespace confine::record

namespace confine::record {
namespace {

// decode_relevant() gates the recorder's hot path: a name it rejects must be
// one decode() finds nothing in, whatever the arguments and memory hold.
class AnyMem : public MemReader {
 public:
  int reads = 0;
  std::optional<std::string> read_string(uint64_t, size_t) override { return ++reads, "x"; }
  std::optional<std::string> read_bytes(uint64_t, size_t len) override {
    return ++reads, std::string(len, '\x02');
  }
  std::string fd_path(int) override { return ++reads, "/d"; }
  std::string cwd() override { return ++reads, "/c"; }
};

TEST(Decode, RelevantNamesCoverEverythingDecodeFinds) {
  size_t relevant = 0;
  for (auto name : all_syscall_names()) {
    for (Arch arch : {Arch::X86_64, Arch::X86}) {
      for (uint64_t v : {uint64_t{0}, uint64_t{0x10}, ~uint64_t{0} >> 1}) {
        const uint64_t args[6] = {v | 1, v | 2, v | 3, v | 4, v | 5, v | 6};
        AnyMem mem;
        Decoded d;
        decode(arch, name, args, mem, &d);
        bool found = !d.args.empty() || !d.files.empty() || !d.exec.empty() || !d.listed.empty() ||
                     d.family || !d.bind.empty() || !d.connect.empty() || d.seccomp_filter || d.used_memory ||
                     mem.reads > 0;
        bool quiet = !d.used_memory && mem.reads == 0;
        if (!decode_needs_task(name)) {
          EXPECT_TRUE(quiet) << name << " reads the task but decode_needs_task() says no";
        } else {
          EXPECT_TRUE(decode_relevant(name)) << name;
        }
        if (!decode_relevant(name)) {
          EXPECT_FALSE(found) << name << " decodes something but decode_relevant() says no";
        } else if (found) {
          ++relevant;
        }
      }
    }
  }
  EXPECT_GT(relevant, 30u);
  EXPECT_FALSE(decode_relevant("getppid"));
  EXPECT_TRUE(decode_relevant("openat"));
  EXPECT_TRUE(decode_needs_task("openat"));
  EXPECT_FALSE(decode_needs_task("clone"));  // ns flags are argument 0: perf sees them
  EXPECT_TRUE(decode_relevant("clone"));
}

}  // namespace
}  // namespace confine::record
