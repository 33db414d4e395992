# Shared by bin/jrcu and bin/jcstress (sourced, not run): find a JDK 25+, rebuild a
# runnable jar when it is missing or older than its sources, then exec it.
# shellcheck shell=bash

JRCU_MIN_JAVA=25
JRCU_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

jrcu_die() {
    printf '%s\n' "$*" >&2
    exit 1
}

# Feature version ("25") of the java binary $1, or nothing if it does not run.
jrcu_java_feature() {
    local out v
    out=$("$1" -version 2>&1) || return 0
    v=$(printf '%s\n' "$out" | sed -n 's/^.* version "\([^"]*\)".*$/\1/p' | head -n 1)
    case $v in 1.*) v=${v#1.} ;; esac      # 1.8.0_x -> 8
    v=${v%%[!0-9]*}                         # 25.0.1 / 25-ea -> 25
    printf '%s' "$v"
}

# Sets JRCU_JDK to the home of a JDK >= $JRCU_MIN_JAVA: $JAVA_HOME, then java on PATH,
# then the newest one under the usual install dirs. Exits 1 with a message otherwise.
jrcu_find_jdk() {
    local found=() seen=" " java real feature home best="" best_feature=0

    # consider <java binary> <preferred: 1 = take it if good enough>
    consider() {
        [ -x "$1" ] || return 1
        real=$(readlink -f "$1" 2>/dev/null || printf '%s' "$1")
        case $seen in *" $real "*) return 1 ;; esac
        seen="$seen$real "
        feature=$(jrcu_java_feature "$real")
        home=$(dirname "$(dirname "$real")")
        found+=("$home (${feature:-unknown})")
        [ -n "$feature" ] && [ "$feature" -ge "$JRCU_MIN_JAVA" ]
    }

    if [ -n "${JAVA_HOME:-}" ]; then
        if consider "$JAVA_HOME/bin/java"; then
            JRCU_JDK=$home; return 0
        fi
        [ -x "$JAVA_HOME/bin/java" ] || found+=("JAVA_HOME=$JAVA_HOME (no bin/java)")
    fi
    if java=$(command -v java 2>/dev/null) && consider "$java"; then
        JRCU_JDK=$home; return 0
    fi
    local dir
    for dir in /usr/lib/jvm/* /opt/java/* /usr/java/* "${HOME:-}"/.sdkman/candidates/java/* "${HOME:-}"/.jdks/*; do
        [ -d "$dir" ] || continue
        if consider "$dir/bin/java" && [ "$feature" -gt "$best_feature" ]; then
            best=$home; best_feature=$feature
        fi
    done
    if [ -n "$best" ]; then
        JRCU_JDK=$best; return 0
    fi
    local list="none"
    [ ${#found[@]} -gt 0 ] && list=$(IFS=,; printf '%s' "${found[*]}" | sed 's/,/, /g')
    jrcu_die "jrcu needs JDK $JRCU_MIN_JAVA or newer; found: $list; install one or set JAVA_HOME"
}

# True if jar $1 is missing or older than any of the other paths (files or directories).
jrcu_stale() {
    local jar=$1; shift
    [ -f "$jar" ] || return 0
    [ -n "$(find "$@" -newer "$jar" -print -quit 2>/dev/null)" ]
}

# jrcu_ensure_jar <jar> <module> <source paths...>: (re)build <module> and what it needs
# with Maven on $JRCU_JDK when <jar> is missing or stale.
jrcu_ensure_jar() {
    local jar=$1 module=$2; shift 2
    local inputs=("$JRCU_ROOT"/pom.xml "$JRCU_ROOT"/*/pom.xml "$@")
    jrcu_stale "$jar" "${inputs[@]}" || return 0
    command -v mvn >/dev/null 2>&1 || jrcu_die "$jar is missing or stale and mvn is not on PATH to build it"
    mkdir -p "$JRCU_ROOT/target"
    (
        # one build at a time; a waiting caller re-checks and usually finds the jar fresh
        if command -v flock >/dev/null 2>&1; then
            exec 9>"$JRCU_ROOT/target/.bin-build.lock"
            flock 9
        fi
        jrcu_stale "$jar" "${inputs[@]}" || exit 0
        printf 'building %s…\n' "$module" >&2
        cd "$JRCU_ROOT"
        log=target/bin-build.log
        # Maven's own guava uses sun.misc.Unsafe; JDK 24+ warns about it unless allowed.
        if ! JAVA_HOME=$JRCU_JDK MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
            mvn -q -B -DskipTests -pl "$module" -am package >"$log" 2>&1; then
            cat "$log" >&2
            exit 1
        fi
    ) || jrcu_die "building $module failed (mvn -q -DskipTests -pl $module -am package)"
    [ -f "$jar" ] || jrcu_die "build finished but $jar is missing"
}
