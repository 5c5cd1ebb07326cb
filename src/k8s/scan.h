// `confine k8s scan`: input loading, one scan over every object, and the output formats
// (table, json, kubesec, sarif, policyreport). The rules are in rules.h.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "json/json.h"
#include "k8s/rules.h"
#include "k8s/yaml.h"

namespace confine::k8s::scan {

struct Document {
  std::string file;  // as named on the command line ("-" for stdin) or found in a directory
  json::Value root;
};

// THE input function: every input goes through here. A text that starts with { or [ is JSON (one
// object, a `kind: *List`, an array of objects, or a stream of several top-level values, as
// `yq -o json` writes); anything else is a YAML stream (the block-style reader of src/k8s/yaml_fast.h,
// else libyaml's events with the bounds and errors of src/k8s/yaml.h: positions kept, aliases and
// merge keys refused, not expanded; scalars resolved as Kubernetes does, YAML 1.1 booleans). A
// directory is walked for *.json, *.yaml, *.yml (sorted, hidden entries skipped).
// Bounds: 64 MiB per file, depth 128, 2^20 values per document (json::ParseLimits); 10000 files.
// With tune_heap (the scan command: a short-lived process), before a load of 1 MiB or more the heap is
// grown once and advised MADV_HUGEPAGE, and glibc keeps it until exit (reserve_heap in scan.cc);
// long-running callers (the webhook's bundle) pass false.
Result<std::vector<Document>> load_manifests(const std::string& path_or_dash, bool tune_heap = true);

// The documents of one YAML stream under explicit limits, built straight from libyaml's events (what
// parse_documents does for a YAML text, with yaml::Limits{}), and the reference it must equal: the
// tree of yaml.h converted afterwards (the path before; kept for the differential tests and fuzzer).
Result<std::vector<Document>> yaml_documents_limited(std::string_view text, const std::string& path,
                                                     const yaml::Limits& lim);
Result<std::vector<Document>> yaml_documents_reference(std::string_view text, const std::string& path,
                                                       const yaml::Limits& lim);

// The documents of one JSON text (one value, or a stream of several), positions those of the text.
Result<std::vector<Document>> parse_documents(std::string_view text, const std::string& path);

struct Object {
  const Document* doc = nullptr;
  const json::Value* v = nullptr;
};
// Objects of the documents: Lists and arrays are flattened (nested at most 4 deep).
std::vector<Object> objects(const std::vector<Document>& docs);

struct Options {
  rules::Level level = rules::Level::Restricted;
  rules::Version version;
  const rules::Bundle* bundle = nullptr;
};

struct ObjectResult {
  const Document* doc = nullptr;
  rules::Workload w;
  std::vector<rules::Finding> findings;
  std::vector<std::string> checks;  // the PSS check ids that ran (for pass results)
};

std::vector<ObjectResult> run(const std::vector<Object>& objs, const Options& o);
// Scans one parsed document (the fuzzer's entry point): every object, every rule set, kubesec too.
size_t scan_document(const json::Value& doc, const Options& o);

bool has_errors(const std::vector<ObjectResult>& rs);

std::string format_table(const std::vector<ObjectResult>& rs, const Options& o);
std::string format_json(const std::vector<ObjectResult>& rs, const Options& o);
std::string format_kubesec(const std::vector<ObjectResult>& rs);
std::string format_sarif(const std::vector<ObjectResult>& rs, const Options& o);
std::string format_policyreport(const std::vector<ObjectResult>& rs, const Options& o);

}  // namespace confine::k8s::scan
