#!/usr/bin/env bash
# award benchmark: one reconciliation of 10 000 missed payments (100 pages
# of 100) and 100 refunds against the mock API (tests/mock/yookassa.py on
# loopback), with the real build/award-reconcile on a fresh database: the
# wall time of the run that applies them all, of a second run that finds
# them all known, and the API requests each made (the mock's log). The
# mock (python) serves a page in a few milliseconds; YooKassa's API over
# the internet takes longer, so against it the API's latency, not the
# database, sets the time: requests x latency.
#
# Usage: AWARD_BIN_DIR=build bash tests/bench/reconcile.sh [payments]
BENCH=reconcile
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${1:-10000}
FIXTURES=$ROOT/tests/fixtures

bench_need python3
# shellcheck source=../integration/test_reconcile.sh
it() { :; }
. "$ROOT/tests/integration/test_reconcile.sh"
bench_start

recon_db
sql "UPDATE plan_tickets SET tickets = 1"
yk_gen "$N" bench 9000000
yk_py "d = json.load(open('$T/yk.data'))
d['refunds'] = [refund('rfd-bench-%d' % i, d['payments'][i]['id'], ago(0),
    '199.00') for i in range(0, len(d['payments']), max(1, len(d['payments']) // 100))]
print(json.dumps(d))"
yk_start

echo "== reconcile: $N missed payments, $((N / 100)) refunds, pages of 100"
recon_ok AWARD_LOG_LEVEL=error
first_ms=$RECON_MS
first_req=$(yk_requests)
awarded=$(jget '$.applied.awarded' "$RECON_OUT")
reversed=$(jget '$.applied.reversed' "$RECON_OUT")
[ "$awarded" = "$N" ] || fail "awarded $awarded of $N: $RECON_OUT"
recon_ok AWARD_LOG_LEVEL=error
second_ms=$RECON_MS
second_req=$(($(yk_requests) - first_req))
known=$(jget '$.known' "$RECON_OUT")
ledger=$(sql "select count(*) from ticket_ledger where reason = 'SELF_PURCHASE'")

printf '  first run (applies):   %6d ms  %4d API requests  awarded %d, reversed %d\n' \
	"$first_ms" "$first_req" "$awarded" "$reversed"
printf '  second run (all known): %5d ms  %4d API requests  known %d\n' \
	"$second_ms" "$second_req" "$known"
printf '  per payment applied:   %8.3f ms\n' \
	"$(echo "$first_ms $N" | awk '{ printf "%.3f", $1 / $2 }')"
printf '  ledger SELF_PURCHASE rows: %d\n' "$ledger"
echo "  API requests = ceil(payments/100) + ceil(refunds/100) (+ retries)"
