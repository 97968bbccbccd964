#!/usr/bin/env bash
# award benchmarks (make bench). Every figure is a ratio against a limit
# measured in the same run on the same machine, because this machine is
# shared and absolute times wander:
#
#  1. bench_award: the award transaction against a bare one-row durable
#     SQLite transaction, for new and duplicate orders; memory as peak RSS
#     after thousands of awards against after warm-up.
#  2. The webhook through the shipped nginx config (rendered as make run
#     does), service and bot databases in separate files, for FULL and
#     NORMAL, at 1, 8, 32 and 128 connections, against the per-commit
#     floor: award_apply() of new orders, one durable transaction each, no
#     HTTP (bench_award floor), measured just before. Prints req/s and its
#     ratio to the floor, p50, p99, the writer's mean group size (from
#     /v1/admin/metrics), the peak RSS of all the responder's processes,
#     non-2xx answers and socket errors, and ledger rows per 200.
#  3. The defaults: AWARD_WORKERS x AWARD_THREADS at 32 connections, FULL.
#  4. award-retry draining 100000 due rows at FULL, rows/s against the
#     floor; and award-retry on an empty queue with 100000 done rows
#     against a process that only opens the database (sqlite3 'select 1').
#
# Usage: AWARD_BIN_DIR=build bash tests/bench/run.sh [seconds per run]
#   AWARD_BENCH_BEFORE=DIR  also run the 32-connection rows of section 2
#       with the award-fcgi in DIR (an older build, with its own default of
#       one worker process per CPU), in the same run, for a before/after
#       table: git worktree add ../before REV && make -C ../before &&
#       AWARD_BENCH_BEFORE=../before/build make bench
BENCH=bench
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DUR=${1:-8}
FLOOR_N=${FLOOR_N:-3000}

bench_need wrk

echo "== 1. the award transaction (tests/bench/bench_award.c)"
"$BIN/bench/bench_award" 3000 2>/dev/null || exit 1

bench_start

# rss_total: VmRSS of the supervisor and its workers, kB.
rss_total() {
	local k s=0 r
	for k in "$APP_PID" $(children_of "$APP_PID"); do
		r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$k/status" 2>/dev/null)
		s=$((s + ${r:-0}))
	done
	echo "$s"
}

# metric NAME: the value of one series of /v1/admin/metrics (0 if none).
metric() {
	curl -sk -m 10 -H "Authorization: Bearer $ADMIN_TOKEN" \
		"$HTTPS/v1/admin/metrics" |
		awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}

# stack SYNC WORKERS THREADS: a fresh pair of databases and the stack.
stack() {
	bench_fresh
	WORKERS=$2
	APP_ENV=(AWARD_LOG_LEVEL=warn "AWARD_BOT_DB=$BOT"
		"AWARD_SYNCHRONOUS=$1" AWARD_UNSAFE_NORMAL=1 "AWARD_THREADS=$3")
	start_stack
	bench_seed "$BOT"
}

