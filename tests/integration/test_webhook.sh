# award — integration: POST /v1/payments/webhook, every row of SPEC.md §5.

# A minimal payment.succeeded object: pay METADATA [OBJECT_CREATED_AT].
pay() {
	local c=
	[ -n "${2:-}" ] && c=",\"created_at\":\"$2\""
	printf '{"type":"notification","event":"payment.succeeded","object":{"id":"p-%s","status":"succeeded","amount":{"value":"199.00","currency":"RUB"},"paid":true%s,"metadata":%s}}' \
		"$RANDOM$RANDOM" "$c" "$1"
}

# ------------------------------------------------------------ 403

# nginx applies the shipped allow list (YooKassa only): loopback is refused
# whatever a header claims.
it webhook_forbidden_by_nginx
t_webhook_forbidden_by_nginx() {
	local h
	NGINX_ALLOW=default
	start_stack
	seed_contest c1
	seed_plans
	for h in 'X-Forwarded-For: 185.71.76.1' 'X-Real-IP: 185.71.76.1' \
		'Forwarded: for=185.71.76.1' 'X-Nothing: 1'; do
		post_json "$HTTP/v1/payments/webhook" \
			"$(payment ord-f1 123456789 plan_1m "$(iso_now)")" -H "$h"
		check_error 403
		check_hdr_has Content-Type application/json
	done
	check_sql "select count(*) from ticket_ledger" 0
	check_sql "select count(*) from payments" 0
}

# The app applies AWARD_WEBHOOK_ALLOW itself (here its default, YooKassa's
# ranges) to REMOTE_ADDR, never to a forwarding header.
it webhook_forbidden_by_app
t_webhook_forbidden_by_app() {
	local h
	APP_ALLOW=default
	start_stack
	seed_contest c1
	seed_plans
	for h in 'X-Forwarded-For: 185.71.76.1' 'X-Real-IP: 185.71.76.1' \
		'Forwarded: for=185.71.76.1' 'X-Nothing: 1'; do
		post_json "$HTTP/v1/payments/webhook" \
			"$(payment ord-f2 123456789 plan_1m "$(iso_now)")" -H "$h"
		check_error 403
		check_json_type
	done
	check_sql "select count(*) from ticket_ledger" 0
	check_sql "select count(*) from payments" 0
	# The other endpoints are not behind the source check.
	req GET "$HTTP/healthz"
	check_status 200
}

# ------------------------------------------------------------ 413

