#include "sandbox/suggest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "json/json.h"

namespace confine::sandbox {

Status write_suggestion(const std::string& profile_path, const std::vector<std::string>& syscalls,
                        const std::string& out_path) {
  CONFINE_TRY(json::Value doc, json::parse_file(profile_path));
  // OCI config.json / linux.seccomp wrappers: edit the seccomp object itself.
  json::Value* target = &doc;
  for (auto& m : doc.members)
    if (m.key == "linux")
      for (auto& n : m.value.members)
        if (n.key == "seccomp") target = &n.value;
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
  std::string tmp = out_path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error::sys("open(\"" + tmp + "\", O_WRONLY|O_CREAT|O_TRUNC)", errno);
  bool okw = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int e = errno;
  close(fd);
  if (!okw) return Error::sys("write(\"" + tmp + "\")", e);
  if (rename(tmp.c_str(), out_path.c_str()) != 0)
    return Error::sys("rename(\"" + tmp + "\", \"" + out_path + "\")", errno);
  return ok();
}

}  // namespace confine::sandbox
