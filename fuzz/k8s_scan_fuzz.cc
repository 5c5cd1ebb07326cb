// libFuzzer target: `confine k8s scan` over one input text (src/k8s/scan.h): the JSON stream splitter
// and parser with its limits, the workload model, every PSS check at a few versions and both levels,
// confine's version checks, kubesec's rules and scoring, and the output formatters. Any crash, hang or
// sanitizer report is a bug; malformed fields must become findings, never a trap.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "json/json.h"
#include "k8s/scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace scan = confine::k8s::scan;
  namespace rules = confine::k8s::rules;
  // The input layer: one JSON value or a stream of several (positions shifted into the file).
  auto parsed = scan::parse_documents(text, "fuzz.json");
  if (!parsed.ok()) return 0;
  std::vector<scan::Document>& docs = *parsed;
  for (const auto& d : docs)
    for (unsigned minor : {18u, 25u, rules::kLatestMinor})
      for (auto level : {rules::Level::Baseline, rules::Level::Restricted}) {
        scan::Options o;
        o.level = level;
        o.version = rules::Version{minor};
        (void)scan::scan_document(d.root, o);
      }
  // The formatters over the same documents.
  auto objs = scan::objects(docs);
  scan::Options o;
  auto rs = scan::run(objs, o);
  (void)scan::format_table(rs, o);
  (void)scan::format_sarif(rs, o);
  (void)scan::format_policyreport(rs, o);
  auto js = confine::json::parse(scan::format_json(rs, o));
  if (!js.ok()) __builtin_trap();  // our own output must be valid JSON
  auto kb = confine::json::parse(scan::format_kubesec(rs));
  if (!kb.ok()) __builtin_trap();
  return 0;
}
