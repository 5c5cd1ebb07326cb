#include "cli/args.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>

namespace confine::cli {

namespace {
const OptSpec* find_long(std::span<const OptSpec> specs, std::string_view n) {
  for (const auto& s : specs)
    if (s.name == n) return &s;
  return nullptr;
}
const OptSpec* find_short(std::span<const OptSpec> specs, char c) {
  for (const auto& s : specs)
    if (s.short_name != 0 && s.short_name == c) return &s;
  return nullptr;
}
}  // namespace

Result<Args> Args::parse(std::span<char* const> args, std::span<const OptSpec> specs,
                         bool stop_at_positional) {
  Args out;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--") {
      out.dashdash_ = true;
      for (size_t j = i + 1; j < args.size(); ++j) out.rest_.emplace_back(args[j]);
      break;
    }
    if (a.size() > 2 && a.starts_with("--")) {
      std::string_view body = a.substr(2);
      std::optional<std::string_view> inline_val;
      if (auto eq = body.find('='); eq != std::string_view::npos) {
        inline_val = body.substr(eq + 1);
        body = body.substr(0, eq);
      }
      const OptSpec* s = find_long(specs, body);
      if (!s) return Error("unknown option --" + std::string(body));
      if (!s->takes_value) {
        if (inline_val) return Error("option --" + std::string(body) + " takes no value");
        out.opts_.emplace_back(std::string(body), "");
        continue;
      }
      if (inline_val) {
        out.opts_.emplace_back(std::string(body), std::string(*inline_val));
      } else {
        if (i + 1 >= args.size())
          return Error("option --" + std::string(body) + " needs a value (" +
                       std::string(s->metavar.empty() ? "VALUE" : s->metavar) + ")");
        out.opts_.emplace_back(std::string(body), args[++i]);
      }
      continue;
    }
    if (a.size() >= 2 && a[0] == '-' && a[1] != '-') {
      const OptSpec* s = find_short(specs, a[1]);
      if (!s) return Error("unknown option " + std::string(a.substr(0, 2)));
      if (!s->takes_value) {
        if (a.size() > 2) return Error("option -" + std::string(1, a[1]) + " takes no value");
        out.opts_.emplace_back(std::string(s->name), "");
        continue;
      }
      if (a.size() > 2) {
        out.opts_.emplace_back(std::string(s->name), std::string(a.substr(2)));
      } else {
        if (i + 1 >= args.size())
          return Error("option -" + std::string(1, a[1]) + " needs a value (" +
                       std::string(s->metavar.empty() ? "VALUE" : s->metavar) + ")");
        out.opts_.emplace_back(std::string(s->name), args[++i]);
      }
      continue;
    }
    if (stop_at_positional) {
      for (size_t j = i; j < args.size(); ++j) out.rest_.emplace_back(args[j]);
      break;
    }
    out.positional_.emplace_back(a);
  }
  return out;
}

bool Args::has(std::string_view name) const {
  for (const auto& [k, v] : opts_)
    if (k == name) return true;
  return false;
}

std::optional<std::string> Args::get(std::string_view name) const {
  std::optional<std::string> r;
  for (const auto& [k, v] : opts_)
    if (k == name) r = v;
  return r;
}

std::vector<std::string> Args::all(std::string_view name) const {
  std::vector<std::string> r;
  for (const auto& [k, v] : opts_)
    if (k == name) r.push_back(v);
  return r;
}

std::string format_options(std::span<const OptSpec> specs) {
  std::string out;
  for (const auto& s : specs) {
    std::string left = "  ";
    if (s.short_name)
      left += std::string("-") + s.short_name + ", ";
    else
      left += "    ";
    left += "--" + std::string(s.name);
    if (s.takes_value) left += " " + std::string(s.metavar.empty() ? "VALUE" : s.metavar);
    if (left.size() < 28)
      left.resize(28, ' ');
    else
      left += "  ";
    out += left + std::string(s.help) + "\n";
  }
  return out;
}

void print_error(const Error& e) { std::cerr << "confine: error: " << e.message() << "\n"; }
void print_error(std::string_view msg) { std::cerr << "confine: error: " << msg << "\n"; }
void print_warning(std::string_view msg) { std::cerr << "confine: warning: " << msg << "\n"; }

bool wants_help(std::span<char* const> args) {
  for (std::string_view a : args) {
    if (a == "--") return false;
    if (a == "-h" || a == "--help") return true;
  }
  return false;
}

std::variant<Args, int> parse_verb_args(std::span<char* const> args, std::span<const OptSpec> specs,
                                        void (*usage)(std::ostream&)) {
  if (wants_help(args)) {
    usage(std::cout);
    return kExitOk;
  }
  auto pa = Args::parse(args, specs);
  if (!pa.ok()) {
    print_error(pa.error());
    usage(std::cerr);
    return kExitUsage;
  }
  return std::move(*pa);
}

}  // namespace confine::cli
