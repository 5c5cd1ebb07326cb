#include "core/embedded.h"

namespace confine {

namespace {
struct EmbeddedFile {
  std::string_view name, bytes;
};
#include "embedded_files.inc"
}  // namespace

std::optional<std::string_view> embedded_file(std::string_view name) {
  for (const auto& f : kEmbeddedFiles)
    if (f.name == name) return f.bytes;
  return std::nullopt;
}

}  // namespace confine
