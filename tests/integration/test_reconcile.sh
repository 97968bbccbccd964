# award — integration: reconciliation against YooKassa's API (SPEC.md §11)
# with the real build/award-reconcile and the mock API
# (tests/mock/yookassa.py, python3, loopback). What is checked is what an
# operator sees: the summary line, the exit status, ledger rows per
# order, reconcile_runs, the requests the API received (the mock's log).

YK_MOCK=$ROOT/tests/mock/yookassa.py
YK_SHOP=123456
YK_KEY=test_secret_key_0123456789abcdefghijklmnop

# yk_start: the mock API on a free loopback port; YK_API is its base.
# Data ($T/yk.data) and faults ($T/yk.faults) are reread when they change.
yk_start() {
	local n=$((WAIT_S * 20))
	command -v python3 >/dev/null || fail "python3 missing (make deps)"
	[ -f "$T/yk.data" ] || echo '{"payments":[],"refunds":[]}' >"$T/yk.data"
	yk_faults '[]'
	rm -f "$T/yk.port"
	python3 "$YK_MOCK" serve --port-file "$T/yk.port" --data "$T/yk.data" \
		--faults "$T/yk.faults" --log "$T/yk.log" --shop-id "$YK_SHOP" \
		--secret-key "$YK_KEY" </dev/null 2>>"$T/yk.err" &
	YK_PID=$!
	PIDS+=("$YK_PID")
	echo "$YK_PID" >>"$T/pids"
	until [ -s "$T/yk.port" ]; do
		alive "$YK_PID" || fail "mock API exited: $(tail -n 2 "$T/yk.err")"
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "mock API did not start in ${WAIT_S}s"
		sleep 0.05
	done
	YK_API=http://127.0.0.1:$(<"$T/yk.port")/v3
}

# yk_faults JSON: the mock's fault rules (tests/mock/yookassa.py).
yk_faults() {
	printf '%s\n' "$1" >"$T/yk.faults.tmp" && mv "$T/yk.faults.tmp" "$T/yk.faults"
}

# yk_py CODE: python with the mock's payment()/refund()/iso() at hand; its
# stdout (JSON {"payments":[...],"refunds":[...]}) becomes the API's data.
yk_py() {
	python3 -c "import sys, json, datetime
sys.path.insert(0, '$ROOT/tests/mock')
from yookassa import payment, refund, iso
now = datetime.datetime.now(datetime.timezone.utc)
def ago(s): return iso(now - datetime.timedelta(seconds=s))
$1" >"$T/yk.data.tmp" || fail "yk_py failed"
	mv "$T/yk.data.tmp" "$T/yk.data"
}

# yk_gen N PREFIX [TG_BASE] [PLAN]: N succeeded payments, ids pay-PREFIX-i,
# orders PREFIX-i, buyers TG_BASE+i, created over the last N seconds.
yk_gen() {
	python3 "$YK_MOCK" gen --payments "$1" --prefix "pay-$2" \
		--order-prefix "$2" --tg-base "${3:-7000000}" \
		--plan "${4:-plan_1m}" >"$T/yk.data.tmp" || fail "mock gen failed"
	mv "$T/yk.data.tmp" "$T/yk.data"
}

# yk_requests [GREP-E]: requests the mock received (matching).
yk_requests() {
	[ -f "$T/yk.log" ] || { echo 0; return 0; }
	grep -c -E -- "${1:-.}" "$T/yk.log"
}

# recon [NAME=VALUE...] [ARGS...]: one run of the real award-reconcile on
# $DB against the mock; RECON_RC its status, RECON_OUT its stdout,
# RECON_ERR this run's stderr (also kept in $T/reconcile.log), RECON_MS
# how long it took. A sanitizer report fails the test.
recon() {
	local envs=() t0
	base_env
	envs=("AWARD_CONFIG=" "AWARD_LOG_LEVEL=debug"
		"AWARD_YOOKASSA_SHOP_ID=$YK_SHOP"
		"AWARD_YOOKASSA_SECRET_KEY=$YK_KEY"
		"AWARD_YOOKASSA_API=${YK_API:-http://127.0.0.1:9/v3}")
	while [[ ${1:-} == [A-Z]*=* ]]; do
		envs+=("$1")
		shift
	done
	t0=$(now_ms)
	"${BASE_ENV[@]}" "${envs[@]}" "$BIN/award-reconcile" --db "$DB" "$@" \
		</dev/null >"$T/recon.out" 2>"$T/recon.err"
	RECON_RC=$?
	RECON_MS=$(($(now_ms) - t0))
	RECON_OUT=$(<"$T/recon.out")
	RECON_ERR=$(<"$T/recon.err")
	cat "$T/recon.err" >>"$T/reconcile.log"
	if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
		-e 'runtime error:' "$T/recon.err"; then
		fail "sanitizer: $(grep -m 1 -e ERROR -e 'runtime error' "$T/recon.err")"
	fi
}

