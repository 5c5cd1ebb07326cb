#include "sandbox/nnp.h"

#include <sys/prctl.h>

#include <cerrno>

namespace confine::sandbox {

Status apply_nnp(const NnpConfig& c) {
  if (!c.no_new_privs) return ok();
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Error::sys("prctl(PR_SET_NO_NEW_PRIVS, 1)", errno);
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
    return Error("prctl(PR_GET_NO_NEW_PRIVS): not set after setting it");
  return ok();
}

std::string describe(const NnpConfig& c) {
  return c.no_new_privs ? "on (setuid/file capabilities cannot raise privileges)"
                        : "OFF (--allow-privilege-escalation)";
}

}  // namespace confine::sandbox
