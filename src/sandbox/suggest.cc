#include "sandbox/suggest.h"

#include "core/file.h"
#include "json/json.h"
#include "seccomp/profile.h"

namespace confine::sandbox {

Status write_suggestion(const std::string& profile_path, const std::vector<std::string>& syscalls,
                        const std::string& out_path) {
  CONFINE_TRY(std::string source, seccomp::read_profile_text(profile_path));
  CONFINE_TRY(json::Value doc, json::parse(source, profile_path));
  // OCI config.json / linux.seccomp wrappers: edit the seccomp object itself.
  json::Value* target = seccomp::oci_seccomp_slot(doc);
  if (!target) target = &doc;
  if (!target->is(json::Type::Object)) return Error(profile_path + ": not a JSON object");
  json::Value* list = nullptr;
  for (auto& m : target->members)
    if (m.key == "syscalls") list = &m.value;
  if (!list) list = &target->add("syscalls", json::Value::make_array());
  if (!list->is(json::Type::Array)) return Error(profile_path + ": \"syscalls\" is not an array");
  if (!syscalls.empty()) {
    json::Value rule = json::Value::make_object();
    json::Value names = json::Value::make_array();
    for (const auto& s : syscalls) names.push(json::Value::make_string(s));
    rule.add("names", std::move(names));
    rule.add("action", json::Value::make_string("SCMP_ACT_ALLOW"));
    rule.add("comment", json::Value::make_string("added by confine run --mode complain --suggest"));
    list->push(std::move(rule));
  }
  std::string text = json::write(doc) + "\n";
  // Written after the workload ran, next to files it may have planted: the
  // safe writer (O_EXCL|O_NOFOLLOW temp by directory fd, rename, mode kept).
  return file::write_file_atomic(out_path, text);
}

}  // namespace confine::sandbox
