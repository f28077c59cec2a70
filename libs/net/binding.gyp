{
  "targets": [
    {
      "target_name": "mizzen_net",
      "sources": [
        "native/addon.c",
        "native/original-destination.c",
        "native/socket-errors.c",
        "native/transparent-socket.c"
      ],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"]
    }
  ]
}
