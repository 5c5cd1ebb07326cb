// SHA-256 (FIPS 180-4), for the content addresses of Kubernetes bundles.
#pragma once

#include <string>
#include <string_view>

namespace confine::k8s {

// Lower-case hex digest (64 characters).
std::string sha256_hex(std::string_view data);

}  // namespace confine::k8s
