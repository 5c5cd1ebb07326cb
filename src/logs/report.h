// Rendering of parsed events: one-line text form, JSON objects, and the whole
// report (events + summary + stats) as text or JSON (schema in docs/logs.md).
#pragma once

#include <string>
#include <vector>

#include "logs/json_out.h"
#include "logs/logs.h"

namespace confine::logs {

std::string event_line(const Event& e);       // "seccomp x86_64 mkdir(83) KILL_PROCESS pid=.. comm=.."
void event_json(JsonOut& j, const Event& e);  // one event object
std::string report_text(const std::vector<Event>& events, const Stats& stats, bool list_events = true);
std::string report_json(const std::vector<Event>& events, const Stats& stats);

}  // namespace confine::logs
