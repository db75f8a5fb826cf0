# Runs one of the Java benchmarks of bench/src/main/java/dev/airlock/bench (sourced by
# scripts/bench-*): builds Airlock when its jars are missing, runs from a private copy of the
# benchmark's classpath, and passes the arguments through.
#
#   bench_java NAME MAIN_CLASS [ARGS...]    (NAME prefixes messages; MAIN_CLASS is a simple name)

bench_java() {
  local bench_name=$1 main_class=$2
  shift 2
  (
    die() {
      echo "$bench_name: $*" >&2
      exit 125
    }

    [ "$(uname -s)" = "Linux" ] || die "Airlock runs only on Linux; this is $(uname -s)"
    airlock_find_java
    version=$(airlock_java_version)
    [ -n "$version" ] && [ "$version" -ge 17 ] ||
      die "Java 17 or newer is needed; $AIRLOCK_JAVA is version ${version:-unknown} (set JAVA_HOME)"

    bench_classes="$AIRLOCK_ROOT/bench/target/classes"
    bench_lib="$AIRLOCK_ROOT/bench/target/lib"
    required=(
      "$AIRLOCK_ROOT/daemon/target/airlock-daemon.jar"
      "$AIRLOCK_ROOT/client/target/airlock-client.jar"
      "$bench_classes/dev/airlock/bench/$main_class.class"
      "$bench_lib"
    )
    missing=""
    for f in "${required[@]}"; do
      [ -e "$f" ] || { missing="$f"; break; }
    done
    if [ -n "$missing" ]; then
      command -v mvn >/dev/null 2>&1 ||
        die "${missing#"$AIRLOCK_ROOT"/} is missing and Maven is not installed to build it (Debian: apt-get install maven)"
      log="$AIRLOCK_ROOT/target/$bench_name-build.log"
      mkdir -p "$AIRLOCK_ROOT/target"
      echo "$bench_name: building Airlock (${missing#"$AIRLOCK_ROOT"/} is missing; log in target/$bench_name-build.log)" >&2
      if ! (cd "$AIRLOCK_ROOT" &&
            JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$AIRLOCK_JAVA")")")}" \
            mvn -B -q -DskipTests -Dfmt.skip -pl bench,daemon -am package >"$log" 2>&1); then
        grep -E '^\[ERROR\]' "$log" | head -n 5 >&2 || true
        die "the build failed; see $log"
      fi
      for f in "${required[@]}"; do
        [ -e "$f" ] || die "the build did not produce ${f#"$AIRLOCK_ROOT"/}; see $log"
      done
    elif [ -n "$(find "$AIRLOCK_ROOT/bench/src/main" -newer "$bench_classes/dev/airlock/bench/$main_class.class" \
          -type f -print -quit 2>/dev/null)" ]; then
      echo "$bench_name: note: the benchmark sources changed since its last build; rebuild with" \
        "mvn -B -q -DskipTests -Dfmt.skip -pl bench,daemon -am package" >&2
    fi

    # ./airlock keeps a CDS archive of the client (client/target/cds) and only makes one when none
    # exists; one made before the client jars were last rebuilt is rejected by the JVM at every run
    # (a warning, and no CDS). Drop such a stale archive so that ./airlock makes a fresh one and the
    # benchmark times the client as a fresh build runs it.
    for jsa in "$AIRLOCK_ROOT"/client/target/cds/*.jsa; do
      [ -f "$jsa" ] || continue
      if [ -n "$(find "$AIRLOCK_ROOT/client/target/airlock-client.jar" "$AIRLOCK_ROOT/client/target/lib" \
            -newer "$jsa" -type f -print -quit 2>/dev/null)" ]; then
        echo "$bench_name: note: removing ${jsa#"$AIRLOCK_ROOT"/}, older than the client jars (./airlock makes a new one)" >&2
        rm -f "$jsa"
      fi
    done

    # Run from a private copy of the benchmark's classpath: a build of the bench module while the
    # benchmark runs (e.g. `mvn test` in the same checkout) recompiles target/classes from scratch,
    # and the JVM loads classes lazily.
    run_dir=$(mktemp -d "${TMPDIR:-/tmp}/airlock-bench-cp.XXXXXX") || die "cannot create a temporary directory"
    trap 'rm -rf "$run_dir"' EXIT
    cp -r "$bench_classes" "$run_dir/classes" && cp -r "$bench_lib" "$run_dir/lib" ||
      die "cannot copy the benchmark's classpath to $run_dir"

    flags=(-Xms256m -Xmx256m -XX:+UseParallelGC --enable-native-access=ALL-UNNAMED)
    # protobuf and JNA use sun.misc.Unsafe; JDK 23+ warns about it unless allowed (17 rejects the flag).
    if [ "$version" -ge 23 ]; then
      flags+=(--sun-misc-unsafe-memory-access=allow)
    fi
    # Not exec: the trap removes the copy afterwards. On Ctrl-C the benchmark stops its daemon itself.
    status=0
    "$AIRLOCK_JAVA" "${flags[@]}" -Dairlock.repo="$AIRLOCK_ROOT" \
      -cp "$run_dir/classes:$run_dir/lib/*" dev.airlock.bench.$main_class "$@" || status=$?
    exit "$status"
  )
}
