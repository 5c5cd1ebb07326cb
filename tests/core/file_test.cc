#include "core/file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace confine::file {
namespace {

class TempDir {
 public:
  TempDir() {
    char d[] = "/tmp/confine-file-XXXXXX";
    path_ = mkdtemp(d) ? d : "";
    chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& n) const { return path_ + "/" + n; }
  const std::string& str() const { return path_; }

 private:
  std::string path_;
};

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
void put(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
mode_t mode_of(const std::string& p) {
  struct stat st {};
  lstat(p.c_str(), &st);
  return st.st_mode;
}

TEST(WriteFileAtomic, ReplacesRegularFile) {
  TempDir d;
  ASSERT_TRUE(write_file_atomic(d / "out.json", "one").ok());
  ASSERT_TRUE(write_file_atomic(d / "out.json", "two").ok());
  EXPECT_EQ(slurp(d / "out.json"), "two");
  // No temp file left behind.
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(d.str())) n += !e.path().empty();
  EXPECT_EQ(n, 1u);
}

TEST(WriteFileAtomic, SymlinkPlantedAtTheOldTempNameIsNotFollowed) {
  // Regression (--suggest): OUT.tmp was opened O_TRUNC without O_NOFOLLOW.
  TempDir d, host;
  put(host / "secret", "host data");
  chmod((host / "secret").c_str(), 0600);
  for (const char* planted : {"out.json.tmp", ".out.json.tmp"})
    ASSERT_EQ(symlink((host / "secret").c_str(), (d / planted).c_str()), 0);
  ASSERT_TRUE(write_file_atomic(d / "out.json", "profile").ok());
  EXPECT_EQ(slurp(host / "secret"), "host data");
  EXPECT_EQ(mode_of(host / "secret") & 07777, 0600u);
  EXPECT_EQ(slurp(d / "out.json"), "profile");
  EXPECT_TRUE(S_ISLNK(mode_of(d / "out.json.tmp")));
}

TEST(WriteFileAtomic, ModeOfAnExistingFileIsKept) {
  TempDir d;
  put(d / "p", "old");
  chmod((d / "p").c_str(), 0600);
  ASSERT_TRUE(write_file_atomic(d / "p", "new").ok());
  EXPECT_EQ(mode_of(d / "p") & 07777, 0600u);
  EXPECT_EQ(slurp(d / "p"), "new");
}

TEST(WriteFileAtomic, NewFileIs0644MinusUmask) {
  TempDir d;
  mode_t old = umask(027);
  auto s = write_file_atomic(d / "n", "x");
  umask(old);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(mode_of(d / "n") & 07777, 0640u);
}

// Writers on several threads (the k8s agent's install batch) neither see nor leave a transient umask.
TEST(WriteFileAtomic, ThreadsKeepTheUmask) {
  TempDir d;
  mode_t old = umask(027);
  std::vector<std::thread> ts;
  std::atomic<int> bad{0};
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        WriteOptions o;
        o.sync_dir = false;
        if (!write_file_atomic(d / ("f" + std::to_string(t) + "_" + std::to_string(i)), "x", o).ok()) ++bad;
      }
    });
  for (auto& t : ts) t.join();
  mode_t now = umask(old);
  EXPECT_EQ(now, 027u);
  EXPECT_EQ(bad.load(), 0);
  for (int t = 0; t < 8; ++t)
    for (int i = 0; i < 50; ++i)
      EXPECT_EQ(mode_of(d / ("f" + std::to_string(t) + "_" + std::to_string(i))) & 07777, 0640u);
  EXPECT_TRUE(sync_dir(d.str()).ok());
}

TEST(WriteFileAtomic, OwnerIsKept) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to own a file as another uid";
  TempDir d;
  put(d / "p", "old");
  ASSERT_EQ(chown((d / "p").c_str(), 65534, 65534), 0);
  ASSERT_TRUE(write_file_atomic(d / "p", "new").ok());
  struct stat st {};
  ASSERT_EQ(stat((d / "p").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
}

TEST(WriteFileAtomic, HardLinkIsRefusedByDefaultAndBrokenOnRequest) {
  TempDir d;
  put(d / "a", "old");
  ASSERT_EQ(link((d / "a").c_str(), (d / "b").c_str()), 0);
  auto s = write_file_atomic(d / "a", "new");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("hard links"), std::string::npos) << s.error().message();
  EXPECT_EQ(slurp(d / "a"), "old");
  WriteOptions o;
  o.hard_links = HardLinks::Break;
  ASSERT_TRUE(write_file_atomic(d / "a", "new", o).ok());
  EXPECT_EQ(slurp(d / "a"), "new");
  EXPECT_EQ(slurp(d / "b"), "old");
}

