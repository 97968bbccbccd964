# award — integration: the admin API of issue 17 (SPEC.md §5): the
# acknowledgement of dead rows, the lookup, the version in /healthz and the
# metrics, and test-shop notifications (SPEC.md §5 table, §7).
# Every test reads no configuration file (AWARD_CONFIG empty).

# ack ID [curl args...]: POST the acknowledgement of row ID.
ack() {
	local id=$1
	shift
	req POST "$HTTPS/v1/admin/failed-awards/$id/ack" "$@"
}

# api_dead ORDER TG: a queued award (unknown plan) made dead; echoes its id.
api_dead() {
	webhook "$(payment "$1" "$2" plan_none "$(iso_now)")"
	check_json '$.award' queued
	sql "UPDATE failed_awards SET status = 'dead', attempts = 8
		WHERE order_id = '$1'"
	sql "SELECT id FROM failed_awards WHERE order_id = '$1'"
}

# metric NAME_AND_LABELS: the value of one sample in the last body.
metric() {
	awk -v k="$1" '$1 == k { print $2 }' <<<"$BODY"
}

it admin_ack
t_admin_ack() {
	local id pid origin at
	APP_ENV=("AWARD_CONFIG=")
	start_stack
	seed_contest c1
	seed_plans
	id=$(api_dead ord-a1 1001)
	pid=$(api_dead ord-a2 1002)
	sql "UPDATE failed_awards SET status = 'pending', attempts = 2
		WHERE id = $pid"
	origin="https://127.0.0.1:$HTTPS_PORT"

	admin_get /v1/admin/metrics
	[ "$(metric 'award_failed_awards{status="dead"}')" = 1 ] ||
		fail "$REQ: dead is not 1 before the ack"
	[ "$(metric 'award_failed_awards{status="acknowledged"}')" = 0 ] ||
		fail "$REQ: acknowledged is not 0 before the ack"

	# Unknown id, malformed id: 404. A pending row: 409. Nothing changed.
	ack 999999 -H "Authorization: Bearer $ADMIN_TOKEN"
	check_error 404
	ack abc -H "Authorization: Bearer $ADMIN_TOKEN"
	check_error 404
	ack "$pid" -H "Authorization: Bearer $ADMIN_TOKEN"
	check_error 409
	check_sql "SELECT acked_at IS NULL FROM failed_awards WHERE id = $pid" 1
	# No token: 401; Basic cross-origin or without Origin: 403.
	ack "$id"
	check_error 401
	ack "$id" -u "alice:$ADMIN_TOKEN"
	check_error 403
	check_json '$.error' "cross-origin request refused"
	ack "$id" -u "alice:$ADMIN_TOKEN" -H "Origin: https://evil.example"
	check_error 403
	check_sql "SELECT acked_at IS NULL FROM failed_awards WHERE id = $id" 1

	# Basic from our own origin: acknowledged by alice.
	ack "$id" -u "alice:$ADMIN_TOKEN" -H "Origin: $origin"
	check_status 200
	check_json_type
	check_no_store
	check_json '$.id' "$id"
	check_json '$.status' dead
	check_json '$.acknowledged' 1
	check_sql "SELECT status || '|' || acked_by FROM failed_awards
		WHERE id = $id" "dead|alice"
	at=$(sql "SELECT acked_at FROM failed_awards WHERE id = $id")
	[[ $at == 20??-??-??T??:??:??.???Z ]] || fail "acked_at '$at'"
	grep -q '"msg":"failed award ack by admin".*"by":"alice"' \
		"$T/fcgi.log" || fail "the acknowledgement is not logged"

	# Again, by Bearer: the same 200, the first who and when kept.
	sleep 0.01
	ack "$id" -H "Authorization: Bearer $ADMIN_TOKEN"
	check_status 200
	check_json '$.acknowledged' 1
	check_sql "SELECT acked_by || '|' || acked_at FROM failed_awards
		WHERE id = $id" "alice|$at"

	# Stats: still listed under dead, with who and when; metrics split.
	admin_get /v1/admin/award-retry-stats
	check_json '$.dead[0].id' "$id"
	check_json '$.dead[0].acknowledgedBy' alice
	check_json '$.dead[0].acknowledgedAt' "$at"
	check_json '$.counts.dead' 1
	check_json '$.counts.acknowledged' 1
	admin_get /v1/admin/metrics
	[ "$(metric 'award_failed_awards{status="dead"}')" = 0 ] ||
		fail "$REQ: an acknowledged row still counts as dead"
	[ "$(metric 'award_failed_awards{status="acknowledged"}')" = 1 ] ||
		fail "$REQ: acknowledged is not 1"

	# The dashboard's form: 303 back to the page.
	ack "$id" -u "alice:$ADMIN_TOKEN" -H "Origin: $origin" \
		-H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary ''
	check_status 303
	check_hdr Location /v1/admin/dashboard

	# A requeue clears it and records who pressed Retry; dead again,
	# the row counts as dead and can be acknowledged anew. The dead row
	# is queued anew: its age starts over.
	sql "UPDATE failed_awards SET created_at = '2025-01-01T00:00:00.000Z'
		WHERE id = $id"
	req POST "$HTTPS/v1/admin/failed-awards/$id/retry" \
		-u "bob:$ADMIN_TOKEN" -H "Origin: $origin"
	check_status 200
	check_sql "SELECT created_at = requeued_at FROM failed_awards
		WHERE id = $id" 1
	check_sql "SELECT status || '|' || (acked_at IS NULL) || '|' ||
		(acked_by IS NULL) || '|' || requeued_by || '|' ||
		(requeued_at IS NOT NULL) FROM failed_awards WHERE id = $id" \
		"pending|1|1|bob|1"
	grep -q '"msg":"failed award requeue by admin".*"by":"bob"' \
		"$T/fcgi.log" || fail "the requeue's who is not logged"
	sql "UPDATE failed_awards SET status = 'dead' WHERE id = $id"
	admin_get /v1/admin/metrics
	[ "$(metric 'award_failed_awards{status="dead"}')" = 1 ] ||
		fail "$REQ: a requeued row made dead again is not dead"
	admin_get /v1/admin/award-retry-stats
	[ "$(jtype '$.dead[0].acknowledgedAt')" = null ] ||
		fail "$REQ: acknowledgedAt not null after the requeue: $BODY"
	check_json '$.dead[0].requeuedBy' bob
	# The token pasted as the user name too is not kept as the name.
	req POST "$HTTPS/v1/admin/failed-awards/$id/retry" \
		-u "$ADMIN_TOKEN:$ADMIN_TOKEN" -H "Origin: $origin"
	check_status 200
	check_sql "SELECT requeued_by FROM failed_awards WHERE id = $id" basic
	# ... nor with more around it, nor cut short.
	req POST "$HTTPS/v1/admin/failed-awards/$id/retry" \
		-u "Bearer $ADMIN_TOKEN:$ADMIN_TOKEN" -H "Origin: $origin"
	check_status 200
	check_sql "SELECT requeued_by FROM failed_awards WHERE id = $id" basic
	req POST "$HTTPS/v1/admin/failed-awards/$id/retry" \
		-u "${ADMIN_TOKEN:0:24}:$ADMIN_TOKEN" -H "Origin: $origin"
	check_status 200
	check_sql "SELECT requeued_by FROM failed_awards WHERE id = $id" basic
	! grep -qF -- "${ADMIN_TOKEN:0:24}" "$T/fcgi.log" ||
		fail "the admin token reached the log as a user name"
	sql "UPDATE failed_awards SET status = 'dead' WHERE id = $id"
	ack "$id" -H "Authorization: Bearer $ADMIN_TOKEN"
	check_status 200
	check_sql "SELECT acked_by FROM failed_awards WHERE id = $id" token
	# A GET of the ack is 405.
	req GET "$HTTPS/v1/admin/failed-awards/$id/ack" \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	check_status 405
}

