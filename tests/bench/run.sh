#!/usr/bin/env bash
# award benchmarks (make bench). Every figure is a ratio against a limit
# measured in the same run on the same machine, because this machine is
# shared and absolute times wander:
#
#  1. bench_award: the award transaction against a bare one-row durable
#     SQLite transaction (the floor), for new and duplicate orders; memory
#     as peak RSS after thousands of awards against after warm-up.
#  2. HTTP through the shipped nginx config: webhook awards per second
#     against GET /healthz per second (the same nginx -> FastCGI -> worker
#     -> SQLite path without the award), with wrk; worker RSS before and
#     after the load.
#  3. award-retry on an empty queue with 100000 done rows, against a
#     process that only opens the same database (sqlite3 'select 1').
#
# Usage: AWARD_BIN_DIR=build bash tests/bench/run.sh [seconds]
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${AWARD_BIN_DIR:-build}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
DUR=${1:-10}
WAIT_S=20

if ! command -v wrk >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk \
			>/dev/null || exit 1
	else
		echo "bench: needs wrk; as root run: apt-get install -y wrk" >&2
		exit 1
	fi
fi

echo "== 1. the award transaction (tests/bench/bench_award.c)"
"$BIN/bench/bench_award" 3000 2>/dev/null || exit 1

T=$(mktemp -d /tmp/award-bench-XXXXXX)
# shellcheck source=../integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
fail() { echo "bench: $*" >&2; exit 1; }
it_setup
trap 'it_cleanup; rm -rf "$T"' EXIT
CERT=$T/cert.pem
KEY=$T/key.pem
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-keyout "$KEY" -out "$CERT" 2>/dev/null || fail "openssl"
WORKERS=2
APP_ENV=(AWARD_LOG_LEVEL=warn)
start_stack

sqlite3 "$DB" "INSERT INTO contests VALUES ('bench',
	'2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', 0, 1);
	INSERT INTO plan_tickets VALUES ('plan_1m', 1);
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
	  WHERE i < 200000)
	INSERT INTO user_referrals SELECT 2000000 + i - 1, 1,
	  '2026-01-01 00:00:00' FROM n;" || fail "seed"

rss() {	# total VmRSS of the workers, kB
	local k s=0
	for k in $(children_of "$APP_PID"); do
		s=$((s + $(awk '/^VmRSS:/ { print $2 }' "/proc/$k/status")))
	done
	echo "$s"
}
rps() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }

echo
echo "== 2. HTTP through nginx (wrk, 2 threads, 8 connections, ${DUR}s each)"
wrk -t2 -c8 -d2s "$HTTP/healthz" >/dev/null 2>&1	# warm-up
rss0=$(rss)
wrk -t2 -c8 -d"${DUR}s" "$HTTP/healthz" >"$T/healthz.txt" 2>&1
wrk -t2 -c8 -d"${DUR}s" -s "$HERE/webhook.lua" "$HTTP/v1/payments/webhook" \
	>"$T/webhook.txt" 2>&1
rss1=$(rss)
h=$(rps "$T/healthz.txt")
w=$(rps "$T/webhook.txt")
bad=$(awk '/Non-2xx/ { print $NF }' "$T/webhook.txt")
rows=$(sqlite3 "$DB" "SELECT count(*) FROM ticket_ledger WHERE reason =
	'SELF_PURCHASE'")
inv=$(sqlite3 "$DB" "SELECT count(*) FROM ticket_ledger WHERE reason =
	'INVITEE_PAYMENT'")
echo "  GET /healthz              $h req/s  (the limit)"
echo "  POST webhook, new orders  $w req/s  ratio to the limit" \
	"$(awk -v a="$w" -v b="$h" 'BEGIN { printf "%.2f", a / b }')"
echo "  non-2xx answers: ${bad:-0}; SELF_PURCHASE rows $rows," \
	"INVITEE_PAYMENT rows $inv"
grep -E 'Latency' "$T/webhook.txt" | sed 's/^ */  webhook latency (avg, stdev, max): /'
echo "  worker RSS total: $rss0 kB before, $rss1 kB after: ratio" \
	"$(awk -v a="$rss1" -v b="$rss0" 'BEGIN { printf "%.3f", a / b }')"

echo
echo "== 3. award-retry on an empty queue (100000 done rows), 20 runs each"
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1
	FROM n WHERE i < 100000)
	INSERT INTO failed_awards(kind, status, attempts, order_id,
	  telegram_id, plan_id, order_created_at, created_at, updated_at,
	  last_attempt_at, next_attempt_at, next_attempt_ms)
	SELECT 'award', 'done', 1, 'old-' || i, 1, 'plan_1m',
	  '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',
	  '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',
	  '2026-01-01T00:05:00.000Z', 1767226200000 FROM n;" || fail "seed queue"
t0=$(date +%s%N)
for _ in $(seq 20); do sqlite3 "$DB" 'select 1' >/dev/null; done
t1=$(date +%s%N)
for _ in $(seq 20); do
	AWARD_LOG_LEVEL=warn "$BIN/award-retry" --db "$DB" || fail "award-retry"
done
t2=$(date +%s%N)
awk -v a=$((t1 - t0)) -v b=$((t2 - t1)) 'BEGIN {
	printf "  sqlite3 select 1   %.2f ms/run (the limit)\n", a / 20e6
	printf "  award-retry        %.2f ms/run  ratio to the limit %.2f\n",
	    b / 20e6, b / a }'
