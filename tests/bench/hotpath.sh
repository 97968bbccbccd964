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
#   NORMAL   the same at NORMAL
#   before   (AWARD_BENCH_BEFORE=DIR) FULL and NORMAL with DIR/award-fcgi
# For each: req/s (wrk -t2 -cCONNS, DUR s, new orders as in webhook.lua),
# the ratio to the empty row of the same keep_conn setting, p50/p99, CPU µs
# per request in the responder and in nginx (utime+stime from /proc/PID/stat
# over the timed run), and the system calls per request of the responder
# by kind (strace -c -f over STRACE_N requests, a separate run: strace
# slows everything, so those runs give counts, never times).
# First, bench_award's floor (NORMAL) with malloc as the worker sets it and
# with glibc's defaults, alternated. Then memory: the peak RSS (sum of VmHWM) of every process, nginx's
# included, and the RSS of all processes after each count of HOT_MEM_REQS
# requests on one FULL stack (bounded memory: the last over the first).
#
# Usage: AWARD_BIN_DIR=build bash tests/bench/hotpath.sh
#   HOT_DUR=8  HOT_CONNS=32  HOT_STRACE_N=2000  HOT_KEEPALIVE=16  FLOOR_N=3000
#   HOT_ROWS="empty FULL NORMAL" (any of these, or before-FULL, before-NORMAL;
#   empty: none)
#   HOT_MEM_REQS="100000 300000"  (the issue's check: "100000 1000000",
#   about 6 more minutes; "" skips the memory part)
#   AWARD_BENCH_BEFORE=DIR  an older build's directory, for before/after
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${AWARD_BIN_DIR:-build}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
DUR=${HOT_DUR:-8}
CONNS=${HOT_CONNS:-32}
STRACE_N=${HOT_STRACE_N:-2000}
KEEPALIVE=${HOT_KEEPALIVE:-16}
MEM_REQS=${HOT_MEM_REQS-100000 300000}
FLOOR_N=${FLOOR_N:-3000}
WAIT_S=20
export AWARD_CONFIG=
HZ=$(getconf CLK_TCK)

for c in wrk strace; do
	command -v "$c" >/dev/null && continue
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$c" \
			>/dev/null || exit 1
	else
		echo "hotpath: needs $c; as root run: apt-get install -y $c" >&2
		exit 1
	fi
done
[ -x "$BIN/bench/empty_fcgi" ] ||
	{ echo "hotpath: $BIN/bench/empty_fcgi not built (make bench)" >&2; exit 1; }

T=$(mktemp -d /tmp/award-hot-XXXXXX)
# shellcheck source=../integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
fail() { echo "hotpath: $*" >&2; [ -s "$T/why" ] && cat "$T/why" >&2; exit 1; }
it_setup
trap 'it_cleanup; rm -rf "$T"' EXIT
CERT=$T/cert.pem
KEY=$T/key.pem
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-keyout "$KEY" -out "$CERT" 2>/dev/null || fail "openssl"

ms() {
	awk -v v="$1" 'BEGIN {
		u = v; sub(/^[0-9.]+/, "", u); n = v + 0
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000
		else if (u == "m") n *= 60000
		printf "%.2f", n }'
}

# The responder's processes (the process started and its children) and
# nginx's (master and workers).
app_pids() { echo "$RESP_PID" $(children_of "$RESP_PID"); }
nginx_pids() { echo "$NGINX_PID" $(children_of "$NGINX_PID"); }

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

seed() {
	sqlite3 "$BOT" "INSERT INTO contests VALUES ('bench',
		'2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', 0, 1);
		INSERT INTO plan_tickets VALUES ('plan_1m', 1);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
		  WHERE i < 100000)
		INSERT INTO user_referrals SELECT 2000000 + i * 2, 1,
		  '2026-01-01 00:00:00' FROM n;" || fail "seed"
}

