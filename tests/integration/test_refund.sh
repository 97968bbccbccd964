# award — integration: refund.succeeded (SPEC.md §4 "Refunds").

it refunds
t_refunds() {
	local now
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	now=$(iso_now)
	webhook "$(payment ord-r1 123456789 plan_1m "$now" pay-r1 199.00)"
	check_json '$.award' awarded

	# Full refund: each award row of the order is reversed once.
	webhook "$(refund rf-1 pay-r1 199.00)"
	check_status 200
	check_json_type
	check_no_store
	check_json '$.status' processed
	check_json '$.refund' reversed
	check_sql "select referrer_id, referred_id, delta, contest_id, reason
		from ticket_ledger where id = 'REFUND:SELF_PURCHASE:ord-r1'" \
		"123456789|123456789|-1|c1|REFUND"
	check_sql "select referrer_id, referred_id, delta, contest_id, reason
		from ticket_ledger where id = 'REFUND:INVITEE_PAYMENT:ord-r1'" \
		"111111111|123456789|-1|c1|REFUND"
	check_sql "select sum(delta) from ticket_ledger where contest_id = 'c1'
		and referrer_id = 111111111" 0
	check_sql "select refunded_minor from payments where payment_id = 'pay-r1'" 19900

	# The same refund again changes nothing.
	webhook "$(refund rf-1 pay-r1 199.00)"
	check_status 200
	check_json '$.refund' duplicate
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-r1'" 4

	# A later delivery of the refunded payment awards nothing.
	webhook "$(payment ord-r1 123456789 plan_1m "$now" pay-r1 199.00)"
	check_status 200
	case $(jget '$.award') in
	duplicate | not_eligible) ;;
	*) fail "$REQ: refunded payment delivered again: $BODY" ;;
	esac
	check_sql "select count(*), sum(delta) from ticket_ledger
		where order_id = 'ord-r1'" "4|0"

	# Partial refunds add up; only the full amount reverses.
	webhook "$(payment ord-r2 555000111 plan_3m "$now" pay-r2 599.00)"
	check_json '$.tickets' 3
	webhook "$(refund rf-2 pay-r2 100.00)"
	check_status 200
	check_json '$.refund' partial
	check_sql "select count(*) from ticket_ledger where reason = 'REFUND'
		and order_id = 'ord-r2'" 0
	check_sql "select refunded_minor from payments where payment_id = 'pay-r2'" 10000
	webhook "$(refund rf-3 pay-r2 499.00)"
	check_json '$.refund' reversed
	check_sql "select delta from ticket_ledger
		where id = 'REFUND:SELF_PURCHASE:ord-r2'" -3
	check_sql "select refunded_minor from payments where payment_id = 'pay-r2'" 59900

	# A payment never seen, and one whose order earned nothing.
	webhook "$(refund rf-4 pay-unknown 10.00)"
	check_status 200
	check_json '$.refund' unknown_payment
	sql "UPDATE contests SET is_active = 0"
	webhook "$(payment ord-r3 5 plan_1m "$now" pay-r3 199.00)"
	check_json '$.award' not_eligible
	webhook "$(refund rf-5 pay-r3 199.00)"
	check_status 200
	check_json '$.refund' unknown_payment
	check_sql "select count(*) from ticket_ledger" 6
}

it refund_bad_input
t_refund_bad_input() {
	start_stack
	webhook '{"type":"notification","event":"refund.succeeded","object":{"id":"rf-x","status":"succeeded","amount":{"value":"1.00","currency":"RUB"}}}'
	check_error 400
	webhook "$(refund rf-y pay-y 1.2.3)"
	check_error 400
	webhook "$(refund rf-z pay-z -5.00)"
	check_error 400
	check_sql "select count(*) from refunds" 0
}

# A payment refunded in full while its award waits in the queue is never
# awarded: the retry ends 'done' without tickets, and a later delivery is
# not_eligible (refunded).
it refund_of_queued_award
t_refund_of_queued_award() {
	local now body rc
	start_stack
	seed_contest c1
	seed_plans
	now=$(iso_now)
	body=$(payment ord-rq 123456789 plan_new "$now" pay-rq 199.00)
	webhook "$body"
	check_json '$.award' queued
	webhook "$(refund rf-q pay-rq 199.00)"
	check_status 200
	[ "$(jtype '$.refund')" = text ] || fail "$REQ: no refund outcome: $BODY"
	sql "INSERT INTO plan_tickets VALUES ('plan_new', 2)"
	base_env
	"${BASE_ENV[@]}" "$BIN/award-retry" --force --db "$DB" \
		>>"$T/retry.log" 2>&1
	rc=$?
	[ "$rc" = 0 ] || fail "award-retry --force exited $rc"
	check_sql "select status from failed_awards where order_id = 'ord-rq'" done
	check_sql "select coalesce(sum(delta), 0) from ticket_ledger
		where order_id = 'ord-rq'" 0
	webhook "$body"
	check_status 200
	check_json '$.award' not_eligible
	check_json '$.reason' refunded
}