# load CONNS: one wrk run of new orders; prints one table row.
load() {
	local c=$1 out=$T/wrk.txt peak=0 r g0 s0 g1 s1 rows0 rows1 ok
	g0=$(metric award_writer_group_jobs_count)
	s0=$(metric award_writer_group_jobs_sum)
	rows0=$(sqlite3 "$BOT" "SELECT count(*) FROM ticket_ledger WHERE
		reason = 'SELF_PURCHASE'")
	RUNS=$((RUNS + 1))
	RUN=$RUNS wrk -t$((c < 2 ? 1 : 2)) -c"$c" -d"${DUR}s" --latency \
		-s "$HERE/webhook.lua" \
		"$HTTP/v1/payments/webhook" >"$out" 2>&1 &
	local wpid=$!
	while alive "$wpid"; do
		r=$(rss_total)
		[ "$r" -gt "$peak" ] && peak=$r
		sleep 0.5
	done
	wait "$wpid"
	g1=$(metric award_writer_group_jobs_count)
	s1=$(metric award_writer_group_jobs_sum)
	rows1=$(sqlite3 "$BOT" "SELECT count(*) FROM ticket_ledger WHERE
		reason = 'SELF_PURCHASE'")
	wrk_read "$out"
	ok=$((WRK_REQS - WRK_BAD))
	printf "  %-7s %5s %9.0f %6.2f %8s %8s %7.1f %8s %6s %6s %8s\n" \
		"$SYNC" "$c" "$WRK_RPS" "$(awk -v a="$WRK_RPS" -v b="$FLOOR" \
		'BEGIN { print a / b }')" "$WRK_P50" "$WRK_P99" \
		"$(awk -v a=$((s1 - s0)) -v b=$((g1 - g0)) \
		'BEGIN { print (b > 0 ? a / b : 0) }')" "$((peak / 1024))MB" \
		"$WRK_BAD" "$WRK_SERR" "$(awk -v a=$((rows1 - rows0)) \
		-v b="$ok" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
}

RUNS=0
HEAD="  sync    conns     req/s  /floor  p50(ms)  p99(ms)  group   peakRSS  non2xx sockerr rows/200"

echo
echo "== 2. the webhook through nginx, new orders (wrk -t2, ${DUR}s per run)"
for SYNC in FULL NORMAL; do
	FLOOR=$("$BIN/bench/bench_award" floor "$SYNC" "$FLOOR_N" |
		awk '{ print $2 }')
	echo "  per-commit floor, $SYNC: $FLOOR awards/s (one durable" \
		"transaction each, no HTTP)"
	echo "$HEAD"
	stack "$SYNC" 1 32
	bench_warm "$HTTP/v1/payments/webhook"
	for c in 1 8 32 128; do
		load "$c"
	done
	if [ -n "${AWARD_BENCH_BEFORE:-}" ]; then
		NOW_BIN=$BIN
		BIN=$(cd "$AWARD_BENCH_BEFORE" && pwd)
		stack "$SYNC" "$(nproc)" 32
		BIN=$NOW_BIN
		bench_warm "$HTTP/v1/payments/webhook"
		printf "  before:"
		SYNC=${SYNC:0:6} load 32
	fi
done

echo
echo "== 3. AWARD_WORKERS x AWARD_THREADS, FULL, 32 connections"
SYNC=FULL
FLOOR=$("$BIN/bench/bench_award" floor FULL "$FLOOR_N" | awk '{ print $2 }')
echo "  per-commit floor, FULL: $FLOOR awards/s"
echo "  workers threads $HEAD"
for wt in "1 8" "1 32" "1 128" "2 32" "4 32"; do
	set -- $wt
	stack FULL "$1" "$2"
	bench_warm "$HTTP/v1/payments/webhook"
	printf "  %7s %7s" "$1" "$2"
	load 32
done

echo
echo "== 4. award-retry at FULL"
stack FULL 1 32
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1
	FROM n WHERE i < 100000)
	INSERT INTO failed_awards(kind, status, attempts, order_id,
	  telegram_id, plan_id, order_created_at, created_at, updated_at,
	  last_attempt_at, next_attempt_at, next_attempt_ms)
	SELECT 'award', 'pending', 1, 'due-' || i, 3000000 + i, 'plan_1m',
	  '2026-11-27T10:51:17.000Z', '2026-11-27T10:51:17.000Z',
	  '2026-11-27T10:51:17.000Z', '2026-11-27T10:51:17.000Z',
	  '2026-11-27T10:56:17.000Z', 0 FROM n;" || fail "seed queue"
t0=$(date +%s%N)
AWARD_LOG_LEVEL=warn "$BIN/award-retry" --db "$DB" --bot-db "$BOT" \
	--limit 100000 || fail "award-retry drain"
t1=$(date +%s%N)
done_rows=$(sqlite3 "$DB" "SELECT count(*) FROM failed_awards WHERE
	status = 'done' AND outcome = 'awarded'")
awk -v n="$done_rows" -v t=$((t1 - t0)) -v f="$FLOOR" 'BEGIN {
	r = n / (t / 1e9)
	printf "  drained %d due rows in %.2f s: %.0f rows/s, ratio to the" \
	    " per-commit floor %.2f\n", n, t / 1e9, r, r / f }'
t0=$(date +%s%N)
for _ in $(seq 20); do sqlite3 "$DB" 'select 1' >/dev/null; done
t1=$(date +%s%N)
for _ in $(seq 20); do
	AWARD_LOG_LEVEL=warn "$BIN/award-retry" --db "$DB" --bot-db "$BOT" ||
		fail "award-retry"
done
t2=$(date +%s%N)
awk -v a=$((t1 - t0)) -v b=$((t2 - t1)) 'BEGIN {
	printf "  empty queue, 100000 done rows: sqlite3 select 1 %.2f ms/run" \
	    " (the limit), award-retry %.2f ms/run, ratio %.2f\n",
	    a / 20e6, b / 20e6, b / a }'
