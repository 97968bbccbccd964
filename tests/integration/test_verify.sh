# award — integration: verification of notifications against YooKassa's
# API (SPEC.md §11, AWARD_VERIFY_PAYMENTS=1) with the real responder, the
# real award-retry and the mock API (yk_* helpers of test_reconcile.sh).
# What is checked is what YooKassa, an admin or the API observe: the
# answer, ledger / payments / failed_awards rows, the requests the API got.

# vf_stack [VERIFY]: the mock API, then the stack with verification on
# (VERIFY 0: off, the API still configured).
vf_stack() {
	yk_start
	APP_ENV+=("AWARD_CONFIG=" "AWARD_VERIFY_PAYMENTS=${1:-1}"
		"AWARD_YOOKASSA_SHOP_ID=$YK_SHOP"
		"AWARD_YOOKASSA_SECRET_KEY=$YK_KEY"
		"AWARD_YOOKASSA_API=$YK_API")
	start_stack
	seed_contest c1
	seed_plans
}

# vf_retry [ARGS...]: award-retry with the same API settings, --force.
vf_retry() {
	retry "AWARD_CONFIG=" "AWARD_LOG_LEVEL=debug" \
		"AWARD_YOOKASSA_SHOP_ID=$YK_SHOP" \
		"AWARD_YOOKASSA_SECRET_KEY=$YK_KEY" \
		"AWARD_YOOKASSA_API=$YK_API" --force "$@"
}

# vf_api_down: every API request answers 503 at once (Retry-After: 0).
vf_api_down() {
	yk_faults '[{"status":503,"retry_after":"0"}]'
}

# vf_queued_retried_not_confirmed ORDER TG PAYMENT: the notification is
# queued while the API is down; the API comes back, and the retry run
# (exit 0) ends the row not_confirmed with nothing applied.
vf_queued_retried_not_confirmed() {
	vf_api_down
	webhook "$(payment "$1" "$2" plan_1m "$(iso_now)" "$3")"
	check_json '$.award' queued
	yk_faults '[]'
	vf_retry
	[ "$RETRY_RC" = 0 ] || fail "retry: exit $RETRY_RC"
	check_sql "select status, outcome from failed_awards
		where order_id = '$1'" "done|not_confirmed"
	check_sql "select (select count(*) from payments),
		(select count(*) from ticket_ledger)" "0|0"
}

# The rows nothing may hold after an ignored notification.
vf_nothing_recorded() {
	check_sql "select (select count(*) from ticket_ledger),
		(select count(*) from payments), (select count(*) from refunds),
		(select count(*) from failed_awards)" "0|0|0|0"
}

it verify_forged_payment_ignored
t_verify_forged_payment_ignored() {
	vf_stack
	webhook "$(payment forged-1 555 plan_12m "$(iso_now)" pay-forged-1)"
	check_status 200
	check_json '$.status' ignored
	check_json '$.reason' not_confirmed
	vf_nothing_recorded
	[ "$(yk_requests '"path": "/v3/payments/pay-forged-1"')" = 1 ] ||
		fail "the API was not asked once: $(cat "$T/yk.log")"
	grep '"msg":"notification not confirmed by the API; ignored"' \
		"$T/fcgi.log" | grep '"level":"warn"' |
		grep -q '"remote_addr":"127.0.0.1"' ||
		fail "not logged at warn with the client address"

	# Known to the API but not succeeded: ignored the same way.
	yk_py 'print(json.dumps({"payments": [payment("pay-w", "ord-w", 556,
		"plan_1m", ago(60), status="waiting_for_capture")], "refunds": []}))'
	webhook "$(payment ord-w 556 plan_1m "$(iso_now)" pay-w)"
	check_status 200
	check_json '$.reason' not_confirmed
	# Without a payment id there is nothing to verify: no request.
	webhook "$(payment ord-noid 557 plan_1m "$(iso_now)" pay-x |
		sed '/"id": "pay-x"/d')"
	check_status 200
	check_json '$.reason' not_confirmed
	vf_nothing_recorded
}

