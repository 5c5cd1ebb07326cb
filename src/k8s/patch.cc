#include "k8s/patch.h"

#include <algorithm>
#include <set>

#include "generate/generate.h"
#include "k8s/yaml.h"

namespace confine::k8s {

namespace {
using yaml::Node;

bool under(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir ||
         (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

// A value to write: a scalar (already YAML text), a mapping (keys[i]: vals[i]) or a sequence (vals).
struct Y {
  enum K { Scalar, Map, Seq } k = Scalar;
  std::string s;
  std::vector<std::string> keys;
  std::vector<Y> vals;
};
Y yscalar(std::string t) {
  Y y;
  y.s = std::move(t);
  return y;
}
Y ystr(std::string_view t) { return yscalar(yaml_quote(t)); }
Y ymap(std::vector<std::pair<std::string, Y>> v) {
  Y y;
  y.k = Y::Map;
  for (auto& [k, x] : v) {
    y.keys.push_back(k);
    y.vals.push_back(std::move(x));
  }
  return y;
}
Y yseq(std::vector<Y> v) {
  Y y;
  y.k = Y::Seq;
  y.vals = std::move(v);
  return y;
}

std::string yaml_key(const std::string& k) {
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/' || c == '-' || c == '_'))
      return yaml_quote(k);
  return k.empty() ? "\"\"" : k;
}

class Writer {
 public:
  explicit Writer(std::string nl) : nl_(std::move(nl)) {}
  // `key: value` at column `ind`; the first line's indentation left out when !pad_first.
  std::string entry(const std::string& key, const Y& v, size_t ind, bool pad_first = true) const {
    std::string o = (pad_first ? std::string(ind, ' ') : "") + yaml_key(key) + ":";
    if (v.k == Y::Scalar) return o + " " + v.s + nl_;
    if (v.vals.empty()) return o + (v.k == Y::Map ? " {}" : " []") + nl_;
    o += nl_;
    for (size_t i = 0; i < v.vals.size(); ++i)
      o += v.k == Y::Map ? entry(v.keys[i], v.vals[i], ind + 2) : item(v.vals[i], ind + 2);
    return o;
  }
  // `- value` at column `ind`.
  std::string item(const Y& v, size_t ind) const {
    std::string o = std::string(ind, ' ') + "- ";
    if (v.k == Y::Scalar) return o + v.s + nl_;
    if (v.vals.empty()) return o + (v.k == Y::Map ? "{}" : "[]") + nl_;
    if (v.k == Y::Map) {
      for (size_t i = 0; i < v.vals.size(); ++i) o += entry(v.keys[i], v.vals[i], ind + 2, i != 0);
      return o;
    }
    o += nl_;
    for (const auto& x : v.vals) o += item(x, ind + 2);
    return o;
  }
  const std::string& nl() const { return nl_; }

 private:
  std::string nl_;
};

struct Edit {
  size_t b, e;
  std::string text;
  size_t seq;
};

class Editor {
 public:
  Editor(std::string_view src, std::string_view file)
      : src_(src), file_(file), w_(src.find("\r\n") != std::string_view::npos ? "\r\n" : "\n") {}

  Status fail(const Node& n, const std::string& why) const {
    return Error::at(yaml::pos(file_, n.start), why);
  }

  // Where text goes after a node whose own text ends at `end`: the start of the next line.
  size_t after_line(size_t end) const {
    if (end > 0 && src_[end - 1] == '\n') return end;
    size_t nl = src_.find('\n', end);
    return nl == std::string_view::npos ? src_.size() : nl + 1;
  }
  void insert(size_t at, std::string text) {
    // At the end of a text without a final line break: one break before the first insertion there.
    if (at == src_.size() && !src_.empty() && src_.back() != '\n' && !eof_break_) {
      text = w_.nl() + text;
      eof_break_ = true;
    }
    edits_.push_back({at, at, std::move(text), edits_.size()});
  }
  void replace(size_t b, size_t e, std::string text) {
    edits_.push_back({b, e, std::move(text), edits_.size()});
  }

  static size_t indent_of(const Node& map) {
    return map.pairs() ? map.key(0).start.col - 1 : map.start.col - 1;
  }

  // Sets `key` in the block mapping `map` to `v` (replacing the entry when it is there).
  Status set(const Node& map, const std::string& key, const Y& v) {
    if (!map.is_map() || map.flow) return fail(map, "not a block mapping (flow style is not patched)");
    size_t ind = indent_of(map);
    for (size_t i = 0; i < map.pairs(); ++i)
      if (map.key(i).is_scalar() && map.key(i).value == key) {
        const Node& k = map.key(i);
        replace(k.start.offset, after_line(map.val(i).content_end), w_.entry(key, v, ind, false));
        return ok();
      }
    insert(after_line(map.content_end), w_.entry(key, v, ind));
    return ok();
  }
  // Appends items to the sequence at `key` of `map` (creating it when absent, empty or null).
  Status append(const Node& map, const std::string& key, const std::vector<Y>& items) {
    if (items.empty()) return ok();
    const Node* s = map.get(key);
    if (!s || (s->is_seq() && s->flow && s->items.empty()) ||
        (s->is_scalar() && s->plain && s->value.empty()))
      return set(map, key, yseq(items));
    if (!s->is_seq() || s->flow)
      return fail(*s, key + " is not a block sequence (flow style is not patched)");
    size_t ind = s->start.col - 1;
    std::string t;
    for (const auto& y : items) t += w_.item(y, ind);
    insert(after_line(s->content_end), std::move(t));
    return ok();
  }

  Result<std::string> apply() const {
    std::vector<Edit> es = edits_;
    std::sort(es.begin(), es.end(),
              [](const Edit& a, const Edit& b) { return a.b != b.b ? a.b < b.b : a.seq < b.seq; });
    std::string out;
    size_t at = 0;
    for (const auto& e : es) {
      if (e.b < at) return Error("internal: overlapping edits at byte " + std::to_string(e.b));
      out.append(src_.substr(at, e.b - at));
      out += e.text;
      at = e.e;
    }
    out.append(src_.substr(at));
    return out;
  }
  bool empty() const { return edits_.empty(); }

 private:
  std::string_view src_;
  std::string_view file_;
  Writer w_;
  std::vector<Edit> edits_;
  bool eof_break_ = false;
};

struct Ctx {
  std::string_view file;
  PatchOptions& o;
  Editor& ed;
  PatchResult& r;
  const yaml::Document& doc;
};

std::string where(const Ctx& c, const Node& n) {
  return std::string(c.file) + ":" + std::to_string(n.start.line) + ":" + std::to_string(n.start.col);
}

// The pod spec, pod metadata and the mapping holding that metadata of a workload object.
struct PodTemplate {
  const Node* spec = nullptr;
  const Node* meta = nullptr;
  const Node* holder = nullptr;  // where `metadata` is (or goes)
};

const Node* path(const Node* n, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (!n || !n->is_map()) return nullptr;
    n = n->get(k);
  }
  return n;
}

// A YAML 1.1 true, as Kubernetes (go-yaml v2 via sigs.k8s.io/yaml) reads a plain scalar.
bool yaml_true(const Node& n) {
  static const std::set<std::string> t{"true", "True", "TRUE", "yes", "Yes", "YES",
                                       "on",   "On",   "ON",   "y",   "Y"};
  return n.is_scalar() && (n.plain ? t.count(n.value) > 0 : false);
}

Status patch_pod(Ctx& c, const std::string& label, const PodTemplate& t) {
  const Node& spec = *t.spec;
  if (!spec.is_map() || spec.flow)
    return c.ed.fail(spec, label + ": the pod spec is not a block mapping (flow style is not patched)");
  std::set<std::string> volume_names;
  if (const Node* vs = spec.get("volumes"); vs && vs->is_seq())
    for (const auto& v : vs->items)
      if (const Node* n = v.get("name")) volume_names.insert(n->str());
  std::vector<Y> new_volumes;
  std::vector<std::pair<std::string, std::string>> annotations;
  unsigned next_volume = 0;
  std::set<std::string> patched_names;
  bool any = false;

  for (const char* list : {"initContainers", "containers", "ephemeralContainers"}) {
    const Node* cs = spec.get(list);
    if (!cs) continue;
    if (!cs->is_seq()) return c.ed.fail(*cs, label + ": " + list + " is not a sequence");
    for (const Node& ct : cs->items) {
      const Node* nm = ct.get("name");
      std::string cname = nm ? nm->str() : "";
      std::string cl = label + " " + list + "[" + cname + "]";
      auto it = std::find_if(c.o.profiles.begin(), c.o.profiles.end(),
                             [&](const PatchProfile& p) { return p.container == cname; });
      if (it == c.o.profiles.end()) {
        c.r.report.push_back(where(c, ct) + ": " + cl + ": no profile given: left unchanged");
        continue;
      }
      PatchProfile& p = *it;
      if (!patched_names.insert(cname).second)
        return c.ed.fail(ct, cl + ": a second container named " + cname + " in this pod (names are unique)");
      if (c.doc.has_anchors)
        return c.ed.fail(ct,
                         cl + ": the document uses YAML anchors, aliases or merge keys; patching one place "
                              "would change the others: not patched (expand them first)");
      if (!ct.is_map() || ct.flow)
        return c.ed.fail(ct, cl + ": not a block mapping (flow style is not patched)");
      const Node* sc = ct.get("securityContext");
      if (sc && sc->is_map())
        if (const Node* pr = sc->get("privileged"); pr && yaml_true(*pr))
          return c.ed.fail(*pr, cl + ": privileged: true (a privileged container runs without seccomp and "
                                     "AppArmor confinement; remove it first)");
      const behavior::Behavior& b = *p.behavior;
      std::vector<std::pair<std::string, Y>> fields;
      fields.emplace_back("seccompProfile", ymap({{"type", yscalar("Localhost")},
                                                  {"localhostProfile", ystr(p.files.localhost_seccomp())}}));
      std::string aa_note;
      if (p.files.apparmor) {
        if (c.o.k8s_minor >= 30) {
          fields.emplace_back(
              "appArmorProfile",
              ymap({{"type", yscalar("Localhost")}, {"localhostProfile", ystr(p.files.apparmor_profile())}}));
          aa_note = ", appArmorProfile " + p.files.apparmor_profile();
          // From 1.30 the API rejects a pod whose annotation for the container disagrees with the field.
          std::string ak = "container.apparmor.security.beta.kubernetes.io/" + cname;
          if (t.meta && path(t.meta, {"annotations", ak.c_str()})) {
            annotations.emplace_back(ak, "localhost/" + p.files.apparmor_profile());
            aa_note += " (and its annotation, which was there)";
          }
        } else if (std::string_view(list) == "ephemeralContainers") {
          aa_note = ", no AppArmor (ephemeral containers have no annotation before 1.30)";
        } else {
          annotations.emplace_back("container.apparmor.security.beta.kubernetes.io/" + cname,
                                   "localhost/" + p.files.apparmor_profile());
          aa_note = ", AppArmor annotation localhost/" + p.files.apparmor_profile();
        }
      }
      auto caps = generate::inferred_caps(b);
      std::vector<std::pair<std::string, Y>> capm{{"drop", yseq({ystr("ALL")})}};
      std::string caps_note = "drop ALL";
      if (!caps.empty()) {
        std::vector<Y> add;
        for (const auto& cap : caps) {
          add.push_back(ystr(cap.first));
          caps_note += (add.size() == 1 ? " add " : ",") + cap.first;
        }
        capm.emplace_back("add", yseq(std::move(add)));
      }
      fields.emplace_back("capabilities", ymap(std::move(capm)));
      fields.emplace_back("allowPrivilegeEscalation", yscalar("false"));

      // readOnlyRootFilesystem: only when every directory it wrote can be an emptyDir.
      WritableDirs wd = emptydir_candidates(b);
      std::vector<std::string> mounts;
      if (const Node* vm = ct.get("volumeMounts"); vm && vm->is_seq())
        for (const auto& m : vm->items)
          if (const Node* mp = m.get("mountPath")) mounts.push_back(mp->str());
      std::string rofs_note;
      std::vector<Y> new_mounts;
      if (!wd.blocked.empty()) {
        rofs_note = ", root file system left writable: it wrote in " + wd.blocked[0].first + " and used " +
                    wd.blocked[0].second + " there without creating it (an emptyDir would hide it)";
      } else if (b.files_truncated || b.partial) {
        rofs_note = ", root file system left writable: the recording is partial or its file list truncated";
      } else {
        fields.emplace_back("readOnlyRootFilesystem", yscalar("true"));
        std::string dirs;
        for (const auto& d : wd.empty_dirs) {
          if (std::any_of(mounts.begin(), mounts.end(), [&](const std::string& m) { return under(d, m); }))
            continue;  // already on a volume of the manifest
          std::string vn;
          do vn = "confine-rw-" + std::to_string(next_volume++);
          while (volume_names.count(vn));
          volume_names.insert(vn);
          new_volumes.push_back(ymap({{"name", ystr(vn)}, {"emptyDir", ymap({})}}));
          new_mounts.push_back(ymap({{"name", ystr(vn)}, {"mountPath", ystr(d)}}));
          dirs += (dirs.empty() ? "" : ",") + d;
        }
        rofs_note = ", readOnlyRootFilesystem" + (dirs.empty() ? "" : " with emptyDir " + dirs);
        if (std::string_view(list) == "ephemeralContainers" && !new_mounts.empty())
          return c.ed.fail(ct, cl + ": an ephemeral container cannot get new volumes; not patched");
      }
      // securityContext first: the mounts may go to the same place (the container's end).
      auto empty = [](const Node* n) {
        return (n->is_map() && n->flow && n->items.empty()) ||
               (n->is_scalar() && n->plain && n->value.empty());
      };
      if (!sc || empty(sc)) {
        CONFINE_CHECK(c.ed.set(ct, "securityContext", ymap(fields)));
      } else if (sc->is_map() && !sc->flow) {
        for (const auto& [k, v] : fields) CONFINE_CHECK(c.ed.set(*sc, k, v));
      } else {
        return c.ed.fail(*sc, cl + ": securityContext is not a block mapping (flow style is not patched)");
      }
      CONFINE_CHECK(c.ed.append(ct, "volumeMounts", new_mounts));
      p.used = true;
      any = true;
      ++c.r.patched_containers;
      c.r.report.push_back(where(c, ct) + ": " + cl + ": seccomp " + p.files.localhost_seccomp() + aa_note +
                           ", capabilities " + caps_note + ", allowPrivilegeEscalation false" + rofs_note +
                           "; runAsNonRoot not set (the recording does not say which user it ran as)");
    }
  }
  if (!any) return ok();
  CONFINE_CHECK(c.ed.append(spec, "volumes", new_volumes));
  if (!c.o.runtime_class.empty()) {
    const Node* rc = spec.get("runtimeClassName");
    if (rc && rc->str() != c.o.runtime_class)
      c.r.report.push_back(where(c, *rc) + ": " + label + ": runtimeClassName " + rc->str() +
                           " replaced by " + c.o.runtime_class);
    CONFINE_CHECK(c.ed.set(spec, "runtimeClassName", ystr(c.o.runtime_class)));
  }
  if (!annotations.empty()) {
    std::vector<std::pair<std::string, Y>> an;
    for (const auto& [k, v] : annotations) an.emplace_back(k, ystr(v));
    if (!t.meta) {
      CONFINE_CHECK(c.ed.set(*t.holder, "metadata", ymap({{"annotations", ymap(an)}})));
    } else {
      const Node* a = t.meta->get("annotations");
      if (!a || (a->is_map() && a->flow && a->items.empty()) ||
          (a->is_scalar() && a->plain && a->value.empty())) {
        CONFINE_CHECK(c.ed.set(*t.meta, "annotations", ymap(an)));
      } else {
        if (!a->is_map() || a->flow) return c.ed.fail(*a, label + ": annotations is not a block mapping");
        for (const auto& [k, v] : an) CONFINE_CHECK(c.ed.set(*a, k, v));
      }
    }
  }
  return ok();
}

const std::set<std::string>& template_kinds() {
  static const std::set<std::string> k{"Deployment", "StatefulSet", "DaemonSet",
                                       "ReplicaSet", "Job",         "ReplicationController"};
  return k;
}

Status patch_object(Ctx& c, const Node& obj, unsigned depth) {
  if (!obj.is_map()) {
    c.r.report.push_back(where(c, obj) + ": not a Kubernetes object (not a mapping): left unchanged");
    return ok();
  }
  std::string kind = obj.get("kind") ? obj.get("kind")->str() : "";
  const Node* name = path(&obj, {"metadata", "name"});
  std::string label = kind + "/" + (name ? name->str() : "?");
  if (kind == "List" || (kind.size() > 4 && kind.ends_with("List"))) {
    const Node* items = obj.get("items");
    if (!items || !items->is_seq() || depth > 2) {
      c.r.report.push_back(where(c, obj) + ": " + kind + " without an items sequence: left unchanged");
      return ok();
    }
    for (const auto& i : items->items) CONFINE_CHECK(patch_object(c, i, depth + 1));
    return ok();
  }
  PodTemplate t;
  if (kind == "Pod") {
    t = {obj.get("spec"), obj.get("metadata"), &obj};
  } else if (template_kinds().count(kind)) {
    const Node* tpl = path(&obj, {"spec", "template"});
    t = {path(tpl, {"spec"}), path(tpl, {"metadata"}), tpl};
  } else if (kind == "CronJob") {
    const Node* tpl = path(&obj, {"spec", "jobTemplate", "spec", "template"});
    t = {path(tpl, {"spec"}), path(tpl, {"metadata"}), tpl};
  } else {
    c.r.report.push_back(where(c, obj) + ": " + label + ": kind " + (kind.empty() ? "(none)" : kind) +
                         " is not a workload patch knows: left unchanged");
    return ok();
  }
  if (!t.spec || !t.spec->is_map() || (t.meta && !t.meta->is_map())) {
    c.r.report.push_back(where(c, obj) + ": " + label + ": no pod template spec: left unchanged");
    return ok();
  }
  return patch_pod(c, label, t);
}
}  // namespace

std::string yaml_quote(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string o = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      o += '\\';
      o += ch;
    } else if (c < 0x20 || c == 0x7f) {
      o += "\\x";
      o += hex[c >> 4];
      o += hex[c & 15];
    } else {
      o += ch;
    }
  }
  return o + "\"";
}

