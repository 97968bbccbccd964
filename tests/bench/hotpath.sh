#!/usr/bin/env bash
# award — the hot path against its transport (issue 14), part of make bench.
# Not a timed test: every figure is printed, none is asserted, and each is
# compared only with figures of the same run (the machine is shared).
#
# Rows, each behind the same nginx rendered from the shipped config, each
# with fastcgi_keep_conn off and on (a bench-only rendering: the upstream
# gets `keepalive KEEPALIVE;` and every fastcgi_pass `fastcgi_keep_conn on`,
# or both are taken out, whatever the shipped file says):
#   empty    tests/bench/empty_fcgi: libfcgi, 32 threads, reads the body,
#            answers {} — the transport ceiling every other row is a ratio to
#   FULL     award-fcgi, one worker, 32 threads, AWARD_SYNCHRONOUS=FULL,
#            the shipped log level (info: a line per request and per award)
#   NORMAL   the same at NORMAL (with AWARD_UNSAFE_NORMAL=1)
#   FULL-1file  FULL with AWARD_BOT_DB unset (its default): the bot's
#            tables in the service database, one WAL to sync a commit; the
#            other award rows have the bot's database as a file of its own,
#            as a deployment beside a bot has (also NORMAL-1file)
#   nodb     (not by default) award-fcgi with the SQL taken out of its
#            writer (build/bench/award-fcgi-nodb, tests/bench/nodb_job.c:
#            every award answered "awarded", nothing written), NORMAL, one
#            file: what the rest of the path costs, beside the empty row
#   before   (AWARD_BENCH_BEFORE=DIR) FULL and NORMAL with DIR/award-fcgi
#   node     the Node.js original (tests/bench/node_original/server.js),
#            direct (no nginx, so no keep_conn: one row), on its own copy
#            of the bot tables made from schema.sql and seeded as for the
#            others; its req/s, p50/p99 and CPU µs per request of the node
#            process, and after the run the ledger rows it wrote (none is
#            a failure: a baseline that answers 200 without writing would
#            be a lie). Then FULL ÷ node and NORMAL ÷ node.
#   node-NORMAL  (not by default) the same at synchronous=NORMAL, to see
#            how much of node's figure is its fsyncs
# For each: req/s (wrk -t2 -cCONNS, DUR s, new orders as in webhook.lua),
# the ratio to the empty row of the same keep_conn setting, p50/p99, CPU µs
# per request in the responder and in nginx (utime+stime from /proc/PID/stat
# over the timed run; wrk's own from bash's time), the machine's idle
# share over the timed run (idle%, iowait counted idle), "@busy": the
# ratio the row would have with the CPUs as busy as in the empty row (its
# ratio × the empty row's busy share ÷ its own; it tells CPU spent per
# request from CPU left idle), and the system calls per request of the responder
# by kind (strace -c -f over STRACE_N requests, a separate run: strace
# slows everything, so those runs give counts, never times).
# 5b: FULL with kept connections once more, with tests/bench/io_time.so
# preloaded: the writer thread's wall time in fdatasync and in pwrite, per
# commit and as shares of the run (HOT_IO="" skips it).
# First, bench_award's floor (NORMAL) with malloc as the worker sets it and
# with glibc's defaults, alternated. Then memory: the peak RSS (sum of VmHWM) of every process, nginx's
# included, and the RSS of all processes after each count of HOT_MEM_REQS
# requests on one FULL stack (bounded memory: the last over the first).
#
# Usage: AWARD_BIN_DIR=build bash tests/bench/hotpath.sh
#   HOT_DUR=8  HOT_CONNS=32  HOT_STRACE_N=2000  HOT_KEEPALIVE=16  FLOOR_N=3000
#   HOT_ROWS="empty FULL NORMAL FULL-1file node" (any of these, or before-FULL,
#   before-NORMAL, before-FULL-1file, before-NORMAL-1file; empty: none;
#   node by default when a Debian node with node-sqlite3 can be had, see
#   node_original/node.sh; else a line says why)
#   HOT_MEM_REQS="100000 300000"  (the issue's check: "100000 1000000",
#   about 6 more minutes; "" skips the memory part)
#   AWARD_BENCH_BEFORE=DIR  an older build's directory, for before/after
#   HOT_ROUNDS=1  run the rows (all but node) this many times, interleaved:
#   round after round, each row's ratio to the empty row of its own round;
#   then the median req/s and median ratio of each row (the empty row's
#   own figure moves by a third between runs on a shared machine; syscalls
#   are counted in the first round only)
#   HOT_KEEP="off on"  the fastcgi_keep_conn settings to run
#   HOT_SCHED=1  in the first round, 3 s of each timed run under perf's
#   scheduler events (perf record -a), read by tests/bench/sched_idle.py:
#   how much of the idle CPU time had a runnable task waiting on another
#   CPU, which tasks waited, and their wakeup-to-run times
BENCH=hotpath
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=node_original/node.sh
. "$HERE/node_original/node.sh"
DUR=${HOT_DUR:-8}
CONNS=${HOT_CONNS:-32}
STRACE_N=${HOT_STRACE_N:-2000}
KEEPALIVE=${HOT_KEEPALIVE:-16}
MEM_REQS=${HOT_MEM_REQS-100000 300000}
FLOOR_N=${FLOOR_N:-3000}
ROUNDS=${HOT_ROUNDS:-1}
HZ=$(getconf CLK_TCK)