# stack KIND [SYNC]: KIND empty, or award (SYNC FULL|NORMAL) with $BIN.
stack() {
	it_cleanup
	[ -n "${RESP_PID:-}" ] && stop_pid "$RESP_PID" KILL
	NGINX_PID= APP_PID= RESP_PID=
	rm -f "$T"/*.db "$T"/*.db-* "$SOCK"
	DB=$T/award.db
	BOT=$T/bot.db
	if [ "$1" = empty ]; then
		"$BIN/bench/empty_fcgi" "unix:$SOCK" 32 2>>"$T/empty.log" &
		RESP_PID=$!
		local n=$((WAIT_S * 20))
		until [ -S "$SOCK" ]; do
			n=$((n - 1))
			[ "$n" -gt 0 ] || fail "empty_fcgi made no socket"
			sleep 0.05
		done
	else
		WORKERS=1
		APP_ENV=(AWARD_LOG_LEVEL=info "AWARD_BOT_DB=$BOT"
			"AWARD_SYNCHRONOUS=$2" AWARD_THREADS=32)
		# NORMAL is refused at start without it (docs/durability.md)
		[ "$2" = NORMAL ] && APP_ENV+=(AWARD_UNSAFE_NORMAL=1)
		start_app
		RESP_PID=$APP_PID
	fi
	start_nginx
	[ "$1" = empty ] || seed
	wrk -t2 -c8 -d2s -s "$HERE/webhook.lua" "$HTTP/v1/payments/webhook" \
		>/dev/null 2>&1	# warm-up
}

# send_n N OUT: N new orders (webhook_n.lua stops each wrk thread after its
# share); wrk waits out its duration even then, so it is interrupted (it
# prints its summary on SIGINT) once nginx's access log has N more lines.
send_n() {
	local n=$1 out=$2 log=$T/nginx/logs/access.log off size got=0 wpid k=0
	off=$(stat -c %s "$log")
	RUNS=$((RUNS + 1))
	RUN=$RUNS LIMIT=$n THREADS=2 wrk -t2 -c"$CONNS" -d3600s --timeout 10s \
		-s "$HERE/webhook_n.lua" "$HTTP/v1/payments/webhook" >"$out" 2>&1 &
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
# timed NAME KEEP: one timed wrk run; prints the row, sets RPS.
timed() {
	local out=$T/wrk.txt a0 a1 n0 n1 reqs rps p50 p99 bad serr base
	RUNS=$((RUNS + 1))
	a0=$(ticks $(app_pids))
	n0=$(ticks $(nginx_pids))
	RUN=$RUNS wrk -t2 -c"$CONNS" -d"${DUR}s" --timeout 5s --latency \
		-s "$HERE/webhook.lua" "$HTTP/v1/payments/webhook" >"$out" 2>&1
	a1=$(ticks $(app_pids))
	n1=$(ticks $(nginx_pids))
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	p50=$(ms "$(awk '$1 == "50%" { print $2 }' "$out")")
	p99=$(ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	bad=$(awk '/Non-2xx/ { print $NF }' "$out")
	serr=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' \
		"$out")
	RPS=${rps:-0}
	base=${EMPTY_RPS[$2]:-$RPS}
	printf "  %-13s %-4s %9.0f %6.2f %8s %8s %9.0f %9.0f %6s %6s %6.1f" \
		"$1" "$2" "$RPS" "$(awk -v a="$RPS" -v b="$base" \
		'BEGIN { print (b > 0 ? a / b : 0) }')" "$p50" "$p99" \
		"$(awk -v t=$((a1 - a0)) -v n="${reqs:-0}" -v hz="$HZ" \
		'BEGIN { print (n > 0 ? t / hz * 1e6 / n : 0) }')" \
		"$(awk -v t=$((n1 - n0)) -v n="${reqs:-0}" -v hz="$HZ" \
		'BEGIN { print (n > 0 ? t / hz * 1e6 / n : 0) }')" \
		"${bad:-0}" "${serr:-0}" "$(awk -v k="$(kb VmHWM $(app_pids) \
		$(nginx_pids))" 'BEGIN { print k / 1024 }')"
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
printf "  %-13s %-4s %9s %6s %8s %8s %9s %9s %6s %6s %6s  %s\n" row keep \
	req/s /empty "p50(ms)" "p99(ms)" "app-us/r" "ngx-us/r" non2xx sockerr \
	peakMB \
	"syscalls/req: total, by kind"
declare -A EMPTY_RPS
read -r -a rows <<<"${HOT_ROWS-empty FULL NORMAL}"
[ -n "${AWARD_BENCH_BEFORE:-}" ] && [ -z "${HOT_ROWS+set}" ] &&
	rows+=(before-FULL before-NORMAL)
NOW_BIN=$BIN
for row in "${rows[@]}"; do
	case $row in
	empty) stack empty ;;
	before-*) BIN=$(cd "$AWARD_BENCH_BEFORE" && pwd)
		stack award "${row#before-}"; BIN=$NOW_BIN ;;
	*) stack award "$row" ;;
	esac
	for keep in off on; do
		keep_conn "$keep"
		timed "$row" "$keep"
		[ "$row" = empty ] && EMPTY_RPS[$keep]=$RPS
		traced
	done
done

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
