#ifndef MIZZEN_TRANSPARENT_SOCKET_H
#define MIZZEN_TRANSPARENT_SOCKET_H
#include "socket-errors.h"

napi_value set_transparent(napi_env env, napi_callback_info info);
napi_value listen_transparent(napi_env env, napi_callback_info info);

#endif