recon_ok() {
	recon "$@"
	[ "$RECON_RC" = 0 ] || fail "award-reconcile $*: exit $RECON_RC:" \
		"$(tail -n 2 "$T/recon.err")"
}

# check_summary PATH VALUE...: pairs checked in the summary line.
check_summary() {
	local got
	jvalid "$RECON_OUT" || fail "summary is not one JSON line: $RECON_OUT"
	while [ $# -gt 1 ]; do
		got=$(jget "$1" "$RECON_OUT")
		[ "$got" = "$2" ] ||
			fail "summary $1: expected '$2', got '$got' ($RECON_OUT)"
		shift 2
	done
}

# A service database made and seeded without the responder: a contest
# running now and the four plans.
recon_db() {
	retry_ok --init
	seed_contest c1
	seed_plans
}

# ------------------------------------------------------------ tests

it reconcile_recovers_missed_pages
t_reconcile_recovers_missed_pages() {
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 7000005 42
	yk_gen 250 miss
	yk_start
	recon_ok
	check_summary '$.fetched.payments' 250 '$.fetched.refunds' 0 \
		'$.known' 0 '$.skipped' 0 '$.applied.awarded' 250 \
		'$.applied.duplicate' 0 '$.applied.queued' 0 '$.stopped' ''
	[ "$(jtype '$.stopped' "$RECON_OUT")" = null ] ||
		fail "stopped is not null: $RECON_OUT"
	check_sql "select count(*), count(distinct order_id) from ticket_ledger
		where reason = 'SELF_PURCHASE'" "250|250"
	check_sql "select count(*) from (select order_id from ticket_ledger
		where reason = 'SELF_PURCHASE' group by order_id having count(*) > 1)" 0
	check_sql "select referrer_id, delta from ticket_ledger
		where id = 'INVITEE_PAYMENT:miss-000005'" "42|1"
	check_sql "select count(*) from payments where payment_id like 'pay-miss-%'" 250
	# 250 payments: pages of 100 (3), then one page of refunds.
	[ "$(yk_requests '"path": "/v3/payments"')" = 3 ] ||
		fail "payment pages requested: $(yk_requests '/v3/payments')"
	[ "$(yk_requests '"path": "/v3/refunds"')" = 1 ] || fail "refund pages"
	[ "$(grep -c '"source":"reconcile"' "$T/recon.err")" -ge 250 ] ||
		fail "applied payments not logged with source reconcile"
	grep '"msg":"payment recovered by reconciliation"' "$T/recon.err" |
		grep -q '"level":"warn"' || fail "recovered payments not at warn"
	check_sql "select fetched_payments, awarded, known, api_requests,
		stopped is null from reconcile_runs" "250|250|0|4|1"

	# A second run: everything known, nothing applied.
	recon_ok
	check_summary '$.known' 250 '$.applied.awarded' 0 '$.applied.duplicate' 0
	check_sql "select count(*) from ticket_ledger" 251
	check_sql "select count(*) from reconcile_runs" 2

	# The notification that finally arrives is a duplicate.
	webhook "$(payment miss-000007 7000007 plan_1m "$(iso_now)" \
		pay-miss-000007)"
	check_status 200
	check_json '$.award' duplicate
	check_sql "select count(*) from ticket_ledger where order_id = 'miss-000007'" 1
}

it reconcile_summary_keys_exact
t_reconcile_summary_keys_exact() {
	recon_db
	yk_gen 3 keys
	yk_start
	recon_ok --since 2026-01-02T03:04:05+03:00
	python3 -c '
import json, sys
o = json.loads(sys.argv[1])
assert list(o) == ["since", "fetched", "known", "skipped", "applied",
    "stopped"], list(o)
assert list(o["fetched"]) == ["payments", "refunds"], o["fetched"]
assert list(o["applied"]) == ["awarded", "duplicate", "not_eligible",
    "queued", "reversed", "partial", "unknown_payment"], o["applied"]
assert o["since"] == "2026-01-02T00:04:05.000Z", o["since"]
assert o["stopped"] is None
' "$RECON_OUT" 2>"$T/keys.err" || fail "summary keys: $(tail -n 1 "$T/keys.err")"
	[ "$(wc -l <"$T/recon.out")" = 1 ] || fail "stdout is not one line"
	grep -q 'created_at.gte=2026-01-02T00:04:05.000Z&' "$T/yk.log" ||
		fail "since not sent as created_at.gte: $(head -n 1 "$T/yk.log")"
	check_sql "select since from reconcile_runs" 2026-01-02T00:04:05.000Z
	# A look back from the future would check nothing and still count as
	# a completed run: refused at start, and not a --since that is junk.
	for bad in 2999-01-01T00:00:00Z yesterday; do
		recon --since "$bad"
		[ "$RECON_RC" = 1 ] || fail "--since $bad: exit $RECON_RC"
		[[ $RECON_ERR == *--since* ]] || fail "--since $bad: $RECON_ERR"
	done
	check_sql "select count(*) from reconcile_runs" 1
}

