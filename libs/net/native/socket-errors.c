#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "socket-errors.h"

static void set_string(napi_env env, napi_value object, const char *key, const char *text) {
  napi_value value;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, object, key, value);
}

napi_value throw_errno(napi_env env, const char *syscall, int fd, int errnum) {
  const char *name = strerrorname_np(errnum);
  char message[256];
  if (fd >= 0) snprintf(message, sizeof message, "%s on fd %d: %s (%s)", syscall, fd, strerror(errnum), name ? name : "unknown errno");
  else snprintf(message, sizeof message, "%s: %s (%s)", syscall, strerror(errnum), name ? name : "unknown errno");
  napi_value text, error, number;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, NULL, text, &error);
  set_string(env, error, "code", name ? name : "UNKNOWN");
  set_string(env, error, "syscall", syscall);
  napi_create_int32(env, errnum, &number);
  napi_set_named_property(env, error, "errno", number);
  napi_throw(env, error);
  return NULL;
}

napi_value throw_argument(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

bool read_arguments(napi_env env, napi_callback_info info, napi_value *argv, size_t count, const char *usage) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < count) {
    throw_argument(env, usage);
    return false;
  }
  return true;
}

int read_int_argument(napi_env env, napi_value value, const char *name) {
  int32_t result;
  if (napi_get_value_int32(env, value, &result) != napi_ok || result < 0) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a non-negative integer", name);
    throw_argument(env, message);
    return -1;
  }
  return result;
}
