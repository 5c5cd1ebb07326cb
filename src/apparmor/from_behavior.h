// Generator: Behavior (src/behavior) -> AppArmor profile text model.
//   CONFINE_TRY(auto f, from_behavior(b, "myapp", &notes));
//   std::string text = format(f);   // passes apparmor_parser -Q -K
#pragma once

#include <string>
#include <vector>

#include "apparmor/apparmor.h"
#include "behavior/behavior.h"

namespace confine::apparmor {

// profile NAME flags=(attach_disconnected) { include <abstractions/base>; one
// rule per file path (r, w for write/create/unlink, mrix for executed files),
// `network FAMILY,` per socket family }. Paths are escaped to match only themselves.
Result<File> from_behavior(const behavior::Behavior& b, const std::string& name,
                           std::vector<std::string>* notes);

}  // namespace confine::apparmor
