// Turning a failed system call into a JavaScript error that names the call and the errno.
#ifndef MIZZEN_SOCKET_ERRORS_H
#define MIZZEN_SOCKET_ERRORS_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>

// Throws an Error whose message names the call, the fd (unless it is negative) and the reason, with `code` (the errno
// name, as Node's own errors have it), `errno` and `syscall` properties. Returns NULL, so a
// function can `return throw_errno(...)`.
napi_value throw_errno(napi_env env, const char *syscall, int fd, int errnum);

// Throws a TypeError for a bad argument. Returns NULL.
napi_value throw_argument(napi_env env, const char *message);

// Reads the call's first `count` arguments into `argv`; throws `usage` as a TypeError and
// returns false when fewer were passed.
bool read_arguments(napi_env env, napi_callback_info info, napi_value *argv, size_t count, const char *usage);

// Reads an argument as a non-negative int32; throws and returns -1 when it is not one.
int read_int_argument(napi_env env, napi_value value, const char *name);

#endif
