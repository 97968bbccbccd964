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
#   AWARD_IT_JOBS     tests run at a time (default 1: one after another,
#                     as CI runs them); 2 runs the others in pairs, the
#                     tests in SERIAL below always alone
# Prints "PASS name" / "FAIL name: why" per test, in the order of the test
# files whatever ran beside it, then "N passed, N failed"; exits 1 when any
# test failed. Logs of each test stay in the temp directory (named at the
# end) when something failed.
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

# Tests that run alone even when others run two at a time: what they
# check depends on time or load, and a neighbour would change either.
# Races whose every outcome is checked as right (concurrent deliveries,
# SIGKILL or a retry run amid requests) do not depend on it and are not
# here; a test added to the suite is one of them unless listed.
SERIAL=(
	# a deadline, a Retry-After, a watchdog or CPU time over a window
	watchdog_needs_progress boot_sd_notify emfile_backs_off
	read_deadline_frees_threads deaf_peer_closed_worker_serves
	edge_slow_header_dropped slowheader_stranger_cannot_starve
	retry_lock_held retry_backoff_dead reconcile_rate_limited
	reconcile_one_run_at_a_time reconcile_database_outage
	admin_views_under_foreign_lock webhook_db_unavailable separate_bot_db
	bot_db_locked_retry_run bot_db_locked_worker_restart
	# a slow peer or a signal timed against requests in flight
	boot_sighup_reload sigterm_mid_body sigterm_loses_nothing
	# load, storms and rate limits: how fast requests arrive matters
	keepalive_requests_answered_no_fd_leak stalled_connections_do_not_starve
	edge_flood_rate_limited edge_flood_conn_limited admin_rate_limited
	group_mixed_concurrent installed_stack backup_under_load
	ops_backup_snapshot_instant
	# power loss: a storm of requests cut at a moment
	powerloss_wal_sync_one_file powerloss_wal_write_two_files
	powerloss_checkpoint_two_files powerloss_moment_two_files
	powerloss_normal_loses_answered_awards
)
JOBS=${AWARD_IT_JOBS:-1}
if ! [[ $JOBS =~ ^[1-9][0-9]?$ ]]; then
	echo "integration: AWARD_IT_JOBS must be 1 to 99, not '$JOBS'" >&2
	exit 1
fi
declare -A IS_TEST=() IS_SERIAL=()
for name in "${TESTS[@]}"; do
	IS_TEST[$name]=1
done
for name in "${SERIAL[@]}"; do
	if [ -z "${IS_TEST[$name]:-}" ]; then
		echo "integration: SERIAL names no test: $name" >&2
		exit 1
	fi
	IS_SERIAL[$name]=1
done

RUN=()
for name in "${TESTS[@]}"; do
	selected "$name" "$@" && RUN+=("$name")
done
# The order they start in: with more than one at a time, the serial ones
# first, one after another, then the others (a serial test in the middle
# would wait for a slot to drain, idle); their lines still come in the
# order of RUN.
ORDER=()
for ((i = 0; i < ${#RUN[@]}; i++)); do
	[ "$JOBS" = 1 ] || [ -n "${IS_SERIAL[${RUN[i]}]:-}" ] && ORDER+=("$i")
done
if [ "$JOBS" != 1 ]; then
	for ((i = 0; i < ${#RUN[@]}; i++)); do
		[ -n "${IS_SERIAL[${RUN[i]}]:-}" ] || ORDER+=("$i")
	done
fi

# start_test I: the I-th test of RUN in the background, in $TOP/(I+1).
start_test() {
	local dir=$TOP/$(($1 + 1))
	mkdir -p "$dir"
	T0[$1]=$EPOCHREALTIME
	timeout -k 10 "$LIMIT" bash "$HERE/run.sh" --one "${RUN[$1]}" "$dir" \
		>"$dir/test.log" 2>&1 </dev/null &
	TEST_OF[$!]=$1
	running=$((running + 1))
	[ -z "${IS_SERIAL[${RUN[$1]}]:-}" ] || alone=1
}

# report I: the I-th test's line, from its exit status and directory.
report() {
	local name=${RUN[$1]} dir=$TOP/$(($1 + 1)) rc=${RC[$1]} why
	if [ "$rc" = 0 ] && [ ! -s "$dir/why" ]; then
		echo "PASS $name (${TOOK[$1]} s)"
		passed=$((passed + 1))
	else
		if [ -s "$dir/why" ]; then
			why=$(<"$dir/why")
		elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			why="timed out after ${LIMIT}s"
		else
			why="exit $rc: $(tail -n 1 "$dir/test.log")"
		fi
		echo "FAIL $name: $why (${TOOK[$1]} s; logs: $dir)"
		failed=$((failed + 1))
	fi
}

# finish PID RC: the test that PID ran ended with RC; its time is taken now.
finish() {
	local i=${TEST_OF[$1]}
	unset "TEST_OF[$1]"
	running=$((running - 1))
	[ -z "${IS_SERIAL[${RUN[i]}]:-}" ] || alone=
	RC[i]=$2
	TOOK[i]=$(awk -v a="${T0[i]}" -v b="$EPOCHREALTIME" \
		'BEGIN { printf "%.1f", b - a }')
	reap_leftovers "$TOP/$((i + 1))"
}

passed=0
failed=0
interrupted=
trap 'interrupted=1' INT TERM
declare -A TEST_OF=()
T0=() RC=() TOOK=()
running=0	# tests in the background
alone=		# one of them is serial: nothing starts beside it
next=0		# ORDER[next]: the next test of RUN to start
shown=0		# the tests of RUN reported so far
while [ "$shown" -lt "${#RUN[@]}" ]; do
	while [ "$next" -lt "${#ORDER[@]}" ] && [ "$running" -lt "$JOBS" ] &&
		[ -z "$alone" ]; do
		[ -n "${IS_SERIAL[${RUN[ORDER[next]]}]:-}" ] &&
			[ "$running" -gt 0 ] && break
		start_test "${ORDER[next]}"
		next=$((next + 1))
	done
	done_pid=
	wait -n -p done_pid
	rc=$?
	if [ -n "${done_pid:-}" ] && [ -n "${TEST_OF[$done_pid]:-}" ]; then
		finish "$done_pid" "$rc"
	elif [ -z "$interrupted" ]; then
		echo "integration: lost track of the tests (wait: $rc)" >&2
		exit 1
	fi
	if [ -n "$interrupted" ]; then
		# timeout passes the signal on to the test's process group.
		for pid in "${!TEST_OF[@]}"; do
			kill -TERM "$pid" 2>/dev/null
		done
		wait
		stopped=
		for pid in "${!TEST_OF[@]}"; do
			i=${TEST_OF[$pid]}
			reap_leftovers "$TOP/$((i + 1))"
			stopped="$stopped ${RUN[i]}"
		done
		for ((i = shown; i < ${#RUN[@]}; i++)); do
			[ -z "${RC[i]:-}" ] || report "$i"
		done
		echo "interrupted during$stopped; logs kept in $TOP"
		echo "$passed passed, $((failed + ${#TEST_OF[@]})) failed"
		exit 130
	fi
	while [ "$shown" -lt "${#RUN[@]}" ] && [ -n "${RC[shown]:-}" ]; do
		report "$shown"
		shown=$((shown + 1))
	done
done

if [ "$failed" = 0 ] && [ -z "${AWARD_IT_KEEP:-}" ]; then
	rm -rf "$TOP"
else
	echo "logs kept in $TOP"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