it admin_lookup
t_admin_lookup() {
	local before
	APP_ENV=("AWARD_CONFIG=")
	start_stack
	seed_contest old "$(iso_days -60)" "$(iso_days -30)" 30 1
	seed_contest c1
	seed_plans
	seed_referral 2002 2001
	webhook "$(payment ord-l1 2002 plan_3m "$(iso_now)" pay-l1)"
	check_json '$.award' awarded
	webhook "$(payment ord-l2 2002 plan_1m "$(iso_days -40)" pay-l2)"
	check_json '$.award' awarded
	webhook "$(refund ref-l1 pay-l1 50.00)"
	check_json '$.refund' partial
	webhook "$(payment ord-l3 2002 plan_none "$(iso_now)" pay-l3)"
	check_json '$.award' queued
	# The referrer's own purchase, and a row the referrer owns.
	webhook "$(payment ord-l4 2001 plan_1m "$(iso_now)" pay-l4)"
	check_json '$.award' awarded
	before=$(sqlite3 "$DB" .dump | md5sum)

	# By order id.
	admin_get "/v1/admin/lookup?order_id=ord-l1"
	check_status 200
	check_json_type
	check_no_store
	check_json '$.query.order_id' ord-l1
	check_json '$.payments[#-1].payment_id' pay-l1
	[ "$(jlen '$.payments')" = 1 ] || fail "$REQ: payments: $BODY"
	check_json '$.payments[0].outcome' awarded
	check_json '$.payments[0].refunded' 50.00
	check_json '$.payments[0].refunded_minor' 5000
	check_json '$.payments[0].amount' 199.00
	[ "$(jlen '$.refunds')" = 1 ] || fail "$REQ: refunds: $BODY"
	check_json '$.refunds[0].refund_id' ref-l1
	check_json '$.refunds[0].amount' 50.00
	[ "$(jlen '$.ledger')" = 2 ] || fail "$REQ: ledger: $BODY"
	check_json "\$.ledger[0].id" SELF_PURCHASE:ord-l1
	check_json "\$.ledger[0].owner_id" 2002
	check_json "\$.ledger[0].delta" 3
	check_json "\$.ledger[1].id" INVITEE_PAYMENT:ord-l1
	check_json "\$.ledger[1].owner_id" 2001
	[ "$(jlen '$.queue')" = 0 ] || fail "$REQ: queue: $BODY"
	[ "$(jlen '$.tickets')" = 0 ] || fail "$REQ: tickets: $BODY"

	# By payment id: the queued one, with its attempts and last error.
	admin_get "/v1/admin/lookup?payment_id=pay-l3"
	check_status 200
	check_json '$.payments[0].order_id' ord-l3
	[ "$(jlen '$.queue')" = 1 ] || fail "$REQ: queue: $BODY"
	check_json '$.queue[0].status' pending
	check_json '$.queue[0].attempts' 1
	[ -n "$(jget '$.queue[0].last_error')" ] ||
		fail "$REQ: no last error: $BODY"
	[ "$(jlen '$.ledger')" = 0 ] || fail "$REQ: ledger: $BODY"
	# A refund recorded before its payment is found by the payment id.
	webhook "$(refund ref-l9 pay-l9 10.00)"
	check_json '$.refund' unknown_payment
	admin_get "/v1/admin/lookup?payment_id=pay-l9"
	check_status 200
	[ "$(jlen '$.payments')" = 0 ] || fail "$REQ: payments: $BODY"
	check_json '$.refunds[0].refund_id' ref-l9
	check_json '$.refunds[0].status' pending
	before=$(sqlite3 "$DB" .dump | md5sum)

	# By telegram id: the buyer's payments, the orders' rows, tickets
	# per contest (the old contest too).
	admin_get "/v1/admin/lookup?telegram_id=2002"
	check_status 200
	check_json '$.query.telegram_id' 2002
	[ "$(jlen '$.payments')" = 3 ] || fail "$REQ: payments: $BODY"
	[ "$(jlen '$.queue')" = 1 ] || fail "$REQ: queue: $BODY"
	[ "$(jlen '$.tickets')" = 2 ] || fail "$REQ: tickets: $BODY"
	check_json '$.tickets[0].contest_id' c1
	check_json '$.tickets[0].tickets' 3
	check_json '$.tickets[1].contest_id' old
	check_json '$.tickets[1].tickets' 1
	# The referrer: its own purchase and the invitee rows it owns.
	admin_get "/v1/admin/lookup?telegram_id=2001"
	check_status 200
	[ "$(jlen '$.payments')" = 1 ] || fail "$REQ: payments: $BODY"
	[ "$(jlen '$.tickets')" = 1 ] || fail "$REQ: tickets: $BODY"
	check_json '$.tickets[0].contest_id' c1
	check_json '$.tickets[0].tickets' 4
	[ "$(jlen '$.ledger')" = 2 ] || fail "$REQ: ledger: $BODY"
	check_json '$.ledger[0].id' INVITEE_PAYMENT:ord-l1
	check_json '$.ledger[0].buyer_id' 2002
	check_json '$.ledger[1].id' SELF_PURCHASE:ord-l4
	# A sum of 0 is still listed (a refunded order's rows).
	sql "INSERT INTO ticket_ledger(id, contest_id, referrer_id, referred_id,
		order_id, delta, reason, created_at) VALUES
		('x1', 'c1', 7007, 7007, 'ord-x', 2, 'SELF_PURCHASE', '$(iso_now)'),
		('x2', 'c1', 7007, 7007, 'ord-x', -2, 'REFUND', '$(iso_now)')"
	admin_get "/v1/admin/lookup?telegram_id=7007"
	check_json '$.tickets[0].tickets' 0
	check_json '$.tickets[0].rows' 2
	# Rows of a contest the bot has since deleted from contests: still
	# its rows and its tickets (listed after the contests that exist).
	sql "INSERT INTO ticket_ledger(id, contest_id, referrer_id, referred_id,
		order_id, delta, reason, created_at) VALUES
		('x3', 'gone', 7007, 7007, 'ord-y', 5, 'SELF_PURCHASE', '$(iso_now)')"
	admin_get "/v1/admin/lookup?telegram_id=7007"
	[ "$(jlen '$.tickets')" = 2 ] || fail "$REQ: tickets: $BODY"
	check_json '$.tickets[1].contest_id' gone
	check_json '$.tickets[1].tickets' 5
	[ "$(jlen '$.ledger')" = 3 ] || fail "$REQ: ledger: $BODY"
	check_json '$.ledger[2].id' x3
	before=$(sqlite3 "$DB" .dump | md5sum)

	# Nothing known: 200 with empty lists.
	for q in order_id=nope payment_id=nope telegram_id=99; do
		admin_get "/v1/admin/lookup?$q"
		check_status 200
		for l in payments refunds ledger queue tickets; do
			[ "$(jlen "\$.$l")" = 0 ] ||
				fail "$REQ: $l not empty: $BODY"
		done
	done
	# Bad input: 400 (none, two keys, malformed values).
	for q in "" "order_id=a&payment_id=b" "order_id=a&telegram_id=1" \
		"order_id=" "order_id=%20%20" "order_id=a%01b" \
		"payment_id=$(printf 'p%.0s' $(seq 1 256))" telegram_id=0 \
		telegram_id=-1 telegram_id=1e2 telegram_id=9007199254740992 \
		telegram_id=abc "order_id=%zz"; do
		admin_get "/v1/admin/lookup?$q"
		check_error 400
	done
	# An order id of older code's rows may be any text: the lookup
	# finds it (the dashboard links it here), and the spaces around a
	# pasted value are dropped.
	sql "INSERT INTO ticket_ledger(id, contest_id, referrer_id, referred_id,
		order_id, delta, reason, created_at) VALUES
		('old-1', 'c1', 7008, 7008, 'old order \"9\" <x>&y', 1,
		'SELF_PURCHASE', '2026-01-01 10:00:00')"
	admin_get "/v1/admin/lookup?order_id=old%20order%20%229%22%20%3Cx%3E%26y"
	check_status 200
	check_json '$.ledger[0].id' old-1
	admin_get "/v1/admin/lookup?order_id=%20ord-l1%20&"
	check_status 200
	check_json '$.query.order_id' ord-l1
	check_json '$.payments[0].order_id' ord-l1
	before=$(sqlite3 "$DB" .dump | md5sum)
	# Basic works (a browser), no token does not; a GET writes nothing.
	req GET "$HTTPS/v1/admin/lookup?order_id=ord-l1" -u "x:$ADMIN_TOKEN"
	check_status 200
	req GET "$HTTPS/v1/admin/lookup?order_id=ord-l1"
	check_error 401
	[ "$(sqlite3 "$DB" .dump | md5sum)" = "$before" ] ||
		fail "a lookup changed the database"
}

