#include "k8s/label.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "core/file.h"
#include "k8s/bundle.h"
#include "k8s/runtime.h"

namespace confine::k8s {

namespace {
using json::Type;
using json::Value;

std::string find_curl(const LabelTarget& t) {
  return t.curl.empty() ? find_program("curl", "/usr/bin:/bin") : t.curl;
}

// Runs argv with `input` on its standard input; the exit status and (bounded) standard output.
std::pair<int, std::string> run_with_input(const std::vector<std::string>& argv, const std::string& input) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return {-1, Error::sys("pipe2", errno).message()};
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return {-1, Error::sys("pipe2", errno).message()};
  }
  pid_t pid = fork();
  if (pid < 0) return {-1, Error::sys("fork", errno).message()};
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  // The input is a few hundred bytes: far below the pipe's buffer, so this cannot block on curl.
  size_t off = 0;
  while (off < input.size()) {
    ssize_t n = write(in[1], input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  close(in[1]);
  std::string o;
  char buf[4096];
  for (;;) {
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (o.size() < (1u << 20)) o.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), o};
}

bool token_chars(const std::string& t) {
  if (t.empty()) return false;
  for (char c : t)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return false;
  return true;
}

// A DNS subdomain (a node name).
bool node_name_ok(const std::string& n) {
  if (n.empty() || n.size() > 253) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  return true;
}
}  // namespace

std::string label_patch(const Value& current, const Value& want) {
  Value labels = Value::make_object();
  bool change = false;
  for (const auto& m : want.members) {
    const Value* c = current.find(m.key);
    if (!c || !c->is(Type::String) || c->text != m.value.text) change = true;
    labels.add(m.key, m.value);
  }
  for (const auto& m : current.members)
    if (m.key.rfind("confine.dev/bundle-", 0) == 0 && !want.find(m.key)) {
      labels.add(m.key, Value::make_null());
      change = true;
    }
  if (!change) return "";
  Value meta = Value::make_object();
  meta.add("labels", std::move(labels));
  Value p = Value::make_object();
  p.add("metadata", std::move(meta));
  return json::write(p, {0, false, 0});
}

Result<std::string> publish_labels(const LabelTarget& t, const Value& want) {
  if (!node_name_ok(t.node)) return Error("--node " + json::quote(t.node) + " is not a node name");
  std::string server = t.server;
  if (server.empty()) {
    const char* h = getenv("KUBERNETES_SERVICE_HOST");
    const char* p = getenv("KUBERNETES_SERVICE_PORT");
    if (!h || !*h || !p || !*p)
      return Error("no API server: KUBERNETES_SERVICE_HOST/PORT unset and no --api-server");
    std::string host = h;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6
    server = "https://" + host + ":" + p;
  }
  if (server.rfind("https://", 0) != 0) return Error("--api-server " + server + ": only https://");
  std::string curl = find_curl(t);
  if (curl.empty()) return Error("curl not found (PATH, /usr/bin, /bin): the agent's image has it");
  // Re-read on every call: the projected token rotates.
  CONFINE_TRY(std::string token, file::read_file(t.credentials + "/token", 64 * 1024));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (!token_chars(token)) return Error(t.credentials + "/token: not a bearer token");
  std::string ca = t.credentials + "/ca.crt";
  if (access(ca.c_str(), R_OK) != 0) return Error::sys(ca, errno);
  std::string url = server + "/api/v1/nodes/" + t.node;
  std::string config = "header = \"Authorization: Bearer " + token + "\"\n";
  std::vector<std::string> base = {curl,
                                   "-sS",
                                   "--fail-with-body",
                                   "--connect-timeout",
                                   "5",
                                   "--max-time",
                                   "20",
                                   "--cacert",
                                   ca,
                                   "--proto",
                                   "=https",
                                   "-K",
                                   "-",
                                   "-H",
                                   "Accept: application/json"};
  auto get = base;
  get.push_back(url);
  auto [grc, gout] = run_with_input(get, config);
  if (grc != 0)
    return Error("GET " + url + ": curl exit " + std::to_string(grc) + ": " + gout.substr(0, 400));
  auto node = json::parse(gout, "GET " + url);
  if (!node.ok()) return node.error();
  Value current = Value::make_object();
  if (const Value* m = node->find("metadata"))
    if (const Value* l = m->find("labels"); l && l->is(Type::Object)) current = *l;
  std::string patch = label_patch(current, want);
  if (patch.empty()) return std::string("unchanged");
  auto p = base;
  for (const char* a : {"-X", "PATCH", "-H", "Content-Type: application/merge-patch+json", "--data-binary"})
    p.push_back(a);
  p.push_back(patch);
  p.push_back(url);
  auto [prc, pout] = run_with_input(p, config);
  if (prc != 0)
    return Error("PATCH " + url + ": curl exit " + std::to_string(prc) + ": " + pout.substr(0, 400));
  return "patched: " + patch;
}

}  // namespace confine::k8s