bench_need wrk strace
if [ -n "${HOT_SCHED:-}" ] && ! command -v perf >/dev/null; then
	[ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install \
		-y -qq linux-perf >/dev/null
	command -v perf >/dev/null ||
		fail "HOT_SCHED needs perf: as root run apt-get install -y linux-perf"
fi
[ -x "$BIN/bench/empty_fcgi" ] || fail "$BIN/bench/empty_fcgi not built (make bench)"
bench_start

# The responder's processes (the process started and its children) and
# nginx's (master and workers; none for the node row).
app_pids() { echo "$RESP_PID" $(children_of "$RESP_PID"); }
nginx_pids() {
	[ -n "$NGINX_PID" ] && echo "$NGINX_PID" $(children_of "$NGINX_PID")
}

# ticks PID...: utime + stime of the processes, in clock ticks.
ticks() {
	local p s=0 line
	for p in "$@"; do
		{ read -r line <"/proc/$p/stat"; } 2>/dev/null || continue
		line=${line##*) }
		set -- $line
		# after "comm)": state is field 1; utime, stime are 12, 13
		s=$((s + ${12} + ${13}))
	done
	echo "$s"
}

# kb FIELD PID...: the sum of /proc/PID/status FIELD (VmRSS, VmHWM), kB.
kb() {
	local f=$1 p s=0 r
	shift
	for p in "$@"; do
		r=$(awk -v f="$f:" '$1 == f { print $2 }' "/proc/$p/status" \
			2>/dev/null)
		s=$((s + ${r:-0}))
	done
	echo "$s"
}

# keep_conn on|off: re-render the running nginx's upstream use, reload it.
keep_conn() {
	local f=$T/nginx/award.conf old
	sed -i -e '/^[[:space:]]*keepalive [0-9]*;/d' \
		-e '/^[[:space:]]*fastcgi_keep_conn /d' "$f"
	if [ "$1" = on ]; then
		sed -i -e "s|^upstream award_fcgi {|&\n\tkeepalive $KEEPALIVE;|" \
			-e 's|^\([[:space:]]*\)fastcgi_pass award_fcgi;|&\n\1fastcgi_keep_conn on;|' \
			"$f"
		grep -q "keepalive $KEEPALIVE;" "$f" || fail "keepalive not rendered"
	fi
	old=$(children_of "$NGINX_PID")
	kill -HUP "$NGINX_PID"
	# The old workers leave once the new ones run.
	local n=$((WAIT_S * 20)) p
	for p in $old; do
		while alive "$p" && [ "$n" -gt 0 ]; do
			n=$((n - 1))
			sleep 0.05
		done
	done
	[ "$(curl -s -o /dev/null -w '%{http_code}' -m 5 "$HTTP/healthz")" = 200 ] ||
		fail "nginx does not answer after the reload"
}

# stack KIND [SYNC]: KIND empty, node, or award (SYNC FULL|NORMAL) with
# $BIN; sets URL, what wrk posts to.
stack() {
	bench_fresh	# stops award-fcgi (TERM, checked), nginx and PIDS
	if [ -n "${RESP_PID:-}" ]; then
		stop_pid "$RESP_PID" KILL
		forget_pid "$RESP_PID"
	fi
	RESP_PID=
	rm -f "$SOCK"
	if [ "$1" = node ]; then	# [SYNC]
		# The bot part of schema.sql: the tables, as award-fcgi makes
		# them in a bot database.
		sed '/^-- @service/,$d' "$ROOT/schema.sql" | sqlite3 "$BOT" ||
			fail "node: schema"
		bench_seed "$BOT"
		local port
		port=$(pick_port) || fail "no free port"
		"${NODE_CMD[@]}" "$HERE/node_original/server.js" "$port" "$BOT" \
			"${2:-FULL}" >"$T/node.log" 2>&1 &
		RESP_PID=$!
		PIDS+=("$RESP_PID")
		URL=http://127.0.0.1:$port/v1/payments/webhook
		local n=$((WAIT_S * 20))
		until grep -q '^listening' "$T/node.log"; do
			alive "$RESP_PID" || fail "node exited: $(tail -n 3 "$T/node.log")"
			n=$((n - 1))
			[ "$n" -gt 0 ] || fail "node did not listen in ${WAIT_S}s"
			sleep 0.05
		done
		bench_warm "$URL"
		return
	fi
	if [ "$1" = empty ]; then
		"$BIN/bench/empty_fcgi" "unix:$SOCK" 32 2>>"$T/empty.log" &
		RESP_PID=$!
		PIDS+=("$RESP_PID")
		local n=$((WAIT_S * 20))
		until [ -S "$SOCK" ]; do
			n=$((n - 1))
			[ "$n" -gt 0 ] || fail "empty_fcgi made no socket"
			sleep 0.05
		done
	else
		WORKERS=1
		APP_ENV=(AWARD_LOG_LEVEL=info "AWARD_SYNCHRONOUS=$2"
			AWARD_THREADS=32)
		# ONE_FILE: AWARD_BOT_DB unset, its default: the bot's tables
		# in the service database, one WAL, one fdatasync a commit.
		if [ -n "${ONE_FILE:-}" ]; then
			BOT=$DB
		else
			APP_ENV+=("AWARD_BOT_DB=$BOT")
		fi
		# NORMAL is refused at start without it (docs/durability.md)
		[ "$2" = NORMAL ] && APP_ENV+=(AWARD_UNSAFE_NORMAL=1)
		APP_ENV+=("${STACK_ENV[@]}")
		start_app
		RESP_PID=$APP_PID
	fi
	start_nginx
	[ "$1" = empty ] || bench_seed "$BOT"
	URL=$HTTP/v1/payments/webhook
	bench_warm "$URL"
}

# send_n N OUT: N new orders (webhook.lua with LIMIT stops each wrk thread
# after its share); wrk waits out its duration even then, so it is interrupted (it
# prints its summary on SIGINT) once nginx's access log has N more lines.
send_n() {
	local n=$1 out=$2 log=$T/nginx/logs/access.log off size got=0 wpid k=0
	off=$(stat -c %s "$log")
	RUNS=$((RUNS + 1))
	RUN=$RUNS LIMIT=$n THREADS=2 wrk -t2 -c"$CONNS" -d3600s --timeout 10s \
		-s "$HERE/webhook.lua" "$HTTP/v1/payments/webhook" >"$out" 2>&1 &
	wpid=$!
	# The lines added since the last look, counted once each.
	while alive "$wpid" && [ "$got" -lt "$n" ]; do
		k=$((k + 1))
		# HOT_SEND_MAX seconds at most (a stalled responder)
		[ "$k" -lt $((${HOT_SEND_MAX:-900} * 5)) ] || break
		sleep 0.2
		size=$(stat -c %s "$log")
		got=$((got + $(tail -c +$((off + 1)) "$log" |
			head -c $((size - off)) | tr -dc '\n' | wc -c)))
		off=$size
	done
	kill -INT "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
}

RUNS=0
STACK_ENV=()
# busy_idle: the machine's CPU ticks so far, busy and idle (iowait is idle).
busy_idle() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i
		print t - $5 - $6, $5 + $6 }' /proc/stat
}

