#include "core/error.h"

#include <cerrno>
#include <cstring>
#include <string_view>

namespace confine {

std::string SourcePos::str() const {
  std::string s = file;
  if (line != 0) {
    if (!s.empty()) s += ':';
    s += std::to_string(line);
    if (col != 0) s += ':' + std::to_string(col);
  }
  return s;
}

Error Error::at(SourcePos pos, std::string msg) {
  Error e(std::move(msg));
  e.pos_ = std::move(pos);
  return e;
}

Error Error::sys(std::string what, int err) {
  Error e(what + ": " + errno_name(err) + " (" + std::strerror(err) + ")");
  e.errno_ = err;
  return e;
}

Error&& Error::context(std::string ctx) && {
  context(std::move(ctx));
  return std::move(*this);
}

Error& Error::context(std::string ctx) & {
  // insert() rather than `ctx + ": " + ctx_`: GCC 12 -O3 reports a spurious -Wrestrict on the latter.
  ctx += ": ";
  ctx_.insert(0, ctx);
  return *this;
}

std::string Error::message() const {
  std::string out = ctx_;
  if (has_pos()) out += pos_.str() + ": ";
  out += msg_;
  return out;
}

namespace {
struct ErrnoName {
  int value;
  const char* name;
};
#define E(x) \
  { x, #x }
constexpr ErrnoName kErrnos[] = {
    E(EPERM),           E(ENOENT),       E(ESRCH),        E(EINTR),           E(EIO),
    E(ENXIO),           E(E2BIG),        E(ENOEXEC),      E(EBADF),           E(ECHILD),
    E(EAGAIN),          E(ENOMEM),       E(EACCES),       E(EFAULT),          E(ENOTBLK),
    E(EBUSY),           E(EEXIST),       E(EXDEV),        E(ENODEV),          E(ENOTDIR),
    E(EISDIR),          E(EINVAL),       E(ENFILE),       E(EMFILE),          E(ENOTTY),
    E(ETXTBSY),         E(EFBIG),        E(ENOSPC),       E(ESPIPE),          E(EROFS),
    E(EMLINK),          E(EPIPE),        E(EDOM),         E(ERANGE),          E(EDEADLK),
    E(ENAMETOOLONG),    E(ENOLCK),       E(ENOSYS),       E(ENOTEMPTY),       E(ELOOP),
    E(ENOMSG),          E(EIDRM),        E(ENOSTR),       E(ENODATA),         E(ETIME),
    E(ENOSR),           E(EREMOTE),      E(ENOLINK),      E(EPROTO),          E(EBADMSG),
    E(EOVERFLOW),       E(EILSEQ),       E(EUSERS),       E(ENOTSOCK),        E(EDESTADDRREQ),
    E(EMSGSIZE),        E(EPROTOTYPE),   E(ENOPROTOOPT),  E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT),
    E(EOPNOTSUPP),      E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE),      E(EADDRNOTAVAIL),
    E(ENETDOWN),        E(ENETUNREACH),  E(ENETRESET),    E(ECONNABORTED),    E(ECONNRESET),
    E(ENOBUFS),         E(EISCONN),      E(ENOTCONN),     E(ESHUTDOWN),       E(ETOOMANYREFS),
    E(ETIMEDOUT),       E(ECONNREFUSED), E(EHOSTDOWN),    E(EHOSTUNREACH),    E(EALREADY),
    E(EINPROGRESS),     E(ESTALE),       E(EDQUOT),       E(ECANCELED),       E(EOWNERDEAD),
    E(ENOTRECOVERABLE), E(ERFKILL),      E(EHWPOISON),    E(ENOKEY),          E(EKEYEXPIRED),
    E(EKEYREVOKED),     E(EKEYREJECTED), E(ENOMEDIUM),    E(EMEDIUMTYPE),     E(ECHRNG),
    E(EL2NSYNC),        E(EL3HLT),       E(EL3RST),       E(ELNRNG),          E(EUNATCH),
    E(ENOCSI),          E(EL2HLT),       E(EBADE),        E(EBADR),           E(EXFULL),
    E(ENOANO),          E(EBADRQC),      E(EBADSLT),      E(EBFONT),          E(ENONET),
    E(ENOPKG),          E(EADV),         E(ESRMNT),       E(ECOMM),           E(EDOTDOT),
    E(ENOTUNIQ),        E(EBADFD),       E(EREMCHG),      E(ELIBACC),         E(ELIBBAD),
    E(ELIBSCN),         E(ELIBMAX),      E(ELIBEXEC),     E(ERESTART),        E(ESTRPIPE),
    E(EUCLEAN),         E(ENOTNAM),      E(ENAVAIL),      E(EISNAM),          E(EREMOTEIO),
};
#undef E
}  // namespace

std::string errno_name(int err) {
  for (const auto& e : kErrnos)
    if (e.value == err) return e.name;
  return "E" + std::to_string(err);
}

int errno_from_name(std::string_view name) {
  for (const auto& e : kErrnos)
    if (name == e.name) return e.value;
  // Aliases that share a value with a listed name.
  if (name == "EWOULDBLOCK") return EWOULDBLOCK;
  if (name == "EDEADLOCK") return EDEADLOCK;
  if (name == "ENOTSUP") return ENOTSUP;
  return -1;
}

}  // namespace confine
