// Command-line parsing shared by every verb. Each verb declares its options
// as a table; parsing is strict (unknown option = usage error, exit 2).
//   --name VALUE, --name=VALUE, -x VALUE, -xVALUE, flags, "--" ends options.
#pragma once

#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"
#include "core/file.h"  // file::read_file, file::write_output: every verb's file I/O

namespace confine::cli {

// Exit codes of the analysis verbs (run/record use their own, see run.cc).
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;  // invalid input (profile, log, ...)
inline constexpr int kExitUsage = 2;    // bad command line

struct OptSpec {
  std::string_view name;  // long name without "--", e.g. "arch"
  char short_name = 0;    // e.g. 'o', 0 = none
  bool takes_value = false;
  std::string_view metavar;  // e.g. "ARCH"
  std::string_view help;
};

class Args {
 public:
  // Parses args (not including the verb). With stop_at_positional, the first
  // positional argument and everything after it go to rest() (for "run CMD...").
  static Result<Args> parse(std::span<char* const> args, std::span<const OptSpec> specs,
                            bool stop_at_positional = false);

  bool has(std::string_view name) const;
  std::optional<std::string> get(std::string_view name) const;  // last occurrence
  std::vector<std::string> all(std::string_view name) const;    // every occurrence, in order
  const std::vector<std::string>& positional() const { return positional_; }
  const std::vector<std::string>& rest() const { return rest_; }  // after "--" (or first positional)
  bool saw_dashdash() const { return dashdash_; }

 private:
  std::vector<std::pair<std::string, std::string>> opts_;
  std::vector<std::string> positional_, rest_;
  bool dashdash_ = false;
};

// "  -o, --output FILE   help" lines for --help.
std::string format_options(std::span<const OptSpec> specs);

// Prints "confine: <message>" to stderr.
void print_error(const Error& e);
void print_error(std::string_view msg);
void print_warning(std::string_view msg);

// Helper for verbs: `if (args has --help) print usage, return 0`.
bool wants_help(std::span<char* const> args);

// The prologue verbs share: --help prints usage to stdout (exit 0); a parse
// error prints the error and usage to stderr (exit 2). Returns the parsed
// Args, or the exit code to return:
//   auto pa = parse_verb_args(args, kOpts, usage);
//   if (const int* rc = std::get_if<int>(&pa)) return *rc;
//   const Args& a = std::get<Args>(pa);
std::variant<Args, int> parse_verb_args(std::span<char* const> args, std::span<const OptSpec> specs,
                                        void (*usage)(std::ostream&));

}  // namespace confine::cli
