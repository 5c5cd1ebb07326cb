// Falco's rules-file format, loaded and compiled for the watch engine (docs/watch.md).
//
// A rules file is a YAML sequence of items: `- rule:`, `- macro:`, `- list:`,
// `- required_engine_version:` (and `required_plugin_versions`, accepted and ignored).
// Rules: rule, desc, condition, output, priority, enabled, tags, exceptions, source
// (rules of another source than syscall are skipped with a note), and the ways to change an
// earlier definition: `override: {condition|output|desc|priority|tags|exceptions|enabled:
// append|replace}` and the legacy `append: true` (appends to condition and exceptions).
// Lists and macros take `append: true` and `override: {items|condition: append|replace}`.
// Several files load in order into one rule set; names resolve after the last one.
// Every error is "file:line:col: what".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "watch/event.h"
#include "watch/filter.h"

namespace confine::watch {

// The Falco rules-format features this engine implements (required_engine_version checks).
inline constexpr std::string_view kEngineVersion = "0.31.0";

enum class Priority : uint8_t { Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug };
std::string_view priority_name(Priority p);  // "Warning", ... (Falco's spelling in outputs)

struct Rule {
  std::string name, desc, output, source = "syscall";
  Priority priority = Priority::Warning;
  bool enabled = true;
  std::vector<std::string> tags;
  SourcePos pos;
  // compiled
  Node cond;
  OutputFormat out;
  TypeSet types;
};

struct Alert {
  const Rule* rule = nullptr;
  std::string output;  // rendered
};

class RuleSet {
 public:
  // Loads one rules document (call in order for several files), then compile().
  Status load(std::string_view text, std::string_view file);
  // Resolves lists, macros, exceptions and overrides; compiles every enabled rule.
  Status compile();

  const std::vector<std::unique_ptr<Rule>>& rules() const { return rules_; }
  const std::vector<std::string>& notes() const { return notes_; }

  // Every enabled rule whose condition holds on e, in file order.
  template <class F>
  void match(const Event& e, F&& on_match) const {
    auto run = [&](const std::vector<const Rule*>& v) {
      for (const Rule* r : v)
        if (eval(r->cond, e)) on_match(*r);
    };
    if (!e.type.empty()) {
      auto it = by_type_.find(e.type);
      if (it != by_type_.end()) run(it->second);
    }
    run(any_type_);
  }
  // Whether some rule may match a syscall of this name (sources decode only those).
  bool interested(std::string_view type) const { return !any_type_.empty() || by_type_.count(type) > 0; }
  bool interested_in_all() const { return !any_type_.empty(); }

  // Source definitions (after load, before compile); public for the tests.
  struct Src {
    std::string text;
    std::string file;
    // where each byte of text came from: (line, col) per byte
    std::vector<std::pair<uint32_t, uint32_t>> pos;
    PosMap map() const;
    void append(const Src& o);  // text + " " + o.text
  };
  struct ExceptionDef {
    std::string name;
    std::vector<std::string> fields, comps;
    bool single_field = false;
    // one tuple per exception case; a tuple item is a value or a list of values
    struct Item {
      std::vector<std::string> vals;
      bool is_list = false;
    };
    std::vector<std::vector<Item>> values;
    SourcePos pos;
  };
  struct RuleDef {
    std::string name, desc, output, source = "syscall";
    Priority priority = Priority::Warning;
    bool enabled = true, has_output = false, has_condition = false;
    std::vector<std::string> tags;
    std::vector<Src> cond;  // the condition and appended parts
    Src out;
    std::vector<ExceptionDef> exceptions;
    SourcePos pos;
  };

 private:
  struct MacroSrc {
    std::vector<Src> parts;
    SourcePos pos;
  };
  std::vector<std::string> list_order_;
  std::map<std::string, std::vector<std::string>> lists_;
  std::map<std::string, MacroSrc> macros_;
  std::vector<RuleDef> defs_;
  std::map<std::string, size_t> def_index_;
  std::vector<std::unique_ptr<Rule>> rules_;
  std::map<std::string, std::vector<const Rule*>, std::less<>> by_type_;
  std::vector<const Rule*> any_type_;
  std::vector<std::string> notes_;
  std::vector<std::unique_ptr<std::string>> joined_;  // macro texts referenced by MacroDef
};

// The stock rules (rules/confine_rules.yaml, embedded).
std::string_view stock_rules();

// Output of one alert.
struct AlertOutput {
  std::string hostname;
};
// "2026-12-07T05:30:00.123456789Z: Warning <output>" (text) or one JSON object per line in
// the shape falcosidekick reads: output, priority, rule, time, output_fields, tags, source, hostname.
std::string format_alert_text(const Rule& r, const Event& e);
std::string format_alert_json(const Rule& r, const Event& e, const std::string& hostname);

}  // namespace confine::watch
