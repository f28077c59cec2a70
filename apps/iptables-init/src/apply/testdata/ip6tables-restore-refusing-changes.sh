#!/bin/sh
# An ip6tables-restore that refuses every change (--noflush input) but restores a saved state,
# so a test can fail the IPv6 step of a run and still watch the rollback work.
if [ "$1" = "--noflush" ]; then
  cat >/dev/null
  echo "ip6tables-restore: refused for the test" >&2
  exit 1
fi
exec ip6tables-restore "$@"
