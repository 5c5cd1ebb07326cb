// Namespaces facet: which namespaces are new (clone flags), and the setup
// done inside them (loopback up in a new net namespace, hostname in a new uts).
#pragma once

#include <string>

#include "core/error.h"
#include "sandbox/config.h"

namespace confine::sandbox {

int clone_flags(const NamespaceConfig& c);  // CLONE_NEW* for the first child
std::string clone_flags_str(int flags);     // "CLONE_NEWUSER|CLONE_NEWPID|..."
// Parses "pid,net,..." (also "all"); error names the unknown namespace.
Status set_namespaces(NamespaceConfig& c, std::string_view list, bool value);
// Inside the new namespaces: bring loopback up (net), set the hostname (uts).
Status setup_namespaces(const NamespaceConfig& c);
Status loopback_up();
std::string describe(const NamespaceConfig& c);

}  // namespace confine::sandbox
