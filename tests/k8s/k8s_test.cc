// The ConfigMap snapshot reader, the bundle manifest parser and SHA-256.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "k8s/bundle.h"
#include "k8s/sha256.h"
#include "k8s/snapshot.h"

namespace fs = std::filesystem;
using namespace confine::k8s;

namespace {
struct TmpDir {
  std::string path;
  TmpDir() {
    char t[] = "/tmp/confine-k8s-test.XXXXXX";
    path = mkdtemp(t);
  }
  ~TmpDir() { fs::remove_all(path); }
};

void write(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

// What the kubelet's AtomicWriter does for one update.
void kubelet_write(const std::string& mount, const std::string& ts,
                   const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string old;
  if (fs::is_symlink(mount + "/..data")) old = fs::read_symlink(mount + "/..data").string();
  fs::create_directory(mount + "/" + ts);
  for (const auto& [k, v] : kv) write(mount + "/" + ts + "/" + k, v);
  fs::create_symlink(ts, mount + "/..data_tmp");
  fs::rename(mount + "/..data_tmp", mount + "/..data");
  for (const auto& [k, v] : kv)
    if (!fs::is_symlink(mount + "/" + k)) fs::create_symlink("..data/" + k, mount + "/" + k);
  if (!old.empty()) fs::remove_all(mount + "/" + old);
}
}  // namespace

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // 55, 56, 64 bytes: the padding boundaries.
  EXPECT_EQ(sha256_hex(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(sha256_hex(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(sha256_hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Snapshot, ReadsThroughDataNotTheVisibleLinks) {
  TmpDir t;
  kubelet_write(t.path, "..2026_12_06_23_59_01.000000001", {{"a", "one"}, {"b", "two"}});
  auto s = read_snapshot(t.path);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->target, "..2026_12_06_23_59_01.000000001");
  ASSERT_EQ(s->files.size(), 2u);
  EXPECT_EQ(s->find("a")->content, "one");
  EXPECT_EQ(s->find("b")->content, "two");
  // A visible name pointing elsewhere is never read: only the snapshot's entries count.
  fs::remove(t.path + "/a");
  write(t.path + "/elsewhere", "x");
  fs::create_symlink("elsewhere", t.path + "/a");
  s = read_snapshot(t.path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->find("a")->content, "one");
}

TEST(Snapshot, UpdateIsSeenWhole) {
  TmpDir t;
  kubelet_write(t.path, "..2026_12_06_23_59_01.000000001", {{"a", "v1"}, {"b", "v1"}});
  kubelet_write(t.path, "..2026_12_06_23_59_02.000000002", {{"a", "v2"}, {"c", "v2"}});
  auto s = read_snapshot(t.path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->target, "..2026_12_06_23_59_02.000000002");
  EXPECT_EQ(s->find("a")->content, "v2");
  EXPECT_EQ(s->find("b"), nullptr);
  EXPECT_EQ(s->find("c")->content, "v2");
  EXPECT_FALSE(fs::exists(t.path + "/..2026_12_06_23_59_01.000000001"));
}

TEST(Snapshot, HostileEntriesAreReportedNotRead) {
  TmpDir t;
  kubelet_write(t.path, "..ts", {{"good", "ok"}});
  fs::create_symlink("/etc/passwd", t.path + "/..ts/link");
  fs::create_symlink("../../escape", t.path + "/..ts/link2");
  fs::create_directory(t.path + "/..ts/sub");
  write(t.path + "/..ts/big", "");
  ASSERT_EQ(truncate((t.path + "/..ts/big").c_str(), 100 << 20), 0);
  auto s = read_snapshot(t.path, 1 << 20);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->find("good")->content, "ok");
  EXPECT_NE(s->find("link")->error.find("symbolic link"), std::string::npos);
  EXPECT_TRUE(s->find("link")->content.empty());
  EXPECT_NE(s->find("link2")->error.find("symbolic link"), std::string::npos);
  EXPECT_NE(s->find("sub")->error.find("directory"), std::string::npos);
  EXPECT_NE(s->find("big")->error.find("104857600 bytes"), std::string::npos);
}

TEST(Snapshot, DataMustBeTheKubeletsLayout) {
  TmpDir t;
  fs::create_directory(t.path + "/real");
  fs::create_symlink("/etc", t.path + "/..data");
  auto s = read_snapshot(t.path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("not the kubelet's layout"), std::string::npos);
  fs::remove(t.path + "/..data");
  fs::create_symlink("real", t.path + "/..data");  // not a ..timestamp name
  EXPECT_FALSE(read_snapshot(t.path).ok());
  fs::remove(t.path + "/..data");
  // ..data pointing at a symlink to a directory: O_NOFOLLOW refuses it.
  fs::create_symlink("/etc", t.path + "/..ts");
  fs::create_symlink("..ts", t.path + "/..data");
  EXPECT_FALSE(read_snapshot(t.path).ok());
  EXPECT_TRUE(is_configmap_volume(t.path));
  EXPECT_FALSE(is_configmap_volume(t.path + "/real"));
}

namespace {
std::string entry(const std::string& name, const std::string& hash, const std::string& extra = "") {
  return R"({"name":")" + name + R"(","hash":")" + hash + R"(","mode":"enforce","seccomp":{"file":")" + name +
         "-" + hash + R"(.json","sha256":")" + std::string(64, 'a') + "\"}" + extra + "}";
}
std::string manifest(const std::string& profiles, const std::string& head = "") {
  return R"({"format":"confine-k8s-bundle/1","bundle":"0123456789ab","part":1,"parts":1)" + head +
         R"(,"profiles":[)" + profiles + "]}";
}
}  // namespace

TEST(Manifest, Valid) {
  auto m =
      parse_manifest(manifest(entry("web", "0123456789ab") + "," + entry("db-2", "ba9876543210")), "b.json");
  ASSERT_TRUE(m.ok()) << m.error().message();
  ASSERT_EQ(m->profiles.size(), 2u);
  EXPECT_TRUE(m->profiles[0].error.empty()) << m->profiles[0].error;
  EXPECT_EQ(m->profiles[1].seccomp->file, "db-2-ba9876543210.json");
  EXPECT_EQ(m->parts, 1u);
}

TEST(Manifest, OneBadEntryDoesNotSpoilTheOthers) {
  auto m = parse_manifest(manifest(entry("../evil", "0123456789ab") + "," + entry("a/b", "0123456789ab") +
                                   "," + entry("web", "0123456789AB") + "," + entry("ok", "0123456789ab") +
                                   "," + entry("ok", "0123456789ab") + "," +
                                   entry("x", "0123456789ab",
                                         R"(,"apparmor":{"file":"x-0123456789ab.apparmor","sha256":")" +
                                             std::string(64, 'b') + R"(","profile":"other"})") +
                                   "," + entry("y", "0123456789ab", R"(,"unknown":1)") + ",42"),
                          "b.json");
  ASSERT_TRUE(m.ok()) << m.error().message();
  ASSERT_EQ(m->profiles.size(), 8u);
  EXPECT_NE(m->profiles[0].error.find("not a profile name"), std::string::npos) << m->profiles[0].error;
  EXPECT_NE(m->profiles[1].error.find("not a profile name"), std::string::npos);
  EXPECT_NE(m->profiles[2].error.find("12 lower-case hex"), std::string::npos);
  EXPECT_TRUE(m->profiles[3].error.empty());
  EXPECT_NE(m->profiles[4].error.find("listed twice"), std::string::npos);
  EXPECT_NE(m->profiles[5].error.find("confine-x-0123456789ab"), std::string::npos) << m->profiles[5].error;
  EXPECT_NE(m->profiles[6].error.find("unknown key"), std::string::npos);
  EXPECT_NE(m->profiles[7].error.find("must be an object"), std::string::npos);
}