# timed NAME KEEP: one timed wrk run against $URL; prints the row, sets RPS
# (and ROW_RPS[NAME KEEP]), IDLE (the machine's idle share, %) and BOUND
# (the row's req/s at the empty row's busy share, over the empty row's;
# for the empty row, 1). The node row (KEEP "-") is direct: its ratio is
# to the empty row with keep_conn off, and it has no nginx column.
timed() {
	local out=$T/wrk.txt a0 a1 n0 n1 b0 i0 b1 i1 base busy
	RUNS=$((RUNS + 1))
	a0=$(ticks $(app_pids))
	n0=$(ticks $(nginx_pids))
	read -r b0 i0 < <(busy_idle)
	# wrk's own CPU too (bash's time: user and system seconds)
	{ TIMEFORMAT='%U %S'; time RUN=$RUNS wrk -t2 -c"$CONNS" -d"${DUR}s" \
		--timeout 5s --latency -s "$HERE/webhook.lua" "$URL" \
		>"$out" 2>&1; } 2>"$T/wrk.time"
	read -r b1 i1 < <(busy_idle)
	a1=$(ticks $(app_pids))
	n1=$(ticks $(nginx_pids))
	wrk_read "$out"
	RPS=$WRK_RPS
	ROW_RPS["$1 $2"]=$RPS
	IDLE=$(awk -v b=$((b1 - b0)) -v i=$((i1 - i0)) \
		'BEGIN { printf "%.1f", (b + i > 0 ? 100 * i / (b + i) : 0) }')
	busy=$(awk -v x="$IDLE" 'BEGIN { print 1 - x / 100 }')
	if [ "$1" = empty ]; then
		base=$RPS
		EMPTY_BUSY[$2]=$busy
	elif [ "$2" = - ]; then
		base=${EMPTY_RPS[off]:-$RPS}
	else
		base=${EMPTY_RPS[$2]:-$RPS}
	fi
	RATIO=$(awk -v a="$RPS" -v b="$base" \
		'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
	local ekey=$2
	[ "$2" = - ] && ekey=off
	BOUND=$(awk -v r="$RATIO" -v e="${EMPTY_BUSY[$ekey]:-$busy}" -v b="$busy" \
		'BEGIN { printf "%.3f", (b > 0 ? r * e / b : 0) }')
	printf "  %-13s %-4s %9.0f %6.2f %6.2f %5s %8s %8s %9.0f %9s %8.0f %6s %6s %6.1f" \
		"$1" "$2" "$RPS" "$RATIO" "$BOUND" "$IDLE" "$WRK_P50" \
		"$WRK_P99" \
		"$(awk -v t=$((a1 - a0)) -v n="$WRK_REQS" -v hz="$HZ" \
		'BEGIN { print (n > 0 ? t / hz * 1e6 / n : 0) }')" \
		"$(awk -v t=$((n1 - n0)) -v n="$WRK_REQS" -v hz="$HZ" -v x="$2" \
		'BEGIN { if (x == "-") print "-"
		  else printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')" \
		"$(awk -v n="$WRK_REQS" '{ print (n > 0 ? ($1 + $2) * 1e6 / n : 0) }' \
		"$T/wrk.time")" \
		"$WRK_BAD" "$WRK_SERR" "$(awk -v k="$(kb VmHWM $(app_pids) \
		$(nginx_pids))" 'BEGIN { print k / 1024 }')"
}

# node_count: NODE_SELF, NODE_INVITEE: the node row's ledger rows so far.
node_count() {
	NODE_SELF=$(sqlite3 -cmd '.timeout 5000' "$BOT" "SELECT count(*) FROM
		ticket_ledger WHERE reason = 'SELF_PURCHASE'")
	NODE_INVITEE=$(sqlite3 -cmd '.timeout 5000' "$BOT" "SELECT count(*)
		FROM ticket_ledger WHERE reason = 'INVITEE_PAYMENT'")
}

# node_row NAME: the node row's timed run, then the ledger rows it wrote; none
# ends the bench (a baseline answering 200 without writing would be a lie).
node_row() {
	local s0 i0
	node_count
	s0=$NODE_SELF i0=$NODE_INVITEE
	timed "$1" -
	echo "  (direct, no nginx; syscalls not counted)"
	node_count
	printf "    node's ledger: +%d SELF_PURCHASE, +%d INVITEE_PAYMENT rows" \
		$((NODE_SELF - s0)) $((NODE_INVITEE - i0))
	printf " for %d answers (%s SELF_PURCHASE rows per answer; what was in" \
		"$WRK_REQS" "$(awk -v a=$((NODE_SELF - s0)) -v b="$WRK_REQS" \
		'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
	echo " flight when wrk stopped is awarded too)"
	[ $((NODE_SELF - s0)) -gt 0 ] ||
		fail "the Node.js original awarded nothing:" \
			"$(tail -n 3 "$T/node.log"; tail -n 3 "$T/wrk.txt")"
}

# traced: STRACE_N requests with strace -c -f on the responder's
# processes; prints the system calls per request, most frequent first.
traced() {
	local p args=() spid
	for p in $(app_pids); do args+=(-p "$p"); done
	strace -c -f -o "$T/strace.txt" "${args[@]}" 2>/dev/null &
	spid=$!
	sleep 1
	HOT_SEND_MAX=${HOT_STRACE_MAX:-60} send_n "$STRACE_N" "$T/wrk-n.txt"
	kill -INT "$spid"
	wait "$spid" 2>/dev/null
	local sent
	sent=$(awk '/requests in/ { print $1 }' "$T/wrk-n.txt")
	awk -v n="${sent:-1}" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF == "total" {
		printf " %5.1f", $4 / n }' "$T/strace.txt"
	awk -v n="${sent:-1}" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" &&
		$4 / n >= 0.05 { printf "%s %.1f\n", $NF, $4 / n }' \
		"$T/strace.txt" | sort -k2,2 -nr | head -n 14 | tr '\n' ' ' |
		sed 's/^/ /'
	echo
}

echo "== 5a. malloc fixed at start (memtune.h) against glibc's defaults:" \
	"bench_award floor NORMAL $FLOOR_N, alternated, awards/s"
for _ in 1 2; do
	g=$(AWARD_BENCH_MALLOC=glibc "$BIN/bench/bench_award" floor NORMAL \
		"$FLOOR_N" | awk '{ print $2 }')
	m=$("$BIN/bench/bench_award" floor NORMAL "$FLOOR_N" | awk '{ print $2 }')
	echo "  glibc defaults $g, memtune $m: x$(awk -v a="$m" -v b="$g" \
		'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done

echo "== 5. the hot path against its transport (${DUR}s per row," \
	"wrk -t2 -c$CONNS; syscalls/req from strace -c -f over $STRACE_N" \
	"requests)"
printf "  %-13s %-4s %9s %6s %6s %5s %8s %8s %9s %9s %8s %6s %6s %6s  %s\n" \
	row keep req/s /empty @busy idle% "p50(ms)" "p99(ms)" "app-us/r" \
	"ngx-us/r" "wrk-us/r" non2xx sockerr peakMB \
	"syscalls/req: total, by kind"
declare -A EMPTY_RPS EMPTY_BUSY ROW_RPS ROUND_RPS ROUND_RATIO ROUND_BOUND
read -r -a rows <<<"${HOT_ROWS-empty FULL NORMAL FULL-1file node}"
[ -n "${AWARD_BENCH_BEFORE:-}" ] && [ -z "${HOT_ROWS+set}" ] &&
	rows+=(before-FULL before-NORMAL)
read -r -a keeps <<<"${HOT_KEEP:-off on}"
NOW_BIN=$BIN
KEYS=()
for ((round = 1; round <= ROUNDS; round++)); do
[ "$ROUNDS" -gt 1 ] && echo "  -- round $round of $ROUNDS"
for row in "${rows[@]}"; do
	case $row in
	node | node-NORMAL)
		[ "$round" = 1 ] || continue
		if ! node_find; then
			echo "  $row  skipped: $NODE_WHY"
			continue
		fi
		sync=FULL
		[ "$row" = node-NORMAL ] && sync=NORMAL
		stack node "$sync"
		node_row "$row"
		continue ;;
	empty) stack empty ;;
	nodb) # award-fcgi without SQL (tests/bench/nodb_job.c)
		[ -x "$BIN/bench/award-fcgi-nodb" ] ||
			fail "$BIN/bench/award-fcgi-nodb not built (make bench)"
		mkdir -p "$T/nodb"
		ln -sf "$BIN/bench/award-fcgi-nodb" "$T/nodb/award-fcgi"
		BIN=$T/nodb ONE_FILE=1 stack award NORMAL; BIN=$NOW_BIN ;;
	before-*) BIN=$(cd "$AWARD_BENCH_BEFORE" && pwd)
		case $row in
		*-1file) r=${row#before-}; ONE_FILE=1 stack award "${r%-1file}" ;;
		*) stack award "${row#before-}" ;;
		esac
		BIN=$NOW_BIN ;;
	*-1file) ONE_FILE=1 stack award "${row%-1file}" ;;
	*) stack award "$row" ;;
	esac
	for keep in "${keeps[@]}"; do
		keep_conn "$keep"
		spid=
		if [ -n "${HOT_SCHED:-}" ] && [ "$round" = 1 ]; then
			# 3 s of the timed run, from its second second
			(sleep 2; exec perf record -q -a -e sched:sched_switch \
				-e sched:sched_wakeup -o "$T/sched.data" -- \
				sleep 3 >/dev/null 2>&1) &
			spid=$!
		fi
		timed "$row" "$keep"
		[ "$row" = empty ] && EMPTY_RPS[$keep]=$RPS
		[ -n "${ROUND_RPS[$row $keep]+set}" ] || KEYS+=("$row $keep")
		ROUND_RPS["$row $keep"]+=" $RPS"
		ROUND_RATIO["$row $keep"]+=" $RATIO"
		ROUND_BOUND["$row $keep"]+=" $BOUND"
		# strace slows the run it watches: the first round only
		if [ "$round" = 1 ]; then traced; else echo; fi
		if [ -n "$spid" ]; then
			wait "$spid"
			perf script -i "$T/sched.data" 2>/dev/null |
				python3 "$HERE/sched_idle.py"
		fi
	done