it verify_altered_notification_uses_api_copy
t_verify_altered_notification_uses_api_copy() {
	vf_stack
	yk_py 'print(json.dumps({"payments": [payment("pay-a", "ord-a", 111,
		"plan_1m", ago(60), value="199.00")], "refunds": []}))'
	# Another buyer, order, plan and amount than the API's: its copy wins.
	webhook "$(payment ord-evil 999 plan_12m "$(iso_now)" pay-a 1.00)"
	check_status 200
	check_json '$.award' awarded
	check_json '$.tickets' 1
	check_sql "select id, referrer_id, delta from ticket_ledger" \
		"SELF_PURCHASE:ord-a|111|1"
	check_sql "select order_id, telegram_id, plan_id, amount_minor
		from payments" "ord-a|111|plan_1m|19900"
	check_sql "select count(*) from ticket_ledger where referrer_id = 999
		or order_id = 'ord-evil'" 0
	grep -q '"msg":"notification differs from the API' "$T/fcgi.log" ||
		fail "the altered notification was not logged"
}

it verify_refund_checked_with_api
t_verify_refund_checked_with_api() {
	vf_stack
	yk_py 'print(json.dumps({"payments": [payment("pay-r", "ord-r", 222,
		"plan_3m", ago(60))], "refunds": [refund("rf-1", "pay-r", ago(30),
		"199.00")]}))'
	webhook "$(payment ord-r 222 plan_3m "$(iso_now)" pay-r)"
	check_json '$.award' awarded
	# A refund the API does not know: ignored, nothing reversed.
	webhook "$(refund rf-forged pay-r 199.00)"
	check_status 200
	check_json '$.status' ignored
	check_json '$.reason' not_confirmed
	check_sql "select count(*) from refunds" 0
	check_sql "select coalesce(sum(delta), 0) from ticket_ledger" 3
	# The real one, notified as partial and for another payment: the
	# API's copy (full, pay-r) is applied.
	webhook "$(refund rf-1 pay-other 1.00)"
	check_status 200
	check_json '$.refund' reversed
	check_sql "select payment_id, amount_minor from refunds" "pay-r|19900"
	check_sql "select sum(delta) from ticket_ledger" 0
	[ "$(yk_requests '"path": "/v3/refunds/rf-1"')" = 1 ] ||
		fail "refund not fetched by id"
}

it verify_api_down_queued_then_retry_applies
t_verify_api_down_queued_then_retry_applies() {
	local due n
	vf_stack
	yk_py 'print(json.dumps({"payments": [payment("pay-d", "ord-d", 333,
		"plan_6m", ago(60))], "refunds": [refund("rf-d", "pay-d", ago(30),
		"199.00")]}))'
	vf_api_down
	# The notification lies about the buyer; the API cannot say so now.
	webhook "$(payment ord-d 999 plan_6m "$(iso_now)" pay-d)"
	check_status 200
	check_json '$.status' processed
	check_json '$.award' queued
	# One request, no retry: the webhook's wait stays one API timeout.
	[ "$(yk_requests '"path": "/v3/payments/pay-d"')" = 1 ] ||
		fail "the responder retried: $(yk_requests pay-d)"
	check_sql "select status, attempts, verify from failed_awards" "pending|1|1"
	# YooKassa delivers it again while the API is still down: an outage
	# (SPEC §11), so no attempt is counted and the row never goes dead
	# for it, and its next attempt is not put off.
	due=$(sql "select next_attempt_ms from failed_awards")
	for n in 2 3; do
		webhook "$(payment ord-d 999 plan_6m "$(iso_now)" pay-d)"
		check_json '$.award' queued
	done
	check_sql "select status, attempts, next_attempt_ms = $due
		from failed_awards" "pending|1|1"
	# Hints are not recorded as a payment, nothing awarded.
	check_sql "select (select count(*) from payments),
		(select count(*) from ticket_ledger)" "0|0"

	yk_faults '[]'
	vf_retry
	[ "$RETRY_RC" = 0 ] || fail "retry: exit $RETRY_RC"
	check_sql "select status, outcome from failed_awards" "done|awarded"
	check_sql "select id, referrer_id, delta from ticket_ledger" \
		"SELF_PURCHASE:ord-d|333|6"
	check_sql "select telegram_id from payments" 333

	# A refund while the API is down: queued, then verified and applied.
	vf_api_down
	webhook "$(refund rf-d pay-d 1.00)"
	check_status 200
	check_json '$.refund' queued
	check_sql "select count(*) from refunds" 0
	yk_faults '[]'
	vf_retry
	[ "$RETRY_RC" = 0 ] || fail "retry: exit $RETRY_RC"
	check_sql "select status, outcome from failed_awards where kind = 'refund'" \
		"done|reversed"
	check_sql "select sum(delta) from ticket_ledger" 0
}