TEST(WriteFileAtomic, SymlinkInASafeDirectoryIsFollowed) {
  TempDir d;
  put(d / "real.json", "old");
  chmod((d / "real.json").c_str(), 0600);
  ASSERT_EQ(symlink("real.json", (d / "link.json").c_str()), 0);
  auto s = write_file_atomic(d / "link.json", "new");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_TRUE(S_ISLNK(mode_of(d / "link.json")));  // still a symlink
  EXPECT_EQ(slurp(d / "real.json"), "new");
  EXPECT_EQ(mode_of(d / "real.json") & 07777, 0600u);
}

TEST(WriteFileAtomic, SymlinkInAWorldWritableDirectoryIsRefused) {
  TempDir d, host;
  put(host / "secret", "host data");
  ASSERT_EQ(chmod(d.str().c_str(), 0777), 0);  // no sticky bit: anyone could have planted the link
  ASSERT_EQ(symlink((host / "secret").c_str(), (d / "out").c_str()), 0);
  auto s = write_file_atomic(d / "out", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("writable by others"), std::string::npos) << s.error().message();
  EXPECT_EQ(slurp(host / "secret"), "host data");
  // Nor to a device: a planted link must not send the profile to a terminal or /dev/kmsg.
  ASSERT_EQ(symlink("/dev/null", (d / "dev").c_str()), 0);
  EXPECT_FALSE(write_file_atomic(d / "dev", "x").ok());
  // The append writer has the same policy.
  EXPECT_FALSE(AppendFile::open(d / "out").ok());
  EXPECT_FALSE(check_writable(d / "out").ok());
}

TEST(WriteFileAtomic, SymlinkOwnedByAnotherUserIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a symlink owned by another uid";
  TempDir d, host;
  put(host / "secret", "host data");
  ASSERT_EQ(symlink((host / "secret").c_str(), (d / "out").c_str()), 0);
  ASSERT_EQ(lchown((d / "out").c_str(), 65534, 65534), 0);
  auto s = write_file_atomic(d / "out", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("owned by uid 65534"), std::string::npos) << s.error().message();
  EXPECT_EQ(slurp(host / "secret"), "host data");
}

TEST(WriteFileAtomic, DeviceNodeIsWrittenInPlaceNotReplaced) {
  // Regression: a temp-file + rename over /dev/null turned the device into a regular file.
  ASSERT_TRUE(write_file_atomic("/dev/null", "data").ok());
  struct stat st {};
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(WriteFileAtomic, FifoIsWrittenInPlace) {
  TempDir d;
  std::string fifo = d / "f";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  pid_t pid = fork();
  if (pid == 0) {
    char buf[16];
    FILE* f = fopen(fifo.c_str(), "r");
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    _exit(n == 5 ? 0 : 1);
  }
  ASSERT_TRUE(write_file_atomic(fifo, "hello").ok());
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(S_ISFIFO(mode_of(fifo)));
}

TEST(WriteFileAtomic, DirectoryAndMissingDirectoryAreRefused) {
  TempDir d;
  EXPECT_FALSE(write_file_atomic(d.str(), "x").ok());
  auto s = write_file_atomic(d / "no/such/out", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("realpath"), std::string::npos) << s.error().message();
  EXPECT_FALSE(check_writable(d / "no/such/out").ok());
  EXPECT_TRUE(check_writable(d / "fine").ok());
  EXPECT_FALSE(std::filesystem::exists(d / "fine"));  // the probe leaves nothing
}

TEST(ReadFile, RefusesFifoWithoutBlocking) {
  TempDir d;
  ASSERT_EQ(mkfifo((d / "f").c_str(), 0600), 0);
  alarm(10);  // a hang fails the test instead of the run
  auto r = read_file(d / "f");
  alarm(0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("is a FIFO"), std::string::npos) << r.error().message();
}

TEST(ReadFile, RefusesDevicesDirectoriesAndOversizedFiles) {
  auto z = read_file("/dev/zero");
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.error().message().find("character device"), std::string::npos);
  TempDir d;
  EXPECT_FALSE(read_file(d.str()).ok());
  put(d / "big", std::string(100, 'x'));
  EXPECT_FALSE(read_file(d / "big", 99).ok());
  auto ok100 = read_file(d / "big", 100);
  ASSERT_TRUE(ok100.ok());
  EXPECT_EQ(ok100->size(), 100u);
}