done
done

# median X...: the middle value (the mean of the two middle ones).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
if [ "$ROUNDS" -gt 1 ]; then
	echo "== 5 over $ROUNDS rounds: each round runs every row once, in" \
		"order, and each row's ratio is to the empty row of its own" \
		"round; the medians"
	printf "  %-13s %-4s %9s %6s %6s   %s\n" row keep req/s /empty @busy \
		"each round: /empty"
	for key in "${KEYS[@]}"; do
		# shellcheck disable=SC2086
		printf "  %-13s %-4s %9.0f %6.2f %6.2f   %s\n" "${key% *}" \
			"${key#* }" "$(median ${ROUND_RPS[$key]})" \
			"$(median ${ROUND_RATIO[$key]})" \
			"$(median ${ROUND_BOUND[$key]})" \
			"$(printf '%s\n' ${ROUND_RATIO[$key]} |
			awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 }')"
	done
fi
# Against node (run in the first round only): each row's median req/s
# over the rounds (its one figure when there is one round).
if [ -n "${ROW_RPS[node -]:-}" ]; then
	for s in FULL NORMAL FULL-1file NORMAL-1file; do
		for keep in off on; do
			[ -n "${ROUND_RPS[$s $keep]:-}" ] || continue
			# shellcheck disable=SC2086
			printf "  %s ÷ node (keep_conn %s): %.2f\n" "$s" "$keep" \
				"$(awk -v a="$(median ${ROUND_RPS[$s $keep]})" \
				-v b="${ROW_RPS[node -]}" \
				'BEGIN { print (b > 0 ? a / b : 0) }')"
		done
	done