# tickets_of TG [CONTEST]: GET /v1/users/TG/tickets (service token); sets
# TICKETS to the answer's tickets, failing unless it is 200 for TG.
tickets_of() {
	local q=
	[ -n "${2:-}" ] && q="?contest_id=$2"
	req GET "$HTTP/v1/users/$1/tickets$q" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_status 200
	check_json '$.telegram_id' "$1"
	[ "$(jtype '$.tickets')" = integer ] ||
		fail "$REQ: tickets is not an integer: $BODY"
	TICKETS=$(jget '$.tickets')
}

# ledger_sum TG CONTEST: SUM(delta) of TG's rows in CONTEST (0 for none).
ledger_sum() {
	sql "select coalesce(sum(delta), 0) from ticket_ledger
		where contest_id = '$2' and referrer_id = $1"
}

# A user's tickets through HTTP are the ledger's sum, after awards and a
# full refund, and the leaderboard agrees: two orders of one referral, one
# refunded in full (and one partially, which changes nothing).
it tickets_match_ledger
t_tickets_match_ledger() {
	local now u c want lb
	start_stack
	seed_contest c1 "$(iso_days -7)" "$(iso_days 30)" 0
	seed_contest c-old "$(iso_days -90)" "$(iso_days -30)" 0
	seed_plans
	seed_referral 123456789 111111111 "$(iso_days -100)"
	now=$(iso_now)
	webhook "$(payment ord-tl1 123456789 plan_3m "$now" pay-tl1 599.00)"
	check_json '$.award' awarded
	check_json '$.referrer_tickets' 3
	webhook "$(payment ord-tl2 123456789 plan_6m "$now" pay-tl2 999.00)"
	check_json '$.award' awarded
	check_json '$.referrer_tickets' 6
	webhook "$(payment ord-tl3 123456789 plan_1m "$(iso_days -60)" pay-tl3)"
	check_json '$.award' awarded
	webhook "$(payment ord-tl4 222000333 plan_12m "$now" pay-tl4 1990.00)"
	check_json '$.award' awarded
	webhook "$(refund rf-tl1 pay-tl1 599.00)"
	check_json '$.refund' reversed
	webhook "$(refund rf-tl2 pay-tl2 100.00)"
	check_json '$.refund' partial

	# The buyer and the referrer: 6 each in c1 (3 + 6 - 3), 1 in c-old.
	for u in 123456789 111111111 222000333 42; do
		for c in c1 c-old; do
			tickets_of "$u" "$c"
			check_json '$.contest_id' "$c"
			want=$(ledger_sum "$u" "$c")
			[ "$TICKETS" = "$want" ] ||
				fail "$REQ: tickets $TICKETS, the ledger's sum is $want"
		done
		# Without contest_id: the contest running now (c1).
		tickets_of "$u"
		check_json '$.contest_id' c1
		want=$(ledger_sum "$u" c1)
		[ "$TICKETS" = "$want" ] ||
			fail "$REQ: tickets $TICKETS, the ledger's sum is $want"
	done
	tickets_of 123456789 c1
	check_json '$.tickets' 6
	tickets_of 111111111 c1
	check_json '$.tickets' 6
	tickets_of 111111111 c-old
	check_json '$.tickets' 1
	tickets_of 222000333 c1
	check_json '$.tickets' 12

	# The leaderboard: the same owners with the same sums.
	for c in c1 c-old; do
		admin_get "/v1/admin/contests/$c/leaderboard"
		check_status 200
		check_json '$.contest_id' "$c"
		lb=$(sqlite3 :memory: "select group_concat(x, ' ') from (select
			json_extract(value, '$.telegram_id') || ':' ||
			json_extract(value, '$.tickets') as x
			from json_each($(sqlq "$BODY"), '$.items') order by x)")
		want=$(sql "select group_concat(x, ' ') from (select
			referrer_id || ':' || sum(delta) as x from ticket_ledger
			where contest_id = '$c' group by referrer_id
			having sum(delta) > 0 order by x)")
		[ -n "$want" ] && [ "$lb" = "$want" ] ||
			fail "$REQ: leaderboard [$lb], the ledger says [$want]"
	done
	admin_get /v1/admin/contests/c1/leaderboard
	check_json '$.items[0].telegram_id' 222000333
	check_json '$.items[0].tickets' 12
}