it admin_version
t_admin_version() {
	local v
	APP_ENV=("AWARD_CONFIG=")
	start_stack
	v=$("$BIN/award-fcgi" --version | awk '{ print $2 }')
	[ -n "$v" ] || fail "award-fcgi --version printed no version"
	req GET "$HTTP/healthz"
	check_status 200
	check_json '$.status' ok
	check_json '$.version' "$v"
	admin_get /v1/admin/metrics
	check_status 200
	grep -qx "award_build_info{version=\"$v\"} 1" <<<"$BODY" ||
		fail "$REQ: no award_build_info for $v"
	req GET "$HTTPS/v1/admin/dashboard" -u "admin:$ADMIN_TOKEN"
	check_status 200
	grep -q "id=\"version\">$v<" <<<"$BODY" ||
		fail "$REQ: the version is not on the page"
}

# test_payment ORDER TG: the fixture from a test shop ("test": true).
test_payment() {
	payment "$1" "$2" plan_1m "$(iso_now)" "pay-$1" |
		sed 's/"test": false/"test": true/'
}

it admin_test_payments_ignored
t_admin_test_payments_ignored() {
	APP_ENV=("AWARD_CONFIG=")
	start_stack
	seed_contest c1
	seed_plans
	grep -q '"test": false' "$FIXTURES/payment.succeeded.json" ||
		fail "the fixture has no \"test\": false to turn"
	webhook "$(test_payment ord-t1 3001)"
	check_status 200
	check_json '$.status' ignored
	check_json '$.reason' test_payment
	[ "$(jtype '$.award')" = "" ] || fail "$REQ: an award field: $BODY"
	# A test shop's refund is ignored too; a real one still counts.
	webhook "$(refund ref-t1 pay-ord-t1 199.00 |
		sed 's/"status": "succeeded"/"test": true, "status": "succeeded"/')"
	check_json '$.reason' test_payment
	check_sql "SELECT (SELECT count(*) FROM ticket_ledger) ||
		(SELECT count(*) FROM payments) || (SELECT count(*) FROM refunds)
		|| (SELECT count(*) FROM failed_awards)" 0000
	# Not from a test shop: awarded as always.
	webhook "$(payment ord-t2 3002 plan_1m "$(iso_now)")"
	check_json '$.award' awarded
	admin_get /v1/admin/metrics
	[ "$(metric 'award_webhook_ignored_total{reason="test_payment"}')" = 2 ] ||
		fail "$REQ: test payments not counted"
}