it reconcile_refunds_full_and_partial
t_reconcile_refunds_full_and_partial() {
	recon_db
	seed_referral 8100001 8100009
	yk_py '
out = {"payments": [
    payment("pay-rf-a", "rf-a", 8100001, "plan_3m", ago(300), "199.00"),
    payment("pay-rf-b", "rf-b", 8100002, "plan_3m", ago(200), "599.00")],
  "refunds": [
    refund("rfd-a", "pay-rf-a", ago(100), "199.00"),
    refund("rfd-b", "pay-rf-b", ago(50), "100.00")]}
print(json.dumps(out))'
	yk_start
	recon_ok
	check_summary '$.fetched.payments' 2 '$.fetched.refunds' 2 \
		'$.applied.awarded' 2 '$.applied.reversed' 1 \
		'$.applied.partial' 1 '$.applied.unknown_payment' 0
	# Refunded in full: both award rows reversed; partial: nothing.
	check_sql "select sum(delta) from ticket_ledger where order_id = 'rf-a'" 0
	check_sql "select count(*) from ticket_ledger where order_id = 'rf-a'
		and reason = 'REFUND'" 2
	check_sql "select sum(delta) from ticket_ledger where order_id = 'rf-b'" 3
	check_sql "select refunded_minor from payments where payment_id = 'pay-rf-b'" 10000
	recon_ok
	check_summary '$.known' 4 '$.applied.reversed' 0 '$.applied.partial' 0
	check_sql "select count(*) from ticket_ledger where reason = 'REFUND'" 2
}

# A refund in another currency than its payment fails and is queued
# (SPEC.md §4); the queue records it, so the next run counts it known and
# changes nothing: no attempt counted without a retry, and a dead row
# stays dead, its acknowledgement kept.
it reconcile_queued_refund_is_known
t_reconcile_queued_refund_is_known() {
	recon_db
	yk_py '
r = refund("rfd-usd", "pay-usd", ago(100), "199.00")
r["amount"]["currency"] = "USD"
out = {"payments": [payment("pay-usd", "usd-1", 8200001, "plan_3m", ago(300))],
  "refunds": [r]}
print(json.dumps(out))'
	yk_start
	recon_ok
	check_summary '$.applied.awarded' 1 '$.applied.queued' 1
	check_sql "select status, attempts from failed_awards
		where refund_id = 'rfd-usd'" "pending|1"
	recon_ok
	check_summary '$.known' 2 '$.applied.queued' 0
	check_sql "select status, attempts from failed_awards
		where refund_id = 'rfd-usd'" "pending|1"
	sql "UPDATE failed_awards SET status = 'dead', acked_at = '$(iso_now)',
		acked_by = 'alice' WHERE refund_id = 'rfd-usd'"
	recon_ok
	check_summary '$.known' 2 '$.applied.queued' 0
	check_sql "select status, attempts, acked_by from failed_awards
		where refund_id = 'rfd-usd'" "dead|1|alice"
	check_sql "select sum(delta) from ticket_ledger where order_id = 'usd-1'" 3

	# A refund the retry ended not_confirmed (verification: the API did
	# not know it then) was recorded nowhere: applied once listed.
	yk_py '
r = refund("rfd-usd", "pay-usd", ago(100), "199.00")
r["amount"]["currency"] = "USD"
out = {"payments": [payment("pay-usd", "usd-1", 8200001, "plan_3m", ago(300)),
  payment("pay-nc", "nc-1", 8200002, "plan_1m", ago(200))],
  "refunds": [r, refund("rfd-nc", "pay-nc", ago(50), "199.00")]}
print(json.dumps(out))'
	sql "INSERT INTO failed_awards(kind, status, attempts, last_error,
		outcome, refund_id, payment_id, amount_minor, created_at,
		updated_at, last_attempt_at, next_attempt_at, next_attempt_ms,
		verify) VALUES ('refund', 'done', 1, 'the API does not know rfd-nc',
		'not_confirmed', 'rfd-nc', 'pay-nc', 19900, '$(iso_now)',
		'$(iso_now)', '$(iso_now)', '$(iso_now)', 0, 1)"
	recon_ok
	check_summary '$.known' 2 '$.applied.awarded' 1 '$.applied.reversed' 1
	check_sql "select sum(delta) from ticket_ledger where order_id = 'nc-1'" 0
}