it webhook_too_large_app
t_webhook_too_large_app() {
	local body
	APP_ENV=(AWARD_MAX_BODY=2048)
	start_stack
	seed_contest c1
	seed_plans
	body=$(payment ord-l2 123456789 plan_1m "$(iso_now)")
	body=${body/\"description\": \"VPN, 1 month\"/\"description\": \"$(head -c 1500 /dev/zero | tr '\0' x)\"}
	[ "${#body}" -gt 2048 ] || fail "test body too small"
	webhook "$body"
	check_error 413
	check_json_type
	check_sql "select count(*) from ticket_ledger" 0
	# The fixture itself (1.3k) is under the limit.
	webhook "$(payment ord-l1 123456789 plan_1m "$(iso_now)")"
	check_status 200
	check_json '$.award' awarded
}

# sized_body N ORDER TG PLAN: the fixture notification with its description
# padded so that the body is exactly N bytes, in $T/sized.json.
sized_body() {
	local base pad
	base=$(payment "$2" "$3" "$4" "$(iso_now)")
	base=${base/\"description\": \"VPN, 1 month\"/\"description\": \"\"}
	printf '%s' "$base" >"$T/sized.json"
	pad=$(($1 - $(wc -c <"$T/sized.json")))
	[ "$pad" -ge 0 ] || fail "sized_body: the fixture is over $1 bytes"
	printf '%s' "${base/\"description\": \"\"/\"description\": \"$(head -c "$pad" /dev/zero | tr '\0' x)\"}" \
		>"$T/sized.json"
	[ "$(wc -c <"$T/sized.json")" = "$1" ] ||
		fail "sized_body: made $(wc -c <"$T/sized.json") bytes, not $1"
}

# post_sized [curl args...]: POST $T/sized.json to the webhook over HTTP.
post_sized() {
	req POST "$HTTP/v1/payments/webhook" -H 'Content-Type: application/json' \
		--data-binary "@$T/sized.json" "$@"
}

# AWARD_MAX_BODY is the largest body accepted: exactly that many bytes is
# served, one byte more is 413 (the app's limit, below nginx's 64k), with
# a Content-Length and chunked.
it webhook_max_body_boundary
t_webhook_max_body_boundary() {
	APP_ENV=(AWARD_MAX_BODY=3000)
	start_stack
	seed_contest c1
	seed_plans
	sized_body 3000 ord-mb1 123456789 plan_1m
	post_sized
	check_status 200
	check_json '$.award' awarded
	sized_body 3001 ord-mb2 123456789 plan_1m
	post_sized
	check_error 413
	check_json_type
	sized_body 3001 ord-mb3 123456789 plan_1m
	post_sized -H 'Transfer-Encoding: chunked'
	check_error 413
	sized_body 3000 ord-mb4 123456789 plan_1m
	post_sized -H 'Transfer-Encoding: chunked'
	check_status 200
	check_json '$.award' awarded
	sized_body 2999 ord-mb5 123456789 plan_1m
	post_sized
	check_status 200
	check_json '$.award' awarded
	check_sql "select group_concat(order_id) from (select order_id
		from ticket_ledger order by order_id)" "ord-mb1,ord-mb4,ord-mb5"
	check_sql "select count(*) from payments
		where order_id in ('ord-mb2', 'ord-mb3')" 0
}

# The defaults agree: nginx's client_max_body_size 64k and AWARD_MAX_BODY
# 65536 — a body of exactly 65536 bytes is served, 65537 is 413 in JSON.
it webhook_max_body_default
t_webhook_max_body_default() {
	start_stack
	seed_contest c1
	seed_plans
	sized_body 65536 ord-md1 123456789 plan_1m
	post_sized
	check_status 200
	check_json '$.award' awarded
	sized_body 65537 ord-md2 123456789 plan_1m
	post_sized
	check_error 413
	check_hdr_has Content-Type application/json
	check_sql "select group_concat(order_id) from ticket_ledger" ord-md1
}

# AWARD_MAX_BODY raised above nginx's shipped 64k: the rendered config
# follows it, so the responder's limit is the one in force.
it webhook_max_body_raised
t_webhook_max_body_raised() {
	APP_ENV=(AWARD_MAX_BODY=200000)
	export AWARD_MAX_BODY=200000
	start_stack
	seed_contest c1
	seed_plans
	sized_body 200000 ord-mr1 123456789 plan_1m
	post_sized
	check_status 200
	check_json '$.award' awarded
	sized_body 200001 ord-mr2 123456789 plan_1m
	post_sized
	check_error 413
	check_hdr_has Content-Type application/json
	check_sql "select group_concat(order_id) from ticket_ledger
		where reason = 'SELF_PURCHASE'" ord-mr1
}

# ------------------------------------------------------------ 400

it webhook_bad_json
t_webhook_bad_json() {
	local b
	start_stack
	seed_contest c1
	seed_plans
	while IFS= read -r b; do
		webhook "$b"
		check_error 400
		check_json_type
	done <<'EOF'
not json
{"type":"notification","event":"payment.succeeded"}
{"type":"notification","object":{"id":"x"}}
{"type":"notification","event":5,"object":{}}
{"type":"notification","event":"payment.succeeded","object":"x"}
{"type":"notification","event":"payment.succeeded","object":[]}
[]
"payment.succeeded"
{"type":"notification","event":"payment.succeeded","object":{"metadata":{"order_id":"o1"
EOF
	webhook ""
	check_error 400
	webhook "$(payment ord-t 123456789 plan_1m "$(iso_now)" | head -c 600)"
	check_error 400
	# A control byte between tokens is not JSON's white space (cJSON
	# would skip it): a whole valid notification with one, refused.
	webhook "$(payment ord-t 123456789 plan_1m "$(iso_now)" |
		sed '1s/^{/{\x01/')"
	check_error 400
	check_sql "select count(*) from ticket_ledger" 0
	check_sql "select count(*) from failed_awards" 0
}

it webhook_bad_fields
t_webhook_bad_fields() {
	local now m long129 ok
	start_stack
	seed_contest c1
	seed_plans
	now=$(iso_now)
	long129=$(printf 'a%.0s' $(seq 1 129))
	ok='"order_id":"ord-ok","plan_id":"plan_1m"'
	while IFS= read -r m; do
		webhook "$(pay "$m" "$now")"
		check_error 400
		check_json_type
	done <<EOF
{}
{"telegram_id":"123","plan_id":"plan_1m"}
{"order_id":"ord-b","plan_id":"plan_1m"}
{"order_id":"ord-b","telegram_id":"123"}
{$ok,"telegram_id":"12a"}
{$ok,"telegram_id":"0"}
{$ok,"telegram_id":"0123"}
{$ok,"telegram_id":"-5"}
{$ok,"telegram_id":""}
{$ok,"telegram_id":" 123"}
{$ok,"telegram_id":"9007199254740992"}
{$ok,"telegram_id":"99999999999999999999999"}
{$ok,"telegram_id":1.5}
{$ok,"telegram_id":0}
{$ok,"telegram_id":-7}
{$ok,"telegram_id":true}
{$ok,"telegram_id":null}
{"order_id":"ord 1","telegram_id":"123","plan_id":"plan_1m"}
{"order_id":"ord/1","telegram_id":"123","plan_id":"plan_1m"}
{"order_id":"ord'1","telegram_id":"123","plan_id":"plan_1m"}
{"order_id":"","telegram_id":"123","plan_id":"plan_1m"}
{"order_id":"$long129","telegram_id":"123","plan_id":"plan_1m"}
{"order_id":"ord-é","telegram_id":"123","plan_id":"plan_1m"}
{"order_id":"ord-b","telegram_id":"123","plan_id":"plan 1m"}
{"order_id":"ord-b","telegram_id":"123","plan_id":""}
{"order_id":"ord-b","telegram_id":"123","plan_id":"plan_1m","created_at":"yesterday"}
{"order_id":"ord-b","telegram_id":"123","plan_id":"plan_1m","created_at":"2026-13-01T00:00:00Z"}
{"order_id":"ord-b","telegram_id":"123","plan_id":"plan_1m","created_at":""}
EOF
	# metadata missing or not an object
	webhook '{"type":"notification","event":"payment.succeeded","object":{"id":"p","status":"succeeded","amount":{"value":"1.00","currency":"RUB"},"created_at":"'"$now"'"}}'
	check_error 400
	webhook "$(pay '"x"' "$now")"
	check_error 400
	# no order time at all: neither metadata.created_at nor created_at
	webhook "$(pay '{"order_id":"ord-nt","telegram_id":"123","plan_id":"plan_1m"}')"
	check_error 400
	# created_at of the payment present but unparsable
	webhook "$(pay '{"order_id":"ord-nt","telegram_id":"123","plan_id":"plan_1m"}' 'soon')"
	check_error 400
	# ... also when metadata.created_at is there to be used (SPEC §4)
	webhook "$(pay "{\"order_id\":\"ord-nt\",\"telegram_id\":\"123\",\"plan_id\":\"plan_1m\",\"created_at\":\"$now\"}" 'soon')"
	check_error 400
	# a succeeded event whose object says another status
	webhook "$(payment ord-st 123 plan_1m "$now" | sed 's/"status": "succeeded"/"status": "pending"/')"
	check_error 400
	webhook "$(refund rf-st pay-st 1.00 | sed 's/"status": "succeeded"/"status": "canceled"/')"
	check_error 400
	check_sql "select count(*) from ticket_ledger" 0
	check_sql "select count(*) from failed_awards" 0

	# The limits themselves are accepted.
	local max=9007199254740991 id128
	id128=$(printf 'A%.0s' $(seq 1 120))az09._:-
	[ "${#id128}" = 128 ] || fail "test id not 128 characters"
	webhook "$(pay "{\"order_id\":\"$id128\",\"telegram_id\":\"$max\",\"plan_id\":\"plan_1m\"}" "$now")"
	check_status 200
	check_json '$.award' awarded
	webhook "$(pay "{\"order_id\":\"ord-num\",\"telegram_id\":$max,\"plan_id\":\"plan_1m\"}" "$now")"
	check_status 200
	check_json '$.award' awarded
	check_sql "select referrer_id, order_id from ticket_ledger
		where id = 'SELF_PURCHASE:ord-num'" "$max|ord-num"
	# order time with an offset, and in SQLite's own format (UTC)
	m=$(date -u -d '+3 hours' +%Y-%m-%dT%H:%M:%S+03:00)
	webhook "$(pay "{\"order_id\":\"ord-off\",\"telegram_id\":\"5\",\"plan_id\":\"plan_1m\",\"created_at\":\"$m\"}")"
	check_status 200
	check_json '$.award' awarded
	m=$(date -u '+%Y-%m-%d %H:%M:%S')
	webhook "$(pay "{\"order_id\":\"ord-sq\",\"telegram_id\":\"5\",\"plan_id\":\"plan_1m\",\"created_at\":\"$m\"}")"
	check_status 200
	check_json '$.award' awarded
	# metadata.created_at wins over the payment's: the payment's is out of
	# every contest here.
	webhook "$(pay "{\"order_id\":\"ord-meta\",\"telegram_id\":\"5\",\"plan_id\":\"plan_1m\",\"created_at\":\"$now\"}" '2020-01-01T00:00:00.000Z')"
	check_status 200
	check_json '$.award' awarded
}

# ------------------------------------------------------------ 200 ignored

it webhook_ignored_events
t_webhook_ignored_events() {
	local f
	start_stack
	seed_contest c1 2026-01-01T00:00:00Z 2099-01-01T00:00:00Z
	seed_plans
	for f in payment.canceled payment.waiting_for_capture; do
		webhook "$(<"$FIXTURES/$f.json")"
		check_status 200
		check_json '$.status' ignored
		check_json_type
		check_no_store
	done
	webhook '{"type":"notification","event":"deal.closed","object":{"id":"d1"}}'
	check_status 200
	check_json '$.status' ignored
	check_sql "select count(*) from ticket_ledger" 0
	check_sql "select count(*) from failed_awards" 0
}

# ------------------------------------------------------------ 200 awarded

it webhook_awarded
t_webhook_awarded() {
	local now
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	now=$(iso_now)
	webhook "$(payment ord-a1 123456789 plan_3m "$now" pay-a1 599.00)"
	check_status 200
	check_json_type
	check_no_store
	check_json '$.status' processed
	check_json '$.award' awarded
	check_json '$.tickets' 3
	check_json '$.referrer_tickets' 3
	check_sql "select referrer_id, referred_id, order_id, delta, contest_id
		from ticket_ledger where id = 'SELF_PURCHASE:ord-a1'
		and reason = 'SELF_PURCHASE'" "123456789|123456789|ord-a1|3|c1"
	check_sql "select referrer_id, referred_id, order_id, delta, contest_id
		from ticket_ledger where id = 'INVITEE_PAYMENT:ord-a1'
		and reason = 'INVITEE_PAYMENT'" "111111111|123456789|ord-a1|3|c1"
	check_sql "select count(*) from ticket_ledger" 2
	check_sql "select status, strftime('%s', qualified_at) = strftime('%s', '$now')
		from ref_events where contest_id = 'c1' and referrer_id = 111111111
		and referred_id = 123456789" "qualified|1"
	check_sql "select order_id, telegram_id, plan_id, amount_minor, currency
		from payments where payment_id = 'pay-a1'" \
		"ord-a1|123456789|plan_3m|59900|RUB"

	# No referral: the buyer alone.
	webhook "$(payment ord-a2 555000111 plan_12m "$now")"
	check_json '$.award' awarded
	check_json '$.tickets' 12
	check_json '$.referrer_tickets' 0
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-a2'" 1

	# telegram_id as a JSON number
	webhook "$(payment ord-a3 555000112 plan_1m "$now" |
		sed 's/"telegram_id": "555000112"/"telegram_id": 555000112/')"
	check_json '$.award' awarded
	check_sql "select referrer_id from ticket_ledger
		where id = 'SELF_PURCHASE:ord-a3'" 555000112

	# A referrer who is the buyer, one bound after the order, and one
	# bound before the attribution window (30 days) do not qualify.
	seed_referral 700 700
	seed_referral 701 111111111 "$(iso_days 1)"
	seed_referral 702 111111111 "$(iso_days -40)"
	for u in 700 701 702; do
		webhook "$(payment "ord-n$u" "$u" plan_6m "$now")"
		check_json '$.award' awarded
		check_json '$.tickets' 6
		check_json '$.referrer_tickets' 0
		check_sql "select count(*) from ticket_ledger
			where order_id = 'ord-n$u'" 1
	done
	# A window <= 0 means no limit.
	sql "UPDATE contests SET attribution_window_days = 0 WHERE id = 'c1'"
	webhook "$(payment ord-w702 702 plan_1m "$now")"
	check_json '$.referrer_tickets' 1
	check_sql "select sum(delta) from ticket_ledger where contest_id = 'c1'
		and referrer_id = 111111111" 4
}

# ------------------------------------------------------------ duplicate

it webhook_duplicate
t_webhook_duplicate() {
	local body
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	body=$(payment ord-d1 123456789 plan_1m "$(iso_now)")
	webhook "$body"
	check_json '$.award' awarded
	webhook "$body"
	check_status 200
	check_json '$.status' processed
	check_json '$.award' duplicate
	post_json "$HTTPS/v1/payments/webhook" "$body"
	check_status 200
	check_json '$.award' duplicate
	check_sql "select count(*), sum(delta) from ticket_ledger
		where order_id = 'ord-d1'" "2|2"

	# Rows of older code (random ids, even two for one order) count as
	# awarded, and are left alone.
	sql "INSERT INTO ticket_ledger VALUES
		('7f1c2a', 'c1', 42, 42, 'ord-legacy', 1, 'SELF_PURCHASE', '2026-01-01 10:00:00'),
		('9b3e4d', 'c1', 42, 42, 'ord-legacy', 1, 'SELF_PURCHASE', '2026-01-01 10:00:00')"
	webhook "$(payment ord-legacy 42 plan_1m "$(iso_now)")"
	check_status 200
	check_json '$.award' duplicate
	check_sql "select group_concat(id) from (select id from ticket_ledger
		where order_id = 'ord-legacy' order by id)" "7f1c2a,9b3e4d"
	# An order of older code with only its referrer's row is awarded
	# too: nobody gets a second INVITEE_PAYMENT for it.
	seed_referral 43 44
	sql "INSERT INTO ticket_ledger VALUES
		('5c9d01', 'c1', 44, 43, 'ord-legacy2', 1, 'INVITEE_PAYMENT', '2026-01-01 10:00:00')"
	webhook "$(payment ord-legacy2 43 plan_1m "$(iso_now)")"
	check_status 200
	check_json '$.award' duplicate
	check_sql "select group_concat(id) from ticket_ledger
		where order_id = 'ord-legacy2'" "5c9d01"
}

# ------------------------------------------------------------ not_eligible

it webhook_not_eligible_no_contest
t_webhook_not_eligible_no_contest() {
	local now body
	start_stack
	seed_plans
	# Not active; active but over; active but the order is before it.
	seed_contest off "$(iso_days -7)" "$(iso_days 30)" 30 0
	seed_contest past "$(iso_days -60)" "$(iso_days -10)" 30 1
	now=$(iso_now)
	body=$(payment ord-e1 123456789 plan_1m "$now")
	webhook "$body"
	check_status 200
	check_json '$.status' processed
	check_json '$.award' not_eligible
	check_json '$.reason' no_contest
	webhook "$(payment ord-e2 123456789 plan_1m "$(iso_days -70)")"
	check_json '$.award' not_eligible
	check_json '$.reason' no_contest
	check_sql "select count(*) from ticket_ledger" 0
	check_sql "select count(*) from failed_awards" 0
	# Nothing was recorded: switched on later, the contest awards it.
	sql "UPDATE contests SET is_active = 1 WHERE id = 'off'"
	webhook "$body"
	check_json '$.award' awarded
	check_sql "select contest_id from ticket_ledger where order_id = 'ord-e1'" off
	# Both ends of a contest are inclusive; the latest start wins.
	local s e
	s=$(iso_days -3)
	e=$(iso_days -2)
	seed_contest edge "$s" "$e" 30 1
	webhook "$(payment ord-e3 5 plan_1m "$s")"
	check_json '$.award' awarded
	webhook "$(payment ord-e4 5 plan_1m "$e")"
	check_json '$.award' awarded
	check_sql "select group_concat(contest_id) from (select contest_id
		from ticket_ledger where order_id in ('ord-e3', 'ord-e4')
		order by order_id)" "edge,edge"
}

