#!/usr/bin/env bash
# award — integration tests: the real binaries behind a real nginx rendered
# from the shipped config (SPEC.md §9 `make test`). Not unit tests: every
# check is what a client, YooKassa or an admin observes — status codes,
# headers, JSON fields — or a row in the database.
#
# Usage: AWARD_BIN_DIR=build bash tests/integration/run.sh [NAME...]
#   NAME      run only the tests whose names contain one of these words
#   AWARD_IT_KEEP=1   keep the temp directory even when everything passed
#   AWARD_IT_TIMEOUT  seconds per test before it is killed (default 120)
# Prints "PASS name" / "FAIL name: why" per test, then "N passed, N failed";
# exits 1 when any test failed. Logs of each test stay in the temp directory
# (named at the end) when something failed.
set -u
# No installed configuration file leaks into any binary a test starts.
export AWARD_CONFIG=

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FIXTURES=$ROOT/tests/fixtures

# ---------------------------------------------------------------- one test
# run.sh --one NAME DIR: run a single test in this process (under timeout).
if [ "${1:-}" = --one ]; then
	name=$2
	T=$3
	# shellcheck source=lib.sh
	. "$HERE/lib.sh"
	it() { :; }
	for f in "$HERE"/test_*.sh; do
		. "$f"
	done
	it_setup
	trap it_cleanup EXIT
	trap 'echo "killed by timeout" >"$T/why"; exit 124' TERM
	"t_$name"
	exit 0
fi

# ---------------------------------------------------------------- all tests
BIN=${AWARD_BIN_DIR:-build}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
LIMIT=${AWARD_IT_TIMEOUT:-120}
# Slow machines and sanitizer builds need longer start-up waits.
WAIT_S=20

missing=
for c in curl sqlite3 openssl timeout awk sed; do
	command -v "$c" >/dev/null || missing="$missing $c"
done
[ -x "$NGINX" ] || missing="$missing nginx"
if [ -n "$missing" ]; then
	echo "integration: missing tools:$missing (apt-get install -y$missing)" >&2
	exit 1
fi
for b in award-fcgi award-retry award-reconcile; do
	if [ ! -x "$BIN/$b" ]; then
		echo "integration: $BIN/$b not built (run make)" >&2
		exit 1
	fi
done

TOP=$(mktemp -d "${TMPDIR:-/tmp}/award-it.XXXXXX") || exit 1
chmod 700 "$TOP"
CERT=$TOP/cert.pem
KEY=$TOP/key.pem
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	-nodes -days 2 -subj /CN=127.0.0.1 -keyout "$KEY" -out "$CERT" \
	>"$TOP/openssl.log" 2>&1; then
	echo "integration: openssl failed: $(tail -n 2 "$TOP/openssl.log")" >&2
	exit 1
fi
export ROOT BIN NGINX FIXTURES CERT KEY WAIT_S

TESTS=()
it() { TESTS+=("$1"); }
for f in "$HERE"/test_*.sh; do
	# shellcheck disable=SC1090
	. "$f"
done

selected() {
	local w
	[ $# -gt 1 ] || return 0
	for w in "${@:2}"; do
		[[ $1 == *"$w"* ]] && return 0
	done
	return 1
}

# A test killed by the timeout had no chance to stop what it started: stop
# each pid it recorded whose command line still names its directory.
reap_leftovers() {
	local pid cmd
	[ -s "$1/pids" ] || return 0
	while read -r pid; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
		[[ $cmd == *"$1"* ]] && kill -KILL "$pid" 2>/dev/null
	done <"$1/pids"
	return 0
}

passed=0
failed=0
n=0
interrupted=
trap 'interrupted=1' INT TERM
for name in "${TESTS[@]}"; do
	selected "$name" "$@" || continue
	n=$((n + 1))
	dir=$TOP/$n
	mkdir -p "$dir"
	t0=$EPOCHREALTIME
	timeout -k 10 "$LIMIT" bash "$HERE/run.sh" --one "$name" "$dir" \
		>"$dir/test.log" 2>&1 </dev/null &
	tpid=$!
	wait "$tpid"
	rc=$?
	if [ -n "$interrupted" ]; then
		# timeout passes the signal on to the test's process group.
		kill -TERM "$tpid" 2>/dev/null
		wait "$tpid"
		reap_leftovers "$dir"
		echo "interrupted during $name; logs kept in $TOP"
		echo "$passed passed, $((failed + 1)) failed"
		exit 130
	fi
	reap_leftovers "$dir"
	took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	if [ "$rc" = 0 ] && [ ! -s "$dir/why" ]; then
		echo "PASS $name (${took} s)"
		passed=$((passed + 1))
	else
		if [ -s "$dir/why" ]; then
			why=$(<"$dir/why")
		elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			why="timed out after ${LIMIT}s"
		else
			why="exit $rc: $(tail -n 1 "$dir/test.log")"
		fi
		echo "FAIL $name: $why (${took} s; logs: $dir)"
		failed=$((failed + 1))
	fi
done

if [ "$failed" = 0 ] && [ -z "${AWARD_IT_KEEP:-}" ]; then
	rm -rf "$TOP"
else
	echo "logs kept in $TOP"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