# With two files the service file commits first: a crash before the bot
# file's commit leaves a payment recorded awarded and no award row. Such
# a payment is not known: reconciliation awards it (the notification was
# never answered 200, but YooKassa stops redelivering after 24 hours).
it reconcile_half_committed_payment_awarded
t_reconcile_half_committed_payment_awarded() {
	recon_db
	yk_py 'print(json.dumps({"payments": [
  payment("pay-half", "half-1", 8400001, "plan_3m", ago(300)),
  payment("pay-whole", "whole-1", 8400002, "plan_1m", ago(200))],
  "refunds": []}))'
	yk_start
	recon_ok
	check_summary '$.applied.awarded' 2
	# As a crash between the two commits would leave half-1.
	sql "DELETE FROM ticket_ledger WHERE order_id = 'half-1'"
	check_sql "select outcome from payments where payment_id = 'pay-half'" \
		awarded
	recon_ok
	check_summary '$.known' 1 '$.applied.awarded' 1
	check_sql "select count(*), sum(delta) from ticket_ledger
		where order_id = 'half-1'" "1|3"
	recon_ok
	check_summary '$.known' 2 '$.applied.awarded' 0
	# The same for a full refund whose reversal rows a crash cut off.
	yk_py 'print(json.dumps({"payments": [
  payment("pay-half", "half-1", 8400001, "plan_3m", ago(300)),
  payment("pay-whole", "whole-1", 8400002, "plan_1m", ago(200))],
  "refunds": [refund("rfd-half", "pay-half", ago(100), "199.00")]}))'
	recon_ok
	check_summary '$.applied.reversed' 1
	check_sql "select sum(delta) from ticket_ledger where order_id = 'half-1'" 0
	sql "DELETE FROM ticket_ledger WHERE reason = 'REFUND'"
	recon_ok
	check_summary '$.known' 2 '$.applied.duplicate' 1
	check_sql "select count(*), sum(delta) from ticket_ledger
		where order_id = 'half-1'" "2|0"
	check_sql "select refunded_minor from payments
		where payment_id = 'pay-half'" 19900
	recon_ok
	check_summary '$.known' 3
}

it reconcile_skips_payments_not_the_bots
t_reconcile_skips_payments_not_the_bots() {
	recon_db
	yk_py '
other = payment("pay-shop-1", "x", 1, "p", ago(30), meta={"cart": "42"})
nometa = payment("pay-shop-2", "x", 1, "p", ago(20))
del nometa["metadata"]
bad = payment("pay-bad-1", "bad-1", 1, "plan_1m", ago(10),
    meta={"order_id": "bad-1", "telegram_id": "12ab", "plan_id": "plan_1m"})
good = payment("pay-good-1", "good-1", 8200001, "plan_1m", ago(5))
print(json.dumps({"payments": [other, nometa, bad, good], "refunds": []}))'
	yk_start
	recon_ok
	check_summary '$.fetched.payments' 4 '$.skipped' 3 '$.known' 0 \
		'$.applied.awarded' 1
	check_sql "select group_concat(payment_id) from payments" pay-good-1
	check_sql "select count(*) from failed_awards" 0
	grep '"payment_id":"pay-bad-1"' "$T/recon.err" | grep -q '"level":"warn"' ||
		fail "malformed metadata not logged at warn"
	grep '"payment_id":"pay-shop-1"' "$T/recon.err" | grep -q '"level":"debug"' ||
		fail "a payment without order_id not logged at debug"
	# Skipped items are not recorded: skipped again next time.
	recon_ok
	check_summary '$.skipped' 3 '$.known' 1
}

# A YooKassa test shop's payment ("test": true) is skipped as its
# notification would be ignored (SPEC.md §5), unless
# AWARD_ACCEPT_TEST_PAYMENTS=1, when it is applied like a real one.
it reconcile_test_shop_payments
t_reconcile_test_shop_payments() {
	recon_db
	yk_py '
t = payment("pay-test-1", "test-1", 8300001, "plan_1m", ago(10))
t["test"] = True
real = payment("pay-real-1", "real-1", 8300002, "plan_1m", ago(5))
tr = refund("rfd-test-1", "pay-test-1", ago(3), "199.00")
tr["test"] = True
print(json.dumps({"payments": [t, real], "refunds": [tr]}))'
	yk_start
	recon_ok
	# The test shop's refund too is skipped, as its notification would be
	# ignored: not recorded as a refund of an unknown payment.
	check_summary '$.fetched.payments' 2 '$.skipped' 2 '$.applied.awarded' 1 \
		'$.applied.unknown_payment' 0
	check_sql "select group_concat(payment_id) from payments" pay-real-1
	check_sql "select count(*) from refunds" 0
	check_sql "select count(*) from ticket_ledger where order_id = 'test-1'" 0
	# Its line names it, so that an admin can find it.
	grep '"msg":"reconcile: refund skipped' "$T/reconcile.log" |
		grep -q '"refund_id":"rfd-test-1","payment_id":"pay-test-1"' ||
		fail "the skipped refund's line has no ids: $(grep 'refund skipped' "$T/reconcile.log")"
	recon_ok AWARD_ACCEPT_TEST_PAYMENTS=1
	check_summary '$.skipped' 0 '$.known' 1 '$.applied.awarded' 1 \
		'$.applied.reversed' 1
	check_sql "select count(*) from ticket_ledger where order_id = 'test-1'
		and reason = 'SELF_PURCHASE'" 1
}