Result<unsigned> parse_k8s_minor(std::string_view v) {
  std::string_view s = v;
  if (!s.empty() && s[0] == 'v') s.remove_prefix(1);
  if (s.size() < 3 || s.substr(0, 2) != "1.")
    return Error("Kubernetes version \"" + std::string(v) + "\" is not 1.MINOR");
  s.remove_prefix(2);
  unsigned m = 0;
  size_t i = 0;
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i < 3; ++i)
    m = m * 10 + (s[i] - '0');
  if (i == 0 || (i < s.size() && s[i] != '.'))
    return Error("Kubernetes version \"" + std::string(v) + "\" is not 1.MINOR[.PATCH]");
  return m;
}

WritableDirs emptydir_candidates(const behavior::Behavior& b) {
  WritableDirs w;
  for (const auto& d : generate::writable_dirs(b)) {
    // Anything under d it used without creating it was there before: an emptyDir would hide it
    // (read, run, written without O_CREAT, or removed).
    std::string read = d == "/" ? "/ itself" : "";
    for (const auto& [path, acc] : b.files) {
      if (!read.empty()) break;
      if (path == d || !under(path, d)) continue;
      if (!(acc & behavior::kCreate)) read = path;
    }
    if (read.empty())
      w.empty_dirs.push_back(d);
    else
      w.blocked.emplace_back(d, read);
  }
  return w;
}