# A confirmed payment whose award failed (an unknown plan) is queued with
# the API's fields. An unconfirmed notification for the same order, with
# another payment id, buyer and plan, comes while the API is down: a hint
# must not rewrite that row, or the retry would ask about the hint's
# payment, end the row not_confirmed, and the confirmed payment (known to
# reconciliation by its payments row) would never be awarded.
it verify_hint_keeps_confirmed_row
t_verify_hint_keeps_confirmed_row() {
	vf_stack
	sql "DELETE FROM plan_tickets WHERE plan_id = 'plan_3m'"
	yk_py 'print(json.dumps({"payments": [payment("pay-ok", "ord-x", 111,
		"plan_3m", ago(60))], "refunds": []}))'
	webhook "$(payment ord-x 111 plan_3m "$(iso_now)" pay-ok)"
	check_json '$.award' queued
	check_sql "select payment_id, telegram_id, plan_id, verify, attempts
		from failed_awards" "pay-ok|111|plan_3m|0|1"
	vf_api_down
	webhook "$(payment ord-x 999 plan_1m "$(iso_now)" pay-forged)"
	check_json '$.award' queued
	check_sql "select payment_id, telegram_id, plan_id, verify, attempts
		from failed_awards" "pay-ok|111|plan_3m|0|1"
	yk_faults '[]'
	sql "INSERT INTO plan_tickets VALUES ('plan_3m', 3)"
	vf_retry
	[ "$RETRY_RC" = 0 ] || fail "retry: exit $RETRY_RC: $(tail -n 2 "$T/retry.log")"
	check_sql "select status, outcome from failed_awards" "done|awarded"
	check_sql "select id, referrer_id, delta from ticket_ledger" \
		"SELF_PURCHASE:ord-x|111|3"
}

it verify_retry_api_down_stops_run
t_verify_retry_api_down_stops_run() {
	vf_stack
	yk_py 'print(json.dumps({"payments": [payment("pay-s", "ord-s", 444,
		"plan_1m", ago(60))], "refunds": []}))'
	vf_api_down
	webhook "$(payment ord-s 444 plan_1m "$(iso_now)" pay-s)"
	check_json '$.award' queued
	: >"$T/yk.log"
	vf_retry
	[ "$RETRY_RC" = 1 ] || fail "retry with the API down: exit $RETRY_RC"
	# The client's full retries (4 requests), then the run stops.
	[ "$(yk_requests '"path": "/v3/payments/pay-s"')" = 4 ] ||
		fail "requests: $(yk_requests pay-s)"
	check_sql "select status, attempts from failed_awards" "pending|1"
	check_sql "select picked, stopped like 'api_unavailable%' from retry_runs
		order by id desc limit 1" "0|1"
	check_sql "select count(*) from ticket_ledger" 0
}

it verify_retry_not_confirmed_done
t_verify_retry_not_confirmed_done() {
	vf_stack
	# The API is back and does not know the payment: forged.
	vf_queued_retried_not_confirmed ord-n 666 pay-n
	check_sql "select attempts from failed_awards" 1
	check_sql "select stopped is null from retry_runs order by id desc
		limit 1" 1
	# Picked, none of the outcomes of the rules: not confirmed.
	check_sql "select picked, awarded, duplicate, not_eligible, refunds,
		failed, dead, not_confirmed from retry_runs order by id desc
		limit 1" "1|0|0|0|0|0|0|1"
	grep '"msg":"retry run"' "$T/retry.log" | tail -n 1 |
		grep -q '"not_confirmed":1' ||
		fail "the run's line does not count it: $(tail -n 2 "$T/retry.log")"
	# The admin views count it too, so that picked adds up.
	admin_get /v1/admin/award-retry-stats
	check_json '$.lastRun.picked' 1
	check_json '$.lastRun.notConfirmed' 1
	admin_get /v1/admin/metrics
	grep -qx 'award_retry_last_run_rows{result="not_confirmed"} 1' <<<"$BODY" ||
		fail "$REQ: $(grep 'last_run_rows' <<<"$BODY")"
}

