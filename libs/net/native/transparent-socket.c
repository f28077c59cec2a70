// Transparent sockets for TPROXY: a listener that accepts connections addressed to any IP
// (IP_TRANSPARENT). The option must be set before bind, which Node's net module cannot do, so
// the listener is created here and handed to Node as a file descriptor.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "socket-errors.h"
#include "transparent-socket.h"

static int make_transparent(int fd, int family) {
  int on = 1;
  if (family == AF_INET6) return setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &on, sizeof on);
  return setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on, sizeof on);
}

// Reads the `family` argument (4 or 6) as an address family; throws and returns -1 otherwise.
static int read_family(napi_env env, napi_value value) {
  int32_t family = 0;
  napi_get_value_int32(env, value, &family);
  if (family == 4) return AF_INET;
  if (family == 6) return AF_INET6;
  throw_argument(env, "family must be 4 or 6");
  return -1;
}

// setTransparent(fd, family): sets IP_TRANSPARENT (or IPV6_TRANSPARENT) on a socket.
napi_value set_transparent(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!read_arguments(env, info, argv, 2, "setTransparent(fd, family): both are required")) return NULL;
  int fd = read_int_argument(env, argv[0], "fd");
  if (fd < 0) return NULL;
  int family = read_family(env, argv[1]);
  if (family < 0) return NULL;
  if (make_transparent(fd, family) != 0) {
    return throw_errno(env, family == AF_INET6 ? "setsockopt(IPV6_TRANSPARENT)" : "setsockopt(IP_TRANSPARENT)", fd, errno);
  }
  return NULL;
}

// Fills `address` from a numeric host and a port; returns its length, or 0 if the host is not
// an address of that family.
static socklen_t fill_address(int family, const char *host, int port, struct sockaddr_storage *address) {
  memset(address, 0, sizeof *address);
  if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)address;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? sizeof *in : 0;
  }
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)address;
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons((uint16_t)port);
  return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 ? sizeof *in6 : 0;
}

// listenTransparent(family, host, port, backlog): a new TCP socket with SO_REUSEADDR and
// IP_TRANSPARENT, bound and listening; returns its fd. On failure the socket is closed.
napi_value listen_transparent(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!read_arguments(env, info, argv, 4, "listenTransparent(family, host, port, backlog): all are required")) return NULL;
  int family = read_family(env, argv[0]);
  if (family < 0) return NULL;
  char host[INET6_ADDRSTRLEN];
  size_t host_length = 0;
  if (napi_get_value_string_utf8(env, argv[1], host, sizeof host, &host_length) != napi_ok) {
    return throw_argument(env, "host must be a string");
  }
  int port = read_int_argument(env, argv[2], "port");
  if (port < 0) return NULL;
  int backlog = read_int_argument(env, argv[3], "backlog");
  if (backlog < 0) return NULL;
  if (port > 65535) return throw_argument(env, "port must be at most 65535");

  struct sockaddr_storage address;
  socklen_t length = fill_address(family, host, port, &address);
  if (length == 0) return throw_argument(env, "host must be a numeric address of the given family");

  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", -1, errno);
  int on = 1;
  const char *failed = NULL;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) failed = "setsockopt(SO_REUSEADDR)";
  else if (make_transparent(fd, family) != 0) failed = family == AF_INET6 ? "setsockopt(IPV6_TRANSPARENT)" : "setsockopt(IP_TRANSPARENT)";
  else if (bind(fd, (struct sockaddr *)&address, length) != 0) failed = "bind";
  else if (listen(fd, backlog) != 0) failed = "listen";
  if (failed != NULL) {
    int errnum = errno;
    close(fd);
    return throw_errno(env, failed, -1, errnum);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}