it admin_test_payments_accepted
t_admin_test_payments_accepted() {
	APP_ENV=("AWARD_CONFIG=" "AWARD_ACCEPT_TEST_PAYMENTS=1")
	start_stack
	seed_contest c1
	seed_plans
	webhook "$(test_payment ord-t1 3001)"
	check_json '$.award' awarded
	check_sql "SELECT count(*) FROM ticket_ledger WHERE order_id = 'ord-t1'" 1
	admin_get /v1/admin/metrics
	[ "$(metric 'award_webhook_ignored_total{reason="test_payment"}')" = 0 ] ||
		fail "$REQ: an accepted test payment counted as ignored"
}

it admin_test_payments_bad_setting
t_admin_test_payments_bad_setting() {
	local out rc
	base_env
	out=$("${BASE_ENV[@]}" AWARD_CONFIG= AWARD_ACCEPT_TEST_PAYMENTS=yes \
		"$BIN/award-fcgi" --listen "unix:$SOCK" --db "$DB" 2>&1 </dev/null)
	rc=$?
	[ "$rc" = 1 ] || fail "AWARD_ACCEPT_TEST_PAYMENTS=yes: exit $rc"
	[[ $out == *AWARD_ACCEPT_TEST_PAYMENTS* ]] ||
		fail "the error does not name the setting: $out"
}

