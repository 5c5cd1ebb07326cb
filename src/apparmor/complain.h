// AppArmor complain mode for `confine run` without the AppArmor LSM: the
// sandbox's supervisor (pid 1) gets the file syscalls (sandbox::FileObserveConfig),
// this decodes them (record::decode, paths resolved in the task's view,
// symlinks followed as the kernel would), maps them to AppArmor permissions as
// the LSM does (open flags -> r/w/a + create, unlink/rmdir -> delete (w),
// rename -> rw on the source and w on the target, link -> l, exec -> x, ...),
// evaluates them with apparmor::Evaluator and returns one supervise::Event
// (kind AppArmor; its JSON line is described in supervise/event.h) per access the
// profile would deny.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "apparmor/apparmor.h"
#include "apparmor/landlock.h"
#include "core/error.h"
#include "sandbox/config.h"
#include "supervise/event.h"

namespace confine::apparmor {

// The file syscalls observed (open, openat, openat2, creat, execve, execveat,
// mkdir(at), mknod(at), unlink(at), rmdir, rename(at,at2), link(at),
// symlink(at), truncate(64), bind and connect (unix socket paths)).
const std::vector<std::string>& observed_file_syscalls();

// The observer for profile p (evaluator built here, in the parent). With `landlock` (the
// profile's translation, to_landlock), an access the profile allows but the
// translation would deny (what `confine run` enforces without the AppArmor LSM) is
// reported too, as {"kind":"apparmor","enforcer":"landlock",...,"landlock":"make_sock"}.
Result<sandbox::FileObserveConfig> complain_observer(const Resolved& r, const Profile& p,
                                                     std::vector<std::string>* notes,
                                                     std::optional<Translation> landlock = {});

// Collects apparmor lines for the end-of-run summary.
class ComplainSummary {
 public:
  void add(const supervise::Event& e);  // ignores non-apparmor events
  // "N access(es) the profile would deny: /tmp/f (w), ..."
  std::string str() const;
  size_t events() const { return events_; }

 private:
  size_t events_ = 0;
  std::map<std::string, std::string> denied_;  // path -> letters
  std::vector<std::string> order_;
};

}  // namespace confine::apparmor