Result<PatchResult> patch_manifest(std::string_view text, std::string_view file, PatchOptions& o) {
  CONFINE_TRY(auto docs, yaml::parse(text, file));
  // YAML also breaks lines at a lone CR, NEL, LS and PS; the edits place text by '\n' lines.
  uint32_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(text[i]);
    if (ch == '\n') ++line;
    bool odd = (ch == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) ||
               (ch == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x85) ||
               (ch == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
                (static_cast<unsigned char>(text[i + 2]) == 0xA8 ||
                 static_cast<unsigned char>(text[i + 2]) == 0xA9));
    if (odd)
      return Error::at({std::string(file), line, 0},
                       "a line break other than LF or CRLF (lone CR, NEL, LS or PS): not patched");
  }
  Editor ed(text, file);
  PatchResult r;
  for (const auto& d : docs) {
    if (d.empty) continue;
    Ctx c{file, o, ed, r, d};
    CONFINE_CHECK(patch_object(c, d.root, 0));
  }
  CONFINE_TRY(r.text, ed.apply());
  // Fail closed: what we write must parse, as the same number of documents.
  auto again = yaml::parse(r.text, std::string(file) + " (patched)");
  if (!again.ok()) return std::move(again).error().context("internal: the patched manifest does not parse");
  if (again->size() != docs.size())
    return Error("internal: the patched manifest has a different document count");
  return r;
}

}  // namespace confine::k8s