# Only an API that cannot be used stops the retry run. One that answers
# about a queued row's id with something else (here a 400) has not
# confirmed it: the row ends done not_confirmed and the run goes on to
# the next row, a real payment, instead of stopping at the same row run
# after run (no attempt counted, so never dead) while the queue waits.
it verify_retry_odd_answer_not_an_outage
t_verify_retry_odd_answer_not_an_outage() {
	vf_stack
	yk_py 'print(json.dumps({"payments": [payment("pay-real", "ord-real",
		777, "plan_1m", ago(30))], "refunds": []}))'
	vf_api_down
	webhook "$(payment ord-odd 776 plan_1m "$(iso_now)" pay-odd)"
	check_json '$.award' queued
	webhook "$(payment ord-real 777 plan_1m "$(iso_now)" pay-real)"
	check_json '$.award' queued
	yk_faults '[{"path": "/payments/pay-odd", "status": 400}]'
	vf_retry
	[ "$RETRY_RC" = 0 ] || fail "retry: exit $RETRY_RC: $(tail -n 2 "$T/retry.log")"
	check_sql "select order_id, status, outcome from failed_awards
		order by id" "ord-odd|done|not_confirmed
ord-real|done|awarded"
	check_sql "select order_id from ticket_ledger" ord-real
	# At the webhook the same answer is not_confirmed, nothing recorded.
	webhook "$(payment ord-odd 776 plan_1m "$(iso_now)" pay-odd)"
	check_json '$.status' ignored
	check_json '$.reason' not_confirmed
}

# The API's copy is judged as its notification would be: a test shop's
# payment behind a notification that says "test": false is ignored as a
# test payment (SPEC.md §5), at the webhook and in the retry run, unless
# AWARD_ACCEPT_TEST_PAYMENTS=1.
it verify_api_copy_test_shop_ignored
t_verify_api_copy_test_shop_ignored() {
	vf_stack
	yk_py 't = payment("pay-t", "ord-t", 781, "plan_1m", ago(30))
t["test"] = True
print(json.dumps({"payments": [t], "refunds": []}))'
	webhook "$(payment ord-t 781 plan_1m "$(iso_now)" pay-t)"
	check_status 200
	check_json '$.status' ignored
	check_json '$.reason' test_payment
	vf_nothing_recorded
	# Queued while the API was down: the retry run ends it not confirmed.
	vf_queued_retried_not_confirmed ord-t 781 pay-t
	grep -q "is a test shop's" "$T/retry.log" ||
		fail "the run does not say why: $(tail -n 3 "$T/retry.log")"
}

it verify_api_copy_test_shop_accepted
t_verify_api_copy_test_shop_accepted() {
	APP_ENV+=("AWARD_ACCEPT_TEST_PAYMENTS=1")
	vf_stack
	yk_py 't = payment("pay-t", "ord-t", 781, "plan_1m", ago(30))
t["test"] = True
print(json.dumps({"payments": [t], "refunds": []}))'
	webhook "$(payment ord-t 781 plan_1m "$(iso_now)" pay-t)"
	check_json '$.award' awarded
	check_sql "select id from ticket_ledger" "SELF_PURCHASE:ord-t"
}

it verify_off_makes_no_api_call
t_verify_off_makes_no_api_call() {
	vf_stack 0
	webhook "$(payment ord-o 777 plan_1m "$(iso_now)" pay-o)"
	check_status 200
	check_json '$.award' awarded
	webhook "$(refund rf-o pay-o 199.00)"
	check_json '$.refund' reversed
	# The retry run with a queue of unmarked rows asks nothing either.
	sql "DELETE FROM plan_tickets WHERE plan_id = 'plan_3m'"
	webhook "$(payment ord-o2 778 plan_3m "$(iso_now)" pay-o2)"
	check_json '$.award' queued
	sql "INSERT INTO plan_tickets(plan_id, tickets) VALUES ('plan_3m', 3)"
	vf_retry
	[ "$RETRY_RC" = 0 ] || fail "retry: exit $RETRY_RC"
	check_sql "select outcome from failed_awards" awarded
	[ "$(yk_requests)" = 0 ] || fail "API called: $(cat "$T/yk.log")"
}

