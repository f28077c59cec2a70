// The native part of @mizzen/net: socket options Node does not expose.
#include "original-destination.h"
#include "transparent-socket.h"

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
    { "originalDestination", NULL, original_destination, NULL, NULL, NULL, napi_enumerable, NULL },
    { "socketMark", NULL, socket_mark, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setTransparent", NULL, set_transparent, NULL, NULL, NULL, napi_enumerable, NULL },
    { "listenTransparent", NULL, listen_transparent, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