fi

# io_line TID: the last line io_time.so wrote for thread TID.
io_line() { awk -v t="$1" '$1 == t { l = $0 } END { print l }' "$T/io.txt"; }

# The writer's share of wall time in its syncs and pwrites (io_time.c),
# FULL with kept connections: the writer is the thread that synced most.
if [ -n "${HOT_IO-1}" ] && [ -f "$BIN/bench/io_time.so" ]; then
	echo "== 5b. the writer's wall time in fdatasync and pwrite (FULL," \
		"keep_conn on, io_time.so, ${DUR}s)"
	: >"$T/io.txt"
	STACK_ENV=("LD_PRELOAD=$BIN/bench/io_time.so" "IO_TIME_OUT=$T/io.txt")
	stack award FULL
	STACK_ENV=()
	keep_conn on
	wtid=$(awk '{ n[$1] = $3 } END { for (t in n) if (n[t] > m) {
		m = n[t]; w = t }; print w }' "$T/io.txt")
	before=$(io_line "$wtid")
	[ -n "$before" ] || before="$wtid 0 0 0 0 0"
	timed FULL-io on
	echo
	after=$(io_line "$wtid")
	awk -v a="$before" -v b="$after" -v rps="$RPS" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		dt = y[2] - x[2]; s = y[3] - x[3]; su = y[4] - x[4]
		p = y[5] - x[5]; pu = y[6] - x[6]
		if (x[2] == 0 || dt <= 0 || s <= 0) { print "  io_time.so saw no writer"; exit }
		c = s / 2	# a commit syncs both WAL files
		printf "  writer: %.0f commits/s, %.1f requests per commit;",
		    c / dt * 1e6, rps / (c / dt * 1e6)
		printf " per commit %.0f us in fdatasync (2 calls, %.0f us each)",
		    su / c, su / s
		printf " and %.0f us in %.0f pwrite calls\n", pu / c, p / c
		printf "  share of the writer'\''s wall time: fdatasync %.0f%%," \
		    " pwrite %.0f%%, the rest (SQL, waiting for jobs) %.0f%%\n",
		    100 * su / dt, 100 * pu / dt, 100 * (dt - su - pu) / dt
	}'
