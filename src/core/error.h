// Errors are values. An Error carries a message, an optional source position
// (file:line:col) and an optional errno; each layer adds context in front.
//
//   Result<int> parse(...);                       // value or Error
//   CONFINE_TRY(auto n, parse(...));              // propagate on error
//   return Error::at(pos, "unknown action \"X\"");
//   return Error::sys("open(\"/x\", O_RDONLY)", errno);
//   return std::move(err).context("loading profile");
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace confine {

struct SourcePos {
  std::string file;         // may be empty (e.g. stdin or an in-memory buffer)
  uint32_t line = 0;        // 1-based; 0 = unknown
  uint32_t col = 0;         // 1-based; 0 = unknown
  std::string str() const;  // "file:line:col" (omits unknown parts)
  bool operator==(const SourcePos&) const = default;
};

class Error {
 public:
  explicit Error(std::string msg) : msg_(std::move(msg)) {}
  // "file:line:col: msg"
  static Error at(SourcePos pos, std::string msg);
  // "what: ENOENT (No such file or directory)"; keeps errno available.
  static Error sys(std::string what, int err);

  // Prepends "ctx: " to the message (outer layers call this).
  Error&& context(std::string ctx) &&;
  Error& context(std::string ctx) &;

  std::string message() const;                        // full text with position and contexts
  const std::string& detail() const { return msg_; }  // message without pos/context
  const SourcePos& pos() const { return pos_; }
  bool has_pos() const { return pos_.line != 0 || !pos_.file.empty(); }
  int sys_errno() const { return errno_; }

 private:
  std::string msg_;
  std::string ctx_;  // "outer: inner: " already joined
  SourcePos pos_;
  int errno_ = 0;
};

// errno name, e.g. "ENOENT"; "E<n>" when unknown.
std::string errno_name(int err);
// errno number from a name like "ENOENT" or "EPERM"; -1 if unknown.
int errno_from_name(std::string_view name);

template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<T, Error>);

 public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}      // NOLINT: implicit on purpose
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT
  template <class U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Error> &&
           !std::is_same_v<std::decay_t<U>, T> && !std::is_same_v<std::decay_t<U>, Result>) Result(U&& u)
      : v_(std::in_place_index<0>, T(std::forward<U>(u))) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  Error& error() & {
    assert(!ok());
    return std::get<1>(v_);
  }
  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  Error& error() & {
    assert(!ok_);
    return err_;
  }
  const Error& error() const& {
    assert(!ok_);
    return err_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(err_);
  }

 private:
  Error err_{""};
  bool ok_ = true;
};

using Status = Result<void>;
inline Status ok() { return {}; }

}  // namespace confine

#define CONFINE_CAT2(a, b) a##b
#define CONFINE_CAT(a, b) CONFINE_CAT2(a, b)

// CONFINE_TRY(decl, expr): evaluate expr (a Result<T>); on error return the
// Error from the enclosing function; otherwise `decl = value`.
#define CONFINE_TRY(decl, expr)                                                                             \
  auto CONFINE_CAT(confine_r_, __LINE__) = (expr);                                                          \
  if (!CONFINE_CAT(confine_r_, __LINE__).ok()) return std::move(CONFINE_CAT(confine_r_, __LINE__)).error(); \
  decl = std::move(CONFINE_CAT(confine_r_, __LINE__)).value()

// CONFINE_CHECK(expr): evaluate a Status; on error return it.
#define CONFINE_CHECK(expr)                                     \
  do {                                                          \
    auto confine_s_ = (expr);                                   \
    if (!confine_s_.ok()) return std::move(confine_s_).error(); \
  } while (0)

// Same, adding context to the error on the way out.
#define CONFINE_CHECK_CTX(expr, ctx)                                         \
  do {                                                                       \
    auto confine_s_ = (expr);                                                \
    if (!confine_s_.ok()) return std::move(confine_s_).error().context(ctx); \
  } while (0)