it webhook_not_eligible_no_tickets
t_webhook_not_eligible_no_tickets() {
	start_stack
	seed_contest c1
	seed_plans
	sql "INSERT INTO plan_tickets VALUES ('plan_trial', 0)"
	webhook "$(payment ord-z1 123456789 plan_trial "$(iso_now)")"
	check_status 200
	check_json '$.award' not_eligible
	check_json '$.reason' no_tickets
	check_sql "select count(*) from ticket_ledger" 0
	check_sql "select count(*) from failed_awards" 0
}

# ------------------------------------------------------------ queued

it webhook_queued_unknown_plan
t_webhook_queued_unknown_plan() {
	local body
	start_stack
	seed_contest c1
	seed_plans
	body=$(payment ord-q1 123456789 plan_unknown "$(iso_now)")
	webhook "$body"
	check_status 200
	check_json '$.status' processed
	check_json '$.award' queued
	check_sql "select kind, status, attempts, order_id, telegram_id, plan_id,
		length(last_error) > 0 from failed_awards" \
		"award|pending|1|ord-q1|123456789|plan_unknown|1"
	check_sql "select count(*) from ticket_ledger" 0
	# Delivered again: still one queue row for the order.
	webhook "$body"
	check_status 200
	check_json '$.award' queued
	check_sql "select count(*), max(status) from failed_awards
		where order_id = 'ord-q1'" "1|pending"
}

