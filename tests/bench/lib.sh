# award — what the bench scripts share (sourced by tests/bench/*.sh, bash).
# Sets HERE (tests/bench), ROOT, BIN (AWARD_BIN_DIR, default build, made
# absolute), NGINX, WAIT_S and an empty AWARD_CONFIG (no installed
# configuration file leaks into the figures), and sources the integration
# helpers (tests/integration/lib.sh: start_app, start_nginx, start_stack,
# children_of, alive, stop_pid, ...). A script then calls bench_need for
# the commands it runs and bench_start for its directory $T, and sets
# BENCH to its name for messages.
#
# The figures of these scripts are printed, never asserted: the machine
# is shared, so only ratios within one run mean anything.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${AWARD_BIN_DIR:-build}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
WAIT_S=20
BENCH=${BENCH:-bench}
export AWARD_CONFIG=

# shellcheck source=../integration/lib.sh
. "$ROOT/tests/integration/lib.sh"

# fail MESSAGE: end the benchmark (the integration helpers call it too;
# what they left in $T/why is printed with it).
fail() {
	echo "$BENCH: $*" >&2
	[ -n "${T:-}" ] && [ -s "$T/why" ] && cat "$T/why" >&2
	exit 1
}

# bench_need CMD...: each CMD on PATH (its Debian package has its name);
# as root the missing ones are installed, otherwise the script exits with
# the line to run.
bench_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null && continue
		if [ "$(id -u)" = 0 ]; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				"$c" >/dev/null || fail "apt-get install $c failed"
		else
			echo "$BENCH: needs $c; as root run: apt-get install -y $c" >&2
			exit 1
		fi
	done
}

# bench_start: a fresh directory $T (removed at exit, after everything the
# integration helpers started is stopped, and the pids in PIDS), the
# helpers' settings, and a self-signed certificate for nginx ($CERT,
# $KEY).
bench_start() {
	T=$(mktemp -d "/tmp/award-$BENCH-XXXXXX")
	it_setup
	trap 'it_cleanup; rm -rf "$T"' EXIT
	CERT=$T/cert.pem
	KEY=$T/key.pem
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 1 -subj /CN=127.0.0.1 -keyout "$KEY" \
		-out "$CERT" 2>/dev/null || fail "openssl"
}

# bench_fresh: the last stack stopped; fresh database paths $DB (service)
# and $BOT (the bot's, a file of its own), no file left of the last run.
bench_fresh() {
	it_cleanup
	NGINX_PID= APP_PID=
	rm -f "$T"/*.db "$T"/*.db-*
	DB=$T/award.db
	BOT=$T/bot.db
}

# bench_seed FILE: the bot database the webhook benches run against: one
# contest running through 2026, plan_1m worth one ticket, and 100 000
# referred users (the even ids 2000002..2200000; webhook.lua's buyers
# are 2000000..2199999, so half of them are referred).
bench_seed() {
	sqlite3 "$1" "INSERT INTO contests VALUES ('bench',
		'2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', 0, 1);
		INSERT INTO plan_tickets VALUES ('plan_1m', 1);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
		  WHERE i < 100000)
		INSERT INTO user_referrals SELECT 2000000 + i * 2, 1,
		  '2026-01-01 00:00:00' FROM n;" || fail "seed $1"
}

# bench_warm URL [RUN]: two seconds of new orders at 8 connections, not
# measured (RUN keeps its order ids apart from the measured runs').
bench_warm() {
	RUN=${2:-warm} wrk -t2 -c8 -d2s -s "$HERE/webhook.lua" "$1" \
		>/dev/null 2>&1
}

# ms VALUE: a wrk latency (123.45us, 1.23ms, 1.02s, 1.00m) in milliseconds.
ms() {
	awk -v v="$1" 'BEGIN {
		u = v; sub(/^[0-9.]+/, "", u); n = v + 0
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000
		else if (u == "m") n *= 60000
		printf "%.2f", n }'
}

# wrk_read FILE: wrk's summary (run with --latency) in WRK_REQS (requests
# completed), WRK_RPS, WRK_P50, WRK_P99 (ms), WRK_BAD (non-2xx answers) and
# WRK_SERR (socket errors of all kinds); 0 for what wrk did not print.
wrk_read() {
	local p50 p99
	WRK_REQS=$(awk '/requests in/ { print $1 }' "$1")
	WRK_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$1")
	p50=$(awk '$1 == "50%" { print $2 }' "$1")
	p99=$(awk '$1 == "99%" { print $2 }' "$1")
	WRK_P50=$(ms "${p50:-0}")
	WRK_P99=$(ms "${p99:-0}")
	WRK_BAD=$(awk '/Non-2xx/ { print $NF }' "$1")
	WRK_SERR=$(awk '/Socket errors/ { gsub(",", "")
		print $4 + $6 + $8 + $10 }' "$1")
	WRK_REQS=${WRK_REQS:-0} WRK_RPS=${WRK_RPS:-0}
	WRK_BAD=${WRK_BAD:-0} WRK_SERR=${WRK_SERR:-0}
}