# Issue 18 finding 6, as it happened: the bot's /v1/awards names the
# payment but not its amount; the full refund arrives (partial: nothing
# to compare with); the late payment.succeeded brings the amount. SPEC §4:
# the rows are reversed whichever of the two became known last, once.
it late_amount_full_refund_reverses
t_late_amount_full_refund_reverses() {
	local now
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	now=$(iso_now)
	post_json "$HTTP/v1/awards" \
		"$(award_body ord-la 123456789 plan_3m "$now" pay-la)" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_status 200
	check_json '$.award' awarded
	check_json '$.tickets' 3
	check_json '$.referrer_tickets' 3
	webhook "$(refund rf-la pay-la 199.00)"
	check_status 200
	check_json '$.refund' partial
	check_sql "select count(*) from ticket_ledger where reason = 'REFUND'" 0

	webhook "$(payment ord-la 123456789 plan_3m "$now" pay-la 199.00)"
	check_status 200
	check_json '$.status' processed
	check_json '$.award' not_eligible
	check_json '$.reason' refunded
	check_sql "select id, referrer_id, delta from ticket_ledger
		where reason = 'REFUND' order by id" \
		"REFUND:INVITEE_PAYMENT:ord-la|111111111|-3
REFUND:SELF_PURCHASE:ord-la|123456789|-3"
	req GET "$HTTP/v1/users/123456789/tickets?contest_id=c1" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_json '$.tickets' 0
	req GET "$HTTP/v1/users/111111111/tickets?contest_id=c1" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_json '$.tickets' 0

	# Redeliveries of all three add no row.
	webhook "$(payment ord-la 123456789 plan_3m "$now" pay-la 199.00)"
	check_json '$.award' not_eligible
	webhook "$(refund rf-la pay-la 199.00)"
	check_json '$.refund' duplicate
	post_json "$HTTP/v1/awards" \
		"$(award_body ord-la 123456789 plan_3m "$now" pay-la)" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_json '$.award' not_eligible
	check_sql "select count(*), sum(delta) from ticket_ledger
		where order_id = 'ord-la'" "4|0"
	check_sql "select amount_minor, refunded_minor from payments
		where payment_id = 'pay-la'" "19900|19900"
}

# Older code wrote its reversals with ids of its own (SPEC §3: such rows
# are left alone). An order it already reversed is not reversed again by
# a later refund (the owner would end below zero); and a second payment
# of an order whose first was refunded in full is a duplicate (rule 1),
# while a redelivery of the refunded payment stays not_eligible.
it refund_after_old_reversal_and_second_payment
t_refund_after_old_reversal_and_second_payment() {
	start_stack
	seed_contest c1
	seed_plans
	sql "INSERT INTO ticket_ledger(id, contest_id, referrer_id, referred_id,
		order_id, delta, reason, created_at) VALUES
		('l1', 'c1', 5101, 5101, 'ord-lr', 3, 'SELF_PURCHASE', '$(iso_now)'),
		('l2', 'c1', 5101, 5101, 'ord-lr', -3, 'REFUND', '$(iso_now)')"
	webhook "$(payment ord-lr 5101 plan_3m "$(iso_now)" pay-lr)"
	check_json '$.award' duplicate
	webhook "$(refund rf-lr pay-lr 199.00)"
	check_status 200
	check_sql "select sum(delta), count(*) from ticket_ledger
		where order_id = 'ord-lr'" "0|2"
	# The order's first payment refunded in full, then a second one.
	webhook "$(payment ord-i 5102 plan_1m "$(iso_now)" pay-i1)"
	check_json '$.award' awarded
	webhook "$(refund rf-i1 pay-i1 199.00)"
	check_json '$.refund' reversed
	webhook "$(payment ord-i 5102 plan_1m "$(iso_now)" pay-i2)"
	check_json '$.award' duplicate
	webhook "$(payment ord-i 5102 plan_1m "$(iso_now)" pay-i1)"
	check_json '$.award' not_eligible
	check_json '$.reason' refunded
	check_sql "select sum(delta) from ticket_ledger where order_id = 'ord-i'" 0
}
