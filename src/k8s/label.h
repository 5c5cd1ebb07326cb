// The agent's one API write: the confine.dev/ labels of its own node (docs/kubernetes.md
// "Node labels"). HTTPS through Debian's curl (a complete client, run like apparmor_parser; in
// the agent's image): GET the node, then a JSON merge patch that sets the labels the agent
// computed and removes the node's other confine.dev/bundle-* labels. The service-account token
// goes to curl on its standard input (`-K -`), never on a command line.
#pragma once

#include <string>

#include "core/error.h"
#include "json/json.h"

namespace confine::k8s {

struct LabelTarget {
  std::string node;         // --node (the DaemonSet passes $(NODE_NAME))
  std::string server;       // https://HOST:PORT ("" = from KUBERNETES_SERVICE_HOST/PORT)
  std::string credentials;  // the directory holding token and ca.crt
  std::string curl;         // "" = search PATH, /usr/bin, /bin
};

inline constexpr const char* kDefaultCredentials = "/var/run/secrets/kubernetes.io/serviceaccount";

// The merge patch for a node whose labels are `current`: `want`, plus null for every
// confine.dev/bundle-* key of `current` that `want` does not have. Empty when nothing changes.
std::string label_patch(const json::Value& current, const json::Value& want);

// GET + PATCH. Returns what was done ("patched: ..." or "unchanged").
Result<std::string> publish_labels(const LabelTarget& t, const json::Value& want);

}  // namespace confine::k8s