it reconcile_api_outage_mid_run
t_reconcile_api_outage_mid_run() {
	recon_db
	yk_gen 250 out
	yk_start
	# Every page after the first fails: 500, no wait (Retry-After: 0).
	yk_faults '[{"path":"/payments","query":"cursor=","status":500,"retry_after":"0"}]'
	recon
	[ "$RECON_RC" = 1 ] || fail "exit $RECON_RC after an outage"
	check_summary '$.stopped' api_unavailable '$.applied.awarded' 100 \
		'$.fetched.payments' 100
	# Page 1, then page 2 four times; refunds never asked for.
	[ "$(yk_requests)" = 5 ] || fail "requests: $(yk_requests), want 5"
	check_sql "select count(*) from ticket_ledger" 100
	check_sql "select stopped, awarded from reconcile_runs" "api_unavailable|100"
	yk_faults '[]'
	recon_ok
	check_summary '$.known' 100 '$.applied.awarded' 150 '$.stopped' ''
	check_sql "select count(*), count(distinct order_id) from ticket_ledger" "250|250"
}

it reconcile_bad_answer_stops_at_once
t_reconcile_bad_answer_stops_at_once() {
	recon_db
	yk_start
	yk_faults '[{"path":"/payments","status":200,"body":"{\"type\":\"error\"}"}]'
	recon
	[ "$RECON_RC" = 1 ] || fail "exit $RECON_RC on a bad answer"
	check_summary '$.stopped' api_bad_response
	[ "$(yk_requests)" = 1 ] || fail "a bad answer was retried: $(yk_requests)"
}

# A list whose cursors come back round (page 3 points at page 2 again)
# stops the run as a bad answer at the first repeat, instead of reading
# the same pages round and round while the run holds its lock.
it reconcile_cursor_loop_stops
t_reconcile_cursor_loop_stops() {
	recon_db
	yk_gen 250 loop
	yk_start
	# Pages of 100: cursors MTAw (100) and MjAw (200); MjAw's page says
	# MTAw again.
	yk_faults '[{"path":"/payments","query":"cursor=MjAw","status":200,
		"body":"{\"type\":\"list\",\"items\":[],\"next_cursor\":\"MTAw\"}"}]'
	recon
	[ "$RECON_RC" = 1 ] || fail "exit $RECON_RC on a cursor loop"
	check_summary '$.stopped' api_bad_response '$.fetched.payments' 200
	[ "$(yk_requests '"path": "/v3/payments"')" = 3 ] ||
		fail "list requests: $(yk_requests '"path": "/v3/payments"')"
	check_sql "select count(*) from ticket_ledger
		where reason = 'SELF_PURCHASE'" 200
}

it reconcile_rate_limited
t_reconcile_rate_limited() {
	recon_db
	yk_gen 5 rl
	yk_start
	yk_faults '[{"path":"/payments","status":429,"retry_after":"1","count":2}]'
	recon_ok
	check_summary '$.applied.awarded' 5 '$.stopped' ''
	# Two 429s then the page; then the refunds page.
	[ "$(yk_requests '"status": 429')" = 2 ] || fail "429s: $(yk_requests 429)"
	[ "$(yk_requests)" = 4 ] || fail "requests: $(yk_requests), want 4"
	# Retry-After: 1, twice: at least 2 s of waiting.
	[ "$RECON_MS" -ge 1900 ] || fail "Retry-After not honoured: ${RECON_MS} ms"
	check_sql "select api_requests from reconcile_runs" 4
}

