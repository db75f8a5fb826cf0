#!/bin/sh
# Compiles the launcher and the fast-path shim (libairlock-shim.so) with the machine's C compiler;
# called by the Maven build (exec-maven-plugin).
# usage: build.sh SOURCE_DIR LAUNCHER_OUTPUT [SHIM_OUTPUT [CLIENT_OUTPUT]]
set -eu
src_dir=$1
out=$2
shim_out=${3:-}
client_out=${4:-}
cc=${CC:-}
if [ -z "$cc" ]; then
  for candidate in cc gcc clang; do
    if command -v "$candidate" >/dev/null 2>&1; then cc=$candidate; break; fi
  done
fi
if [ -z "$cc" ] || ! command -v "$cc" >/dev/null 2>&1; then
  echo "airlock: no C compiler found (tried \$CC, cc, gcc, clang); install one, e.g. 'apt-get install gcc' on Debian" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
"$cc" -O2 -Wall -Wextra -Werror -std=c11 -o "$out.tmp" "$src_dir/airlock-launcher.c" "$src_dir/confine.c"
mv "$out.tmp" "$out"
if [ -n "$shim_out" ]; then
  # libc only (dlopen/dlsym are in libc since glibc 2.34); every symbol bound at load (-z now),
  # so no lazy binding runs inside a signal handler or a vfork child.
  "$cc" -O2 -Wall -Wextra -Werror -std=gnu11 -fPIC -shared -fvisibility=hidden \
    -Wl,-z,now -Wl,--no-undefined -o "$shim_out.tmp" "$src_dir/airlock-shim.c"
  mv "$shim_out.tmp" "$shim_out"
fi
if [ -n "$client_out" ]; then
  # The native client that ./airlock runs: libc only.
  mkdir -p "$(dirname "$client_out")"
  "$cc" -O2 -Wall -Wextra -Werror -std=gnu11 -o "$client_out.tmp" "$src_dir/airlock-client.c"
  mv "$client_out.tmp" "$client_out"
fi
