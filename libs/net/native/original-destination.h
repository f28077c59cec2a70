#ifndef MIZZEN_ORIGINAL_DESTINATION_H
#define MIZZEN_ORIGINAL_DESTINATION_H
#include "socket-errors.h"

napi_value original_destination(napi_env env, napi_callback_info info);
napi_value socket_mark(napi_env env, napi_callback_info info);

#endif