it reconcile_bad_credentials
t_reconcile_bad_credentials() {
	local wrong=wrong_key_never_printed_0123456789abcdef
	recon_db
	yk_gen 3 cred
	yk_start
	recon "AWARD_YOOKASSA_SECRET_KEY=$wrong"
	[ "$RECON_RC" = 1 ] || fail "exit $RECON_RC with refused credentials"
	grep -q 'YooKassa refused the credentials' "$T/recon.err" ||
		fail "no line saying the credentials were refused: $RECON_ERR"
	# One line (SPEC.md §11), and no summary of a run that read nothing.
	[ "$(grep -c '' "$T/recon.err")" = 1 ] ||
		fail "not one line: $(cat "$T/recon.err")"
	[ ! -s "$T/recon.out" ] || fail "a summary line: $(cat "$T/recon.out")"
	check_sql "select stopped from reconcile_runs" api_auth
	grep -q -e "$wrong" -e "$YK_KEY" "$T/recon.out" "$T/recon.err" &&
		fail "the secret key appears in the output"
	[ "$(yk_requests)" = 1 ] || fail "requests: $(yk_requests), want 1"
	[ "$(yk_requests '"auth": "bad"')" = 1 ] || fail "Basic auth not sent"
	check_sql "select count(*) from ticket_ledger" 0
	check_sql "select count(*) from payments" 0
	# Not configured: exit 1 naming the setting, no request.
	recon "AWARD_YOOKASSA_SHOP_ID="
	[ "$RECON_RC" = 1 ] || fail "exit $RECON_RC without a shop id"
	grep -q AWARD_YOOKASSA_SHOP_ID "$T/recon.err" ||
		fail "error does not name AWARD_YOOKASSA_SHOP_ID: $RECON_ERR"
	recon "AWARD_YOOKASSA_SECRET_KEY="
	[ "$RECON_RC" = 1 ] || fail "exit $RECON_RC without a key"
	grep -q AWARD_YOOKASSA_SECRET_KEY "$T/recon.err" ||
		fail "error does not name AWARD_YOOKASSA_SECRET_KEY: $RECON_ERR"
	[ "$(yk_requests)" = 1 ] || fail "a run without credentials called the API"
}

# --dry-run on a pair that was never opened: opening it would make the
# service database and record the pairing, so the run judges copies made
# in a directory of its own (removed after) and writes nothing in either
# file. A --since from the future is refused before anything is opened.
it reconcile_dry_run_fresh_pair_writes_nothing
t_reconcile_dry_run_fresh_pair_writes_nothing() {
	local bot=$T/bot.db svc=$T/svc.db before
	sqlite3 "$bot" "CREATE TABLE contests(id TEXT PRIMARY KEY,
		starts_at TEXT NOT NULL, ends_at TEXT NOT NULL,
		attribution_window_days INTEGER NOT NULL DEFAULT 30,
		is_active INTEGER NOT NULL DEFAULT 0)" || fail "bot database"
	before=$(file_sum "$bot")
	yk_gen 2 dfp
	yk_start
	mkdir "$T/tmp"
	DB=$svc recon TMPDIR="$T/tmp" --bot-db "$bot" --dry-run
	[ "$RECON_RC" = 0 ] || fail "exit $RECON_RC: $RECON_ERR"
	check_summary '$.fetched.payments' 2 '$.applied.not_eligible' 2
	[ ! -e "$svc" ] || fail "the service database was created"
	[ "$(file_sum "$bot")" = "$before" ] || fail "the bot database changed"
	[ -z "$(ls -A "$T/tmp")" ] || fail "copies left: $(ls -A "$T/tmp")"
	DB=$svc recon --bot-db "$bot" --since 2999-01-01T00:00:00Z
	[ "$RECON_RC" = 1 ] && [ ! -e "$svc" ] ||
		fail "--since from the future: exit $RECON_RC, or $svc made"
	# Once set up by a real run, the dry run reads the files themselves.
	DB=$svc recon --bot-db "$bot"
	[ "$RECON_RC" = 0 ] || fail "the real run: exit $RECON_RC: $RECON_ERR"
	DB=$svc recon --bot-db "$bot" --dry-run
	[ "$RECON_RC" = 0 ] || fail "dry run after: exit $RECON_RC: $RECON_ERR"
	check_summary '$.known' 2
}

# Refused on the refunds list, after the payment pages were committed:
# those stay, and the summary line says what they applied besides the
# line saying the credentials were refused.
it reconcile_credentials_refused_after_payments
t_reconcile_credentials_refused_after_payments() {
	recon_db
	yk_gen 3 cra
	yk_start
	yk_faults '[{"path": "/refunds", "status": 401}]'
	recon
	[ "$RECON_RC" = 1 ] || fail "exit $RECON_RC with refused credentials"
	grep -q 'YooKassa refused the credentials' "$T/recon.err" ||
		fail "no line saying the credentials were refused: $RECON_ERR"
	check_summary '$.fetched.payments' 3 '$.applied.awarded' 3 \
		'$.stopped' api_auth
	check_sql "select count(*) from ticket_ledger
		where reason = 'SELF_PURCHASE'" 3
	check_sql "select stopped, awarded from reconcile_runs" "api_auth|3"
}