else
	echo "== 5b. skipped (HOT_IO empty, or $BIN/bench/io_time.so not built)"
fi

[ -n "$MEM_REQS" ] || exit 0
echo
echo "== 6. memory: FULL, keep_conn off, wrk -t2 -c$CONNS; VmRSS of all" \
	"processes (responder + nginx) after N requests"
stack award FULL
keep_conn off
total=0
first=
for n in $MEM_REQS; do
	send_n $((n - total)) "$T/wrk-m.txt"
	sent=$(awk '/requests in/ { print $1 }' "$T/wrk-m.txt")
	total=$((total + ${sent:-0}))
	rss=$(kb VmRSS $(app_pids) $(nginx_pids))
	[ -n "$first" ] || first=$rss
	printf "  after %8d requests: RSS %6.1f MB (responder %5.1f, nginx %5.1f)," \
		"$total" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
		"$(awk -v k="$(kb VmRSS $(app_pids))" 'BEGIN { print k / 1024 }')" \
		"$(awk -v k="$(kb VmRSS $(nginx_pids))" 'BEGIN { print k / 1024 }')"
	printf " x%.2f of the first; peak (sum of VmHWM) %.1f MB\n" \
		"$(awk -v a="$rss" -v b="$first" 'BEGIN { print a / b }')" \
		"$(awk -v k="$(kb VmHWM $(app_pids) $(nginx_pids))" \
		'BEGIN { print k / 1024 }')"
done