TEST(ReadFile, InheritedDescriptorIsReadWithABound) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_EQ(write(p[1], "abcdef", 6), 6);
  close(p[1]);
  auto r = read_file("/dev/fd/" + std::to_string(p[0]), 3);
  close(p[0]);
  EXPECT_FALSE(r.ok());
}

TEST(AppendFile, AppendsAndRefusesHardLinks) {
  TempDir d;
  {
    auto f = AppendFile::open(d / "log");
    ASSERT_TRUE(f.ok()) << f.error().message();
    ASSERT_TRUE(f->append("a\n").ok());
  }
  {
    auto f = AppendFile::open(d / "log");
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f->append("b\n").ok());
  }
  EXPECT_EQ(slurp(d / "log"), "a\nb\n");
  ASSERT_EQ(link((d / "log").c_str(), (d / "log2").c_str()), 0);
  EXPECT_FALSE(AppendFile::open(d / "log").ok());
}

bool ours(std::string_view n) { return n == "a" || n == "b"; }

TEST(OutputDir, NewDirectoryAppearsOnlyOnCommit) {
  TempDir d;
  {
    auto o = OutputDir::prepare(d / "prof", ours);
    ASSERT_TRUE(o.ok()) << o.error().message();
    put(o->work() + "/a", "1");
    EXPECT_FALSE(std::filesystem::exists(d / "prof"));
  }  // no commit: nothing
  EXPECT_FALSE(std::filesystem::exists(d / "prof"));
  EXPECT_TRUE(std::filesystem::is_empty(d.str()));
  auto o = OutputDir::prepare(d / "prof", ours);
  ASSERT_TRUE(o.ok());
  put(o->work() + "/a", "1");
  ASSERT_TRUE(o->commit().ok());
  EXPECT_EQ(slurp(d / "prof/a"), "1");
}

TEST(OutputDir, ExistingSetIsSwitchedAsOneOrKept) {
  TempDir d;
  std::filesystem::create_directory(d / "prof");
  chmod((d / "prof").c_str(), 0700);
  put(d / "prof/a", "old a");
  put(d / "prof/b", "old b");
  {
    auto o = OutputDir::prepare(d / "prof", ours);
    ASSERT_TRUE(o.ok());
    put(o->work() + "/a", "half");
  }  // failed run
  EXPECT_EQ(slurp(d / "prof/a"), "old a");
  EXPECT_EQ(slurp(d / "prof/b"), "old b");
  auto o = OutputDir::prepare(d / "prof", ours);
  ASSERT_TRUE(o.ok());
  put(o->work() + "/a", "new a");
  ASSERT_TRUE(o->commit().ok());
  EXPECT_EQ(slurp(d / "prof/a"), "new a");
  EXPECT_FALSE(std::filesystem::exists(d / "prof/b"));
  EXPECT_EQ(mode_of(d / "prof") & 07777, 0700u);
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(d.str())) n += !e.path().empty();
  EXPECT_EQ(n, 1u);  // the old set is gone
}

TEST(OutputDir, RefusesADirectoryHoldingOtherFilesOrTheCwd) {
  TempDir d;
  std::filesystem::create_directory(d / "home");
  put(d / "home/notes.txt", "mine");
  auto o = OutputDir::prepare(d / "home", ours);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.error().message().find("notes.txt"), std::string::npos);
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(d / "home");
  EXPECT_FALSE(OutputDir::prepare(".").ok());
  std::filesystem::current_path(cwd);
  put(d / "file", "x");
  EXPECT_FALSE(OutputDir::prepare(d / "file").ok());
}

TEST(EscapeTerminal, ControlBytesAreEscapedPrintableUtf8Kept) {
  EXPECT_EQ(escape_terminal("ls"), "ls");
  EXPECT_EQ(escape_terminal("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");
  EXPECT_EQ(escape_terminal("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
  EXPECT_EQ(escape_terminal("a\nb\tc\x7f"), "a\\x0ab\\x09c\\x7f");
  EXPECT_EQ(escape_terminal("\xc2\x9b"
                            "2J"),
            "\\xc2\\x9b2J");                                      // C1 CSI
  EXPECT_EQ(escape_terminal("\xff\xc0\xaf"), "\\xff\\xc0\\xaf");  // invalid, overlong
  EXPECT_EQ(escape_terminal("a\\x41"), "a\\x5cx41");              // unambiguous
  EXPECT_EQ(escape_terminal_lines("+ /a\x1b[2J r,\n- /b\n"), "+ /a\\x1b[2J r,\n- /b\n");
}

}  // namespace
}  // namespace confine::file
