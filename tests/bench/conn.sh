#!/usr/bin/env bash
# award — the worker's FastCGI connections under load (issue 14): the
# webhook (new orders) through the shipped nginx config with
# fastcgi_keep_conn on (as shipped) and off (render.sh --keep-conn off, a
# connection per request), and the system calls of the worker per request
# (strace -c -f over one fixed wrk run, divided by the requests wrk
# counted). With AWARD_BENCH_BEFORE=DIR the same rows for the award-fcgi
# in DIR, interleaved in the same run: compare ratios within one run only.
#
# Usage: AWARD_BIN_DIR=build bash tests/bench/conn.sh [seconds per run]
# Needs wrk and strace (Debian packages).
BENCH=conn.sh
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
THIS=$BIN
DUR=${1:-8}

bench_need wrk strace
bench_start

# stack BINDIR KEEP: fresh databases, the responder of BINDIR, nginx.
stack() {
	bench_fresh
	BIN=$1
	WORKERS=1
	APP_ENV=(AWARD_LOG_LEVEL=warn AWARD_THREADS=32)
	RENDER_ARGS=(--keep-conn "$2")
	start_stack
	seed_contest bench
	seed_plans
}

RUNS=0
# row LABEL: one wrk run for req/s, then one under strace for syscalls.
row() {
	local w out=$T/wrk.txt rps reqs calls p99
	w=$(children_of "$APP_PID")
	RUNS=$((RUNS + 1))
	RUN=$RUNS wrk -t2 -c32 -d"${DUR}s" --latency -s "$HERE/webhook.lua" \
		"$HTTP/v1/payments/webhook" >"$out" 2>&1
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	p99=$(awk '$1 == "99%" { print $2 }' "$out")
	strace -c -f -q -p "$w" -o "$T/strace.txt" 2>/dev/null &
	local sp=$!
	sleep 1
	RUNS=$((RUNS + 1))
	RUN=$RUNS wrk -t2 -c32 -d3s -s "$HERE/webhook.lua" \
		"$HTTP/v1/payments/webhook" >"$out" 2>&1
	kill -INT "$sp"
	wait "$sp" 2>/dev/null
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	calls=$(awk '$NF == "total" { print $(NF - 2) }' "$T/strace.txt")
	printf "  %-26s %9.0f %8s %10.1f   %s\n" "$1" "$rps" "$p99" \
		"$(awk -v a="${calls:-0}" -v b="${reqs:-1}" \
		'BEGIN { print a / b }')" "$(awk 'NR > 2 && $NF != "total" &&
		$NF !~ /^-/ { printf "%s:%s ", $NF, $4 }' "$T/strace.txt" |
		head -c 160)"
	cp "$T/strace.txt" "$T/strace-$RUNS.txt"
}

echo "== the webhook through nginx, wrk -t2 -c32, ${DUR}s per run, FULL"
printf "  %-26s %9s %8s %10s   %s\n" build req/s p99 "calls/req" \
	"calls by kind (strace -c -f, under strace)"
for keep in off on; do
	if [ -n "${AWARD_BENCH_BEFORE:-}" ]; then
		stack "$(cd "$AWARD_BENCH_BEFORE" && pwd)" "$keep"
		row "before, keep_conn $keep"
	fi
	stack "$THIS" "$keep"
	row "this, keep_conn $keep"
done
