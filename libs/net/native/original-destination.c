// Where a connection was going before iptables REDIRECTed it to us: the destination that
// conntrack recorded for it, read with getsockopt(SO_ORIGINAL_DST).
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include "socket-errors.h"
#include "original-destination.h"

// From <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h>, whose other
// definitions clash with the C library's.
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

static napi_value destination(napi_env env, const char *address, int port, int family) {
  napi_value result, value;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "address", value);
  napi_create_int32(env, port, &value);
  napi_set_named_property(env, result, "port", value);
  napi_create_int32(env, family, &value);
  napi_set_named_property(env, result, "family", value);
  return result;
}

// Asks conntrack for the destination through `level`/`option` and formats it as `family` (4 or 6).
static napi_value tracked_destination(napi_env env, int fd, int level, int option, const char *syscall, int family) {
  struct sockaddr_storage original;
  socklen_t length = sizeof original;
  if (getsockopt(fd, level, option, &original, &length) != 0) return throw_errno(env, syscall, fd, errno);
  char text[INET6_ADDRSTRLEN];
  if (family == 4) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)&original;
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    return destination(env, text, ntohs(in->sin_port), 4);
  }
  const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&original;
  inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
  return destination(env, text, ntohs(in6->sin6_port), 6);
}

static napi_value ipv4_destination(napi_env env, int fd) {
  return tracked_destination(env, fd, SOL_IP, SO_ORIGINAL_DST, "getsockopt(SO_ORIGINAL_DST)", 4);
}

static napi_value ipv6_destination(napi_env env, int fd) {
  return tracked_destination(env, fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, "getsockopt(IP6T_SO_ORIGINAL_DST)", 6);
}

// originalDestination(fd): { address, port, family }. An IPv4 connection accepted on a
// dual-stack IPv6 socket (a v4-mapped local address) was tracked by IPv4 conntrack, so it is
// asked the IPv4 way.
napi_value original_destination(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!read_arguments(env, info, argv, 1, "originalDestination(fd): fd is required")) return NULL;
  int fd = read_int_argument(env, argv[0], "fd");
  if (fd < 0) return NULL;

  struct sockaddr_storage local;
  socklen_t length = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &length) != 0) {
    return throw_errno(env, "getsockname", fd, errno);
  }
  if (local.ss_family == AF_INET) return ipv4_destination(env, fd);
  if (local.ss_family == AF_INET6) {
    const struct sockaddr_in6 *local6 = (const struct sockaddr_in6 *)&local;
    return IN6_IS_ADDR_V4MAPPED(&local6->sin6_addr) ? ipv4_destination(env, fd) : ipv6_destination(env, fd);
  }
  return throw_errno(env, "originalDestination: not an IP socket", fd, EAFNOSUPPORT);
}

// socketMark(fd): the socket's SO_MARK.
napi_value socket_mark(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!read_arguments(env, info, argv, 1, "socketMark(fd): fd is required")) return NULL;
  int fd = read_int_argument(env, argv[0], "fd");
  if (fd < 0) return NULL;
  uint32_t mark = 0;
  socklen_t length = sizeof mark;
  if (getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &length) != 0) {
    return throw_errno(env, "getsockopt(SO_MARK)", fd, errno);
  }
  napi_value result;
  napi_create_uint32(env, mark, &result);
  return result;
}