# ------------------------------------------------------------ admin (§11)

it verify_admin_reconcile_block_and_metrics
t_verify_admin_reconcile_block_and_metrics() {
	local out
	command -v promtool >/dev/null || fail "promtool missing (make deps)"
	vf_stack 0
	# Before any run: null, null, and stale (configured, never ran).
	admin_get /v1/admin/award-retry-stats
	check_status 200
	[ "$(jtype '$.reconcile.lastRun')" = null ] || fail "lastRun: $BODY"
	[ "$(jtype '$.reconcile.lastRunAgeSeconds')" = null ] ||
		fail "lastRunAgeSeconds: $BODY"
	[ "$(jtype '$.reconcile.stale')" = true ] || fail "stale: $BODY"
	admin_get /v1/admin/metrics
	out=$(promtool check metrics <<<"$BODY" 2>&1) ||
		fail "promtool check metrics: $out"
	grep -qx 'award_reconcile_recovered_total 0' <<<"$BODY" ||
		fail "no recovered_total 0"
	grep -qx 'award_reconcile_stale 1' <<<"$BODY" || fail "no stale 1"
	! grep -q '^award_reconcile_last_run_timestamp_seconds ' <<<"$BODY" ||
		fail "a last-run timestamp before any run"
	req GET "$HTTPS/v1/admin/dashboard" -u "admin:$ADMIN_TOKEN"
	grep -q 'id="reconcile-stale"' <<<"$BODY" || fail "dashboard: no warning"

	# A run recovers 3 of 4 (one was notified): its values everywhere.
	yk_gen 4 adm 7400000
	webhook "$(payment adm-000000 7400000 plan_1m "$(iso_now)" \
		pay-adm-000000)"
	check_json '$.award' awarded
	recon_ok
	admin_get /v1/admin/award-retry-stats
	check_json '$.reconcile.lastRun.applied.awarded' 3
	check_json '$.reconcile.lastRun.known' 1
	check_json '$.reconcile.lastRun.fetched.payments' 4
	check_json '$.reconcile.recoveredTotal' 3
	[ "$(jtype '$.reconcile.lastRun.stopped')" = null ] || fail "stopped: $BODY"
	[ "$(jtype '$.reconcile.stale')" = false ] || fail "stale: $BODY"
	[ "$(jget '$.reconcile.lastRunAgeSeconds')" -lt 60 ] ||
		fail "lastRunAgeSeconds: $BODY"
	# A stopped run is the last run, but does not make it fresh again.
	yk_faults '[{"status":500,"retry_after":"0"}]'
	sql "UPDATE reconcile_runs SET finished_at = '2020-01-01T00:00:00.000Z'"
	recon
	[ "$RECON_RC" = 1 ] || fail "recon with the API down: exit $RECON_RC"
	admin_get /v1/admin/award-retry-stats
	check_json '$.reconcile.lastRun.stopped' api_unavailable
	[ "$(jtype '$.reconcile.stale')" = true ] || fail "stale: $BODY"
	admin_get /v1/admin/metrics
	out=$(promtool check metrics <<<"$BODY" 2>&1) ||
		fail "promtool check metrics: $out"
	grep -qx 'award_reconcile_recovered_total 3' <<<"$BODY" ||
		fail "recovered_total: $(grep reconcile <<<"$BODY")"
	grep -qx 'award_reconcile_stale 1' <<<"$BODY" || fail "no stale 1"
	grep -qE '^award_reconcile_last_run_timestamp_seconds [0-9]{10}\.[0-9]{3}$' \
		<<<"$BODY" || fail "timestamp: $(grep reconcile <<<"$BODY")"
	# Retention deletes old runs; the total stays.
	sql "DELETE FROM reconcile_runs"
	admin_get /v1/admin/metrics
	grep -qx 'award_reconcile_recovered_total 3' <<<"$BODY" ||
		fail "recovered_total after retention: $(grep reconcile <<<"$BODY")"
	req GET "$HTTPS/v1/admin/dashboard" -u "admin:$ADMIN_TOKEN"
	grep -q 'id="reconcile-recovered"' <<<"$BODY" &&
		grep -q '<strong>3</strong>' <<<"$BODY" ||
		fail "dashboard: recovered not shown"
}