TEST(Manifest, FileNameMustBeTheContentAddress) {
  std::string e =
      R"({"name":"web","hash":"0123456789ab","mode":"enforce","seccomp":{"file":"../web.json","sha256":")" +
      std::string(64, 'a') + "\"}}";
  auto m = parse_manifest(manifest(e), "b.json");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->profiles[0].error.find("is not \"web-0123456789ab.json\""), std::string::npos)
      << m->profiles[0].error;
}

TEST(Manifest, NotAManifest) {
  EXPECT_FALSE(parse_manifest("", "b.json").ok());
  EXPECT_FALSE(parse_manifest("[]", "b.json").ok());
  EXPECT_FALSE(
      parse_manifest(R"({"format":"other","bundle":"0123456789ab","part":1,"parts":1,"profiles":[]})", "b")
          .ok());
  EXPECT_FALSE(parse_manifest(manifest("", ",\"extra\":1"), "b").ok());
  EXPECT_FALSE(
      parse_manifest(
          R"({"format":"confine-k8s-bundle/1","bundle":"0123456789ab","part":3,"parts":2,"profiles":[]})",
          "b")
          .ok());
  EXPECT_FALSE(
      parse_manifest(R"({"format":"confine-k8s-bundle/1","bundle":"xyz","part":1,"parts":1,"profiles":[]})",
                     "b")
          .ok());
}

TEST(Bundle, HashesFollowTheFormat) {
  // docs/kubernetes.md: H over the digest text; the AppArmor text hashed with H as zeros.
  std::string sc = "{}";
  std::string d = "confine-k8s-profile/1\nmode enforce\nseccomp " + sha256_hex(sc) + "\n";
  EXPECT_EQ(profile_hash("enforce", sc, nullptr, nullptr), sha256_hex(d).substr(0, 12));
  EXPECT_EQ(normalise_apparmor("profile confine-web-0123456789ab {}", "0123456789ab"),
            "profile confine-web-000000000000 {}");
  ProfileEntry a, b;
  a.name = "web";
  a.hash = "0123456789ab";
  a.mode = "enforce";
  b.name = "db";
  b.hash = "ba9876543210";
  b.mode = "complain";
  std::string lines = "\"db\" \"ba9876543210\" \"complain\"\n\"web\" \"0123456789ab\" \"enforce\"\n";
  EXPECT_EQ(bundle_hash({&a, &b}), sha256_hex(lines).substr(0, 12));
  EXPECT_EQ(bundle_hash({&b, &a}), bundle_hash({&a, &b}));
}
