# Shared by ./airlock and scripts/airlockd: find a JDK, check the machine, build on first use.
# Every problem is one line on stderr that names what is missing and what to do.

airlock_die() {
  echo "airlock: $*" >&2
  exit 125
}

# Sets AIRLOCK_JAVA to a java of version 17 or newer ($JAVA_HOME first).
airlock_find_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    AIRLOCK_JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    AIRLOCK_JAVA=$(command -v java)
  else
    airlock_die "no Java found; install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk) or set JAVA_HOME"
  fi
}

# Prints the feature version of $AIRLOCK_JAVA (17, 25, ...).
airlock_java_version() {
  "$AIRLOCK_JAVA" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n 1
}

airlock_check_platform() {
  # $OSTYPE, not uname: ./airlock runs for every call, and a fork costs.
  case "${OSTYPE:-}" in
    linux*) ;;
    *) airlock_die "Airlock runs only on Linux (it needs seccomp, ptrace and namespaces); this is $(uname -s)" ;;
  esac
}

# Builds the client and the daemon when their jars are missing or older than any source.
airlock_ensure_built() {
  local stamp="$AIRLOCK_ROOT/client/target/airlock-build.stamp"
  local reason=""
  if [ ! -f "$stamp" ] || [ ! -f "$AIRLOCK_ROOT/daemon/target/airlock-daemon.jar" ] \
      || [ ! -x "$AIRLOCK_ROOT/sandbox-linux/target/airlock-client" ]; then
    reason="first run"
  elif [ -n "$(r=$AIRLOCK_ROOT; exec find "$r/pom.xml" "$r/protocol" "$r/sandbox-linux" "$r/policies" \
        "$r/daemon" "$r/client" \( -name target -prune \) -o \( -path '*/src/main/*' -o -name pom.xml \) \
        -newer "$stamp" -type f -print -quit 2>/dev/null)" ]; then
    reason="sources changed"
  fi
  [ -z "$reason" ] && return 0

  [ -n "${AIRLOCK_JAVA:-}" ] || airlock_find_java
  command -v mvn >/dev/null 2>&1 || airlock_die "Maven is needed to build Airlock; install Maven 3.8 or newer (Debian: apt-get install maven)"
  if [ -z "${CC:-}" ] && ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
    airlock_die "a C compiler is needed to build Airlock's launcher; install one (Debian: apt-get install gcc)"
  fi
  local version
  version=$(airlock_java_version)
  [ -n "$version" ] && [ "$version" -ge 17 ] || airlock_die "Airlock needs Java 17 or newer; $AIRLOCK_JAVA is version ${version:-unknown} (set JAVA_HOME)"

  local log="$AIRLOCK_ROOT/target/airlock-build.log"
  mkdir -p "$AIRLOCK_ROOT/target"
  echo "airlock: building Airlock ($reason; takes a minute, log in target/airlock-build.log)" >&2
  if ! (cd "$AIRLOCK_ROOT" && JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$AIRLOCK_JAVA")")")}" \
        mvn -B -q -DskipTests -Dfmt.skip -pl client,daemon -am package >"$log" 2>&1); then
    grep -E '^\[ERROR\]|^airlock' "$log" | head -n 5 >&2
    airlock_die "the build failed; see $log"
  fi
  rm -f "$AIRLOCK_ROOT"/client/target/cds/*.jsa
}
