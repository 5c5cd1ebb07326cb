#include "cli/seccomp_profile_args.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "cli/verbs.h"
#include "core/capabilities.h"
#include "json/json.h"

namespace confine::cli {

Result<std::string> profile_path(const std::string& arg) {
  if (arg.empty()) return Error("empty PROFILE argument");
  // Bundled profiles are compiled in: seccomp::load_profile reads them by name.
  return arg;
}

Result<std::string> profile_output_text(const std::string& path, const std::string& formatted) {
  std::string out = formatted;
  if (path == "-") return out;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    CONFINE_TRY(std::string text, file::read_file(path, file::kMaxProfileBytes));
    if (auto doc = json::parse(text, path); doc.ok()) {  // not JSON: replaced, as asked
      if (json::Value* slot = seccomp::oci_seccomp_slot(*doc)) {
        CONFINE_TRY(json::Value prof, json::parse(formatted, "<formatted profile>"));
        *slot = std::move(prof);
        out = json::write(*doc) + "\n";
      }
    }
  }
  return out;
}

Status write_profile_output(const std::string& path, const std::string& formatted) {
  CONFINE_TRY(std::string out, profile_output_text(path, formatted));
  return file::write_output(path, out);
}

Result<seccomp::Profile> load_profile_arg(const std::string& arg, std::vector<seccomp::Warning>* warnings) {
  CONFINE_TRY(std::string path, profile_path(arg));
  return seccomp::load_profile(path, warnings);
}

Result<seccomp::ResolveContext> resolve_context(const Args& a) {
  seccomp::ResolveContext c;
  if (auto v = a.get("arch")) {
    std::vector<Arch> list;
    size_t start = 0;
    while (start <= v->size()) {
      size_t end = v->find(',', start);
      if (end == std::string::npos) end = v->size();
      std::string n = v->substr(start, end - start);
      auto arch = arch_from_name(n);
      if (!arch) {
        std::string known;
        for (const auto& i : all_arches()) known += (known.empty() ? "" : ", ") + std::string(i.name);
        return Error("unknown architecture \"" + n + "\" (known: " + known + ")");
      }
      if (std::find(list.begin(), list.end(), *arch) == list.end()) list.push_back(*arch);
      start = end + 1;
    }
    c.arch = list[0];
    if (v->find(',') != std::string::npos) c.arches = list;
  }
  if (auto v = a.get("caps")) {
    std::string s = *v;
    for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (s == "DEFAULT") {  // what `confine run` keeps by default (core/capabilities.h)
      c.caps = default_capability_set();
    } else if (s == "ALL") {
      for (size_t i = 0; i < capability_table().size(); ++i)
        c.caps.insert(capability_name(static_cast<int>(i)));
    } else if (s != "NONE" && !s.empty()) {
      size_t start = 0;
      while (start <= s.size()) {
        size_t end = s.find(',', start);
        if (end == std::string::npos) end = s.size();
        std::string n = s.substr(start, end - start);
        if (!n.starts_with("CAP_")) n = "CAP_" + n;
        if (!capability_from_name(n))
          return Error("unknown capability \"" + s.substr(start, end - start) + "\" in --caps");
        c.caps.insert(n);
        start = end + 1;
      }
    }
  }
  if (auto v = a.get("kernel")) {
    auto k = seccomp::KernelVersion::parse(*v);
    if (!k) return Error("invalid --kernel \"" + *v + "\" (expected X.Y, e.g. 5.15)");
    c.kernel = k;
  }
  return c;
}

std::string describe_context(const seccomp::ResolveContext& c) {
  std::string s = "arch " + std::string(arch_info(c.arch.value_or(native_arch())).name);
  s += ", kernel " + c.kernel.value_or(seccomp::running_kernel()).str();
  s += ", caps: ";
  if (c.caps.empty()) return s + "none";
  if (c.caps.size() == capability_table().size()) return s + "all";
  bool first = true;
  for (const auto& cap : c.caps) {
    s += (first ? "" : ",") + cap;
    first = false;
  }
  return s;
}

Result<seccomp::CompileOptions> compat_options(const Args& a, seccomp::CompileOptions base) {
  if (auto c = a.get("compat")) {
    if (*c != "libseccomp") return Error("--compat: expected libseccomp, not \"" + *c + "\"");
    base.libseccomp_compat = true;
  }
  return base;
}

}  // namespace confine::cli