# page QUERY: the dashboard with QUERY, as a browser (Basic).
page() {
	req GET "$HTTPS/v1/admin/dashboard$1" -u "admin:$ADMIN_TOKEN"
}

it admin_console_pages
t_admin_console_pages() {
	local id before
	APP_ENV=("AWARD_CONFIG=")
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 2002 2001
	webhook "$(payment ord-c1 2002 plan_3m "$(iso_now)" pay-c1)"
	check_json '$.award' awarded
	id=$(api_dead ord-c2 2002)

	# The detail of an order links to its payment, buyer and contest.
	page "?order_id=ord-c1"
	check_status 200
	check_no_store
	[[ $(hdr Content-Security-Policy) == *"default-src 'none'"* ]] ||
		fail "$REQ: no CSP"
	for want in 'href="/v1/admin/dashboard?payment_id=pay-c1"' \
		'href="/v1/admin/dashboard?telegram_id=2002"' \
		'href="/v1/admin/dashboard?telegram_id=2001"' \
		'href="/v1/admin/dashboard?contest=c1"' \
		'SELF_PURCHASE:ord-c1' 'INVITEE_PAYMENT:ord-c1'; do
		grep -qF "$want" <<<"$BODY" || fail "$REQ: no $want"
	done
	# A telegram id: its tickets per contest and its dead row, with the
	# Acknowledge form; acknowledged, the form goes and who is shown.
	page "?telegram_id=2002"
	check_status 200
	grep -q 'id="d-tickets"' <<<"$BODY" || fail "$REQ: no tickets"
	# A payment whose award waits in the queue says so.
	grep -qF 'class="outcome">queued</td>' <<<"$BODY" ||
		fail "$REQ: the queued payment's outcome: $(grep -o 'class="outcome">[^<]*' <<<"$BODY")"
	grep -qF "action=\"/v1/admin/failed-awards/$id/ack\"" <<<"$BODY" ||
		fail "$REQ: no Acknowledge form for row $id"
	# Its queue row names its order, linked to the order's page; a
	# refund's row names the refund and its payment.
	grep -qF '<td data-label="for" class="for"><a href="/v1/admin/dashboard?order_id=ord-c2">' <<<"$BODY" ||
		fail "$REQ: the queue row does not name its order"
	webhook "$(refund_cur rf-usd-c1 pay-c1 1.00 USD)"
	check_json '$.refund' queued
	page "?payment_id=pay-c1"
	grep -qF '<td data-label="for" class="for">refund <span class="k">rf-usd-c1</span> of <a href="/v1/admin/dashboard?payment_id=pay-c1">' <<<"$BODY" ||
		fail "$REQ: the refund's queue row does not name it"
	ack "$id" -u "carol:$ADMIN_TOKEN" \
		-H "Origin: https://127.0.0.1:$HTTPS_PORT"
	check_status 200
	page "?telegram_id=2002"
	! grep -qF "failed-awards/$id/ack" <<<"$BODY" ||
		fail "$REQ: still an Acknowledge form"
	grep -q 'acknowledged by <b>carol</b>' <<<"$BODY" ||
		fail "$REQ: who acknowledged is not shown"

	# The queue by status, a contest, the contests.
	page "?status=dead"
	check_status 200
	grep -q 'id="dead-rows"' <<<"$BODY" || fail "$REQ: no rows"
	grep -q 'rows 1–1 of 1' <<<"$BODY" || fail "$REQ: no count"
	# A done row shows what the retry made of it, its old error after.
	webhook "$(payment ord-c3 2003 plan_late "$(iso_now)" pay-c3)"
	check_json '$.award' queued
	sql "INSERT INTO plan_tickets VALUES ('plan_late', 2)"
	retry_ok --force
	page "?status=done"
	check_status 200
	grep -q '<th>outcome</th>' <<<"$BODY" || fail "$REQ: no outcome column"
	grep -q 'class="outcome">awarded <span class="muted e">after: no plan_tickets row for plan plan_late</span>' <<<"$BODY" ||
		fail "$REQ: the done row's outcome is not shown: $(grep -o 'ord-c3.\{0,400\}' <<<"$BODY")"
	# (The first stats read may still fill the totals tables: the
	# comparison starts after it.)
	before=$(sqlite3 "$DB" .dump | md5sum)
	page "?contest=c1"
	check_status 200
	grep -q 'id="board"' <<<"$BODY" || fail "$REQ: no leaderboard"
	page "?contest=nope"
	check_status 404
	grep -q 'id="unknown">No contest with this id is known' <<<"$BODY" &&
		! grep -q 'No tickets in this contest' <<<"$BODY" ||
		fail "$REQ: the unknown contest's page does not say so"
	page "?contests=all"
	check_status 200
	grep -qF 'href="/v1/admin/dashboard?contest=c1"' <<<"$BODY" ||
		fail "$REQ: no link to c1"
	# Refused queries: a 400 page saying why, still with the CSP.
	for q in "?order_id=a%01b" "?order_id=a&telegram_id=1" \
		"?telegram_id=0" "?status=weird" "?status=dead&page=0" \
		"?status=dead&page=x" "?contest=%01"; do
		page "$q"
		check_status 400
		grep -q 'id="refused"' <<<"$BODY" || fail "$REQ: no reason"
		[[ $(hdr Content-Security-Policy) == *"default-src 'none'"* ]] ||
			fail "$REQ: no CSP"
	done
	[ "$(sqlite3 "$DB" .dump | md5sum)" = "$before" ] ||
		fail "a dashboard page changed the database"
}
