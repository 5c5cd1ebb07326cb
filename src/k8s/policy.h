// `confine k8s policy --emit vap|kyverno|gatekeeper`: the checks of `confine k8s scan` as CEL
// validations, one per check id (the message starts with "ID: "), wrapped as a
// ValidatingAdmissionPolicy + binding, a Kyverno ClusterPolicy (validate.cel) or a Gatekeeper
// ConstraintTemplate (engine K8sNativeValidation) + Constraint.
#pragma once

#include <string>
#include <vector>

#include "json/json.h"
#include "k8s/rules.h"

namespace confine::k8s::policy {

enum class Emit { Vap, Kyverno, Gatekeeper };

struct Options {
  Emit emit = Emit::Vap;
  rules::Level level = rules::Level::Restricted;
  rules::Version version;
  const rules::Bundle* bundle = nullptr;
  std::string name = "confine-pss-restricted";
};

struct Validation {
  std::string check;       // the scan rule id it implements
  std::string expression;  // CEL over `variables.*` (and `params`)
  std::string message;     // "ID: summary"
};
struct Variable {
  std::string name, expression;
};

// The CEL of the checks (PARAMS stands for the parameter object: params.data or variables.params).
std::vector<Variable> variables();
std::vector<Validation> validations(const Options& o, std::string_view params = "params.data");

// The objects to apply (a ConfigMap of bundle profile names is the policy's parameter when --bundle).
std::vector<json::Value> emit(const Options& o);
std::string to_json(const std::vector<json::Value>& objs);  // a v1 List
std::string to_yaml(const std::vector<json::Value>& objs);  // documents separated by ---
std::string yaml(const json::Value& v);                     // one document (block style, quoted strings)

}  // namespace confine::k8s::policy
