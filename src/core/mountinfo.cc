#include "core/mountinfo.h"

#include <sstream>

namespace confine::mountinfo {

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      bool octal = true;
      int v = 0;
      for (size_t j = 1; j <= 3; ++j) {
        if (s[i + j] < '0' || s[i + j] > '7') octal = false;
        v = v * 8 + (s[i + j] - '0');
      }
      if (octal) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::vector<Mount> parse(std::string_view text) {
  std::vector<Mount> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream head(line.substr(0, dash)), tail(line.substr(dash + 3));
    std::string id, parent, dev, root, mp, opts, fstype;
    if (!(head >> id >> parent >> dev >> root >> mp >> opts) || !(tail >> fstype)) continue;
    out.push_back(Mount{unescape(root), unescape(mp), std::move(opts), std::move(fstype)});
  }
  return out;
}

}  // namespace confine::mountinfo