# A payment belongs to one order. A notification (or the bot's call)
# naming a payment already recorded for another order is judged as its
# own order (SPEC §4), without that payment: nothing is written on the
# other order's payments row, and that payment's refunds reverse only
# its own order. Logged at warn for an admin.
it webhook_payment_of_another_order
t_webhook_payment_of_another_order() {
	start_stack
	seed_contest c1
	seed_plans
	webhook "$(payment ord-pa 4200001 plan_1m "$(iso_now)" pay-shared)"
	check_json '$.award' awarded
	webhook "$(payment ord-pb 4200002 plan_12m "$(iso_now)" pay-shared 1.00)"
	check_status 200
	check_json '$.award' awarded
	check_json '$.tickets' 12
	svc_post "$(award_body ord-pc 4200003 plan_1m "$(iso_now)" pay-shared)"
	check_json '$.award' awarded
	check_sql "select group_concat(payment_id || '|' || order_id || '|' ||
		amount_minor) from payments" "pay-shared|ord-pa|19900"
	check_sql "select count(*) from failed_awards" 0
	grep '"level":"warn"' "$T/fcgi.log" |
		grep '"msg":"payment is recorded for another order' |
		grep -q '"recorded_order_id":"ord-pa"' ||
		fail "no warn line naming the payment's order"
	# Its refund in full reverses its own order only.
	webhook "$(refund rf-shared pay-shared 199.00)"
	check_json '$.refund' reversed
	check_sql "select order_id, sum(delta) from ticket_ledger
		group by order_id order by order_id" "ord-pa|0
