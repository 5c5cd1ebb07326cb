// Shared by `confine record` and `confine harden` (src/cli/record.cc, harden.cc).
#pragma once

#include <string>

#include "behavior/behavior.h"
#include "cli/args.h"
#include "generate/generate.h"
#include "record/recorder.h"

namespace confine::cli {

struct RecordSetup {
  std::string dir;
  generate::SeccompOptions gen;
  record::RecordOptions rec;
};

// Reads -o/--args/--errno/--pin/--no-pin/--main-only and the command; creates
// and checks the output directory.
Result<RecordSetup> record_setup(const Args& a);
// DIR/behavior.json, DIR/seccomp.json, DIR/securityContext.yaml.
Status write_outputs(const std::string& dir, const behavior::Behavior& b, const generate::SeccompOptions& g);

}  // namespace confine::cli