it reconcile_dry_run_writes_nothing
t_reconcile_dry_run_writes_nothing() {
	local before after rows
	recon_db
	yk_gen 120 dry
	yk_py "d = json.load(open('$T/yk.data'))
d['refunds'] = [refund('rfd-dry', 'pay-dry-000001', ago(1), '199.00')]
print(json.dumps(d))"
	yk_start
	rows="select (select count(*) from ticket_ledger), (select count(*) from payments),
		(select count(*) from refunds), (select count(*) from failed_awards),
		(select count(*) from reconcile_runs)"
	check_sql "$rows" "0|0|0|0|0"
	before=$(sha256sum "$DB")
	recon_ok --dry-run
	after=$(sha256sum "$DB")
	check_summary '$.fetched.payments' 120 '$.fetched.refunds' 1 \
		'$.applied.awarded' 120 '$.applied.unknown_payment' 1
	check_sql "$rows" "0|0|0|0|0"
	[ "$before" = "$after" ] || fail "the database file changed in a dry run"
	recon_ok
	check_summary '$.applied.awarded' 120 '$.applied.reversed' 1
	check_sql "select count(*) from reconcile_runs" 1
}

it reconcile_http_not_loopback_refused
t_reconcile_http_not_loopback_refused() {
	local api
	recon_db
	for api in http://192.0.2.1/v3 http://api.yookassa.ru/v3 \
		http://127.0.0.1.example.net/v3; do
		YK_API=$api recon
		[ "$RECON_RC" = 1 ] || fail "$api accepted (exit $RECON_RC)"
		grep -q AWARD_YOOKASSA_API "$T/recon.err" ||
			fail "$api: error does not name AWARD_YOOKASSA_API: $RECON_ERR"
		[ -z "$RECON_OUT" ] || fail "$api: a run started: $RECON_OUT"
	done
	check_sql "select count(*) from reconcile_runs" 0
}

it reconcile_races_webhooks
t_reconcile_races_webhooks() {
	local i
	start_stack
	seed_contest c1
	seed_plans
	yk_gen 200 race 7300000
	yk_start
	mkdir -p "$T/race"
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["payments"]:
    with open(sys.argv[2] + "/" + p["metadata"]["order_id"] + ".json", "w") as f:
        json.dump({"type": "notification", "event": "payment.succeeded",
                   "object": p}, f)
' "$T/yk.data" "$T/race" || fail "cannot write the notifications"
	# The webhooks and a reconciliation run at once, for the same payments.
	( cd "$T/race" && ls *.json | xargs -P 6 -I '{}' curl -s -m 60 \
		-H 'Expect:' -H 'Content-Type: application/json' \
		--data-binary '@{}' -o '{}.out' -w '%{http_code}\n' \
		"$HTTP/v1/payments/webhook" >"$T/race.codes" 2>&1 ) &
	i=$!
	recon_ok
	wait "$i"
	[ "$(grep -c '^200$' "$T/race.codes")" = 200 ] ||
		fail "webhooks not all 200: $(sort "$T/race.codes" | uniq -c)"
	check_sql "select count(*), count(distinct order_id) from ticket_ledger" "200|200"
	check_sql "select count(*) from payments" 200
	# Between them, every order awarded once.
	[ "$(( $(jget '$.applied.awarded' "$RECON_OUT") + \
		$(grep -l '"awarded"' "$T/race/"*.out | wc -l) ))" = 200 ] ||
		fail "awards: reconcile $RECON_OUT, webhooks" \
			"$(grep -l '"awarded"' "$T/race/"*.out | wc -l)"
}

it reconcile_one_run_at_a_time
t_reconcile_one_run_at_a_time() {
	local first
	recon_db
	yk_gen 2 lock
	yk_start
	# The first run hangs on its first page until the second has been
	# seen out (8 s at most: the API timeout is 10 s).
	yk_faults '[{"path":"/payments","hang":8,"count":1,"release":"'"$T/yk.release"'"}]'
	base_env
	"${BASE_ENV[@]}" AWARD_CONFIG= "AWARD_YOOKASSA_SHOP_ID=$YK_SHOP" \
		"AWARD_YOOKASSA_SECRET_KEY=$YK_KEY" "AWARD_YOOKASSA_API=$YK_API" \
		"$BIN/award-reconcile" --db "$DB" </dev/null >"$T/first.out" \
		2>"$T/first.err" &
	first=$!
	PIDS+=("$first")
	# Wait until it holds the lock: its request reached the mock.
	for _ in $(seq 1 200); do
		[ "$(yk_requests)" -ge 1 ] && break
		sleep 0.05
	done
	[ "$(yk_requests)" -ge 1 ] || fail "the first run never asked the API"
	recon
	[ "$RECON_RC" = 0 ] || fail "a second run exited $RECON_RC"
	[ -z "$RECON_OUT" ] || fail "a second run printed a summary: $RECON_OUT"
	grep -q 'in progress' "$T/recon.err" || fail "no 'in progress' line"
	[ "$(yk_requests)" = 1 ] || fail "the second run called the API"
	grep -q '"status": "hang"' "$T/yk.log" || fail "the first run never hung"
	touch "$T/yk.release"
	wait "$first" || fail "the first run failed: $(tail -n 2 "$T/first.err")"
	forget_pid "$first"
	check_sql "select count(*), sum(awarded) from reconcile_runs" "1|2"
}

