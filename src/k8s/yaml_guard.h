// Owners of libyaml's parser and event (deleted on scope exit), for the readers that drive
// libyaml directly (k8s/yaml.cc's tree, k8s/scan.cc's events-to-JSON). Internal: includes <yaml.h>.
#pragma once

#include <yaml.h>

namespace confine::k8s::yaml {

struct ParserGuard {
  yaml_parser_t p;
  bool init = false;
  ~ParserGuard() {
    if (init) yaml_parser_delete(&p);
  }
};

struct EventGuard {
  yaml_event_t e;
  bool set = false;
  ~EventGuard() {
    if (set) yaml_event_delete(&e);
  }
};

}  // namespace confine::k8s::yaml