ord-pb|12
ord-pc|1"
	# ... and does not make a new order of the bot "refunded".
	svc_post "$(award_body ord-pf 4200006 plan_1m "$(iso_now)" pay-shared)"
	check_json '$.award' awarded
	# A payment the bot awarded without its amount keeps none: another
	# order's request does not fill it (a refund of 1.00 would then pass
	# for a full one).
	svc_post "$(award_body ord-pd 4200004 plan_1m "$(iso_now)" pay-noamt)"
	check_json '$.award' awarded
	webhook "$(payment ord-pe 4200005 plan_1m "$(iso_now)" pay-noamt 1.00)"
	check_json '$.award' awarded
	check_sql "select order_id, amount_minor is null, currency is null
		from payments where payment_id = 'pay-noamt'" "ord-pd|1|1"
}

# ------------------------------------------------------------ 503

# Another writer holds the only database file: neither the award nor its
# failure can be saved. A held lock works for root too (file modes do not).
it webhook_db_unavailable
t_webhook_db_unavailable() {
	local body
	APP_ENV=(AWARD_BUSY_TIMEOUT_MS=200)
	start_stack
	seed_contest c1
	seed_plans
	body=$(payment ord-u1 123456789 plan_1m "$(iso_now)")

	lock_db "$DB"

	webhook "$body"
	check_error 503
	check_json_type
	post_json "$HTTP/v1/awards" \
		"$(award_body ord-u2 123456789 plan_1m "$(iso_now)")" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_error 503

	unlock_db
	check_sql "select count(*) from ticket_ledger" 0
	check_sql "select count(*) from failed_awards" 0
	# YooKassa delivers again, and now it is saved.
	webhook "$body"
	check_status 200
	check_json '$.award' awarded
}