# The run's own record meets a locked database after its pages were
# committed: it is tried again, and when the lock outlasts the tries the
# summary says "database" with exit 1, never "stopped": null.
it reconcile_record_locked_at_end
t_reconcile_record_locked_at_end() {
	local run
	recon_db
	yk_gen 2 rec
	yk_start
	# The refunds' list waits (60 s at most) until the lock is taken.
	yk_faults '[{"path":"/refunds","hang":60,"count":1,"release":"'"$T/yk.release"'"}]'
	base_env
	"${BASE_ENV[@]}" AWARD_CONFIG= "AWARD_YOOKASSA_SHOP_ID=$YK_SHOP" \
		"AWARD_YOOKASSA_SECRET_KEY=$YK_KEY" "AWARD_YOOKASSA_API=$YK_API" \
		AWARD_YOOKASSA_TIMEOUT_MS=70000 AWARD_BUSY_TIMEOUT_MS=200 \
		"$BIN/award-reconcile" --db "$DB" </dev/null >"$T/run.out" \
		2>"$T/run.err" &
	run=$!
	PIDS+=("$run")
	for _ in $(seq 1 $((WAIT_S * 20))); do
		grep -q '"/v3/refunds".*"status": "hang"' "$T/yk.log" 2>/dev/null &&
			break
		sleep 0.05
	done
	grep -q '"/v3/refunds".*"status": "hang"' "$T/yk.log" ||
		fail "the run never asked for the refunds: $(cat "$T/run.err")"
	check_sql "select count(*) from ticket_ledger" 2
	lock_db "$DB"
	touch "$T/yk.release"
	wait "$run"
	RECON_RC=$?
	forget_pid "$run"
	unlock_db
	RECON_OUT=$(<"$T/run.out")
	[ "$RECON_RC" = 1 ] || fail "exit $RECON_RC with the record refused"
	check_summary '$.stopped' database '$.applied.awarded' 2
	[ "$(grep -c 'cannot record reconcile_runs' "$T/run.err")" = 1 ] ||
		fail "no one 'cannot record' line: $(tail -n 3 "$T/run.err")"
	check_sql "select count(*) from reconcile_runs" 0
	# The next run finds them known and is recorded.
	recon_ok
	check_summary '$.known' 2
	check_sql "select count(*), count(stopped) from reconcile_runs" "1|0"
}

it reconcile_not_set_up
t_reconcile_not_set_up() {
	yk_start
	recon
	[ "$RECON_RC" = 0 ] || fail "exit $RECON_RC when not set up"
	grep -q 'not set up' "$T/recon.err" || fail "no 'not set up' line"
	[ ! -e "$DB" ] || fail "a database was created"
	[ "$(yk_requests)" = 0 ] || fail "the API was called"
	# Not configured is the start-up error (SPEC.md §11), set up or not:
	# exit 1 naming the missing setting, nothing created.
	recon AWARD_YOOKASSA_SHOP_ID= AWARD_YOOKASSA_SECRET_KEY=
	[ "$RECON_RC" = 1 ] || fail "exit $RECON_RC when not configured"
	grep -q 'AWARD_YOOKASSA_SHOP_ID' "$T/recon.err" ||
		fail "the missing setting is not named: $(cat "$T/recon.err")"
	[ ! -e "$DB" ] || fail "a database was created"
	recon --version
	[ "$RECON_RC" = 0 ] && [[ $RECON_OUT == "award-reconcile "* ]] ||
		fail "--version: $RECON_OUT"
	recon --help
	[ "$RECON_RC" = 0 ] && [[ $RECON_OUT == usage:* ]] ||
		fail "--help: $RECON_OUT"
}

it reconcile_database_outage
t_reconcile_database_outage() {
	recon_db
	yk_gen 5 dbo
	yk_start
	lock_db "$DB"
	recon AWARD_BUSY_TIMEOUT_MS=300
	unlock_db
	[ "$RECON_RC" = 1 ] || fail "exit $RECON_RC with the database locked"
	check_summary '$.stopped' database '$.applied.awarded' 0
	# Stopped at the first page: the refunds were never asked for.
	[ "$(yk_requests '/v3/refunds')" = 0 ] || fail "went on after the outage"
	check_sql "select count(*) from ticket_ledger" 0
	recon_ok
	check_summary '$.applied.awarded' 5 '$.known' 0
	check_sql "select count(*) from ticket_ledger" 5
}
