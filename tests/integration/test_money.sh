# award — integration: refunds that arrive before their payment, refund
# currency (SPEC.md §4 "Refunds") and telegram_id numbers (§5 field limits).

# refund_cur REFUND_ID PAYMENT_ID AMOUNT CURRENCY
refund_cur() {
	refund "$1" "$2" "$3" | sed -e "s/\"currency\": \"RUB\"/\"currency\": \"$4\"/"
}

# orders_keeping_tickets: orders whose ledger rows do not sum to 0.
orders_keeping_tickets() {
	sql "select count(*) from (select order_id from ticket_ledger
		group by order_id having sum(delta) != 0)"
}

it refund_before_payment
t_refund_before_payment() {
	local now
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	now=$(iso_now)

	# Full refund first: recorded, answered unknown_payment; the payment
	# then is not_eligible (refunded) and writes no ledger rows.
	webhook "$(refund rf-a pay-a 199.00)"
	check_status 200
	check_json '$.refund' unknown_payment
	check_sql "select count(*) from refunds where refund_id = 'rf-a'" 1
	check_sql "select payment_id, amount_minor, currency, status from refunds
		where refund_id = 'rf-a'" "pay-a|19900|RUB|pending"
	webhook "$(payment ord-a 123456789 plan_1m "$now" pay-a 199.00)"
	check_status 200
	check_json '$.award' not_eligible
	check_json '$.reason' refunded
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-a'" 0
	check_sql "select refunded_minor, outcome from payments
		where payment_id = 'pay-a'" "19900|not_eligible"
	check_sql "select status from refunds where refund_id = 'rf-a'" counted
	# Redeliveries of both: nothing counted twice, nothing awarded.
	webhook "$(refund rf-a pay-a 199.00)"
	check_json '$.refund' duplicate
	webhook "$(payment ord-a 123456789 plan_1m "$now" pay-a 199.00)"
	check_json '$.award' not_eligible
	check_sql "select refunded_minor from payments where payment_id = 'pay-a'" 19900
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-a'" 0

	# Partial refund first: the payment is awarded, the refund counted;
	# the refund completing it reverses both rows.
	webhook "$(refund rf-b1 pay-b 100.00)"
	check_json '$.refund' unknown_payment
	webhook "$(payment ord-b 123456789 plan_3m "$now" pay-b 599.00)"
	check_json '$.award' awarded
	check_json '$.tickets' 3
	check_json '$.referrer_tickets' 3
	check_sql "select refunded_minor from payments where payment_id = 'pay-b'" 10000
	webhook "$(refund rf-b2 pay-b 499.00)"
	check_json '$.refund' reversed
	check_sql "select count(*), sum(delta) from ticket_ledger
		where order_id = 'ord-b'" "4|0"
	check_sql "select sum(delta) from ticket_ledger where referrer_id = 111111111" 0
	check_sql "select refunded_minor from payments where payment_id = 'pay-b'" 59900
	check_sql "select count(*) from failed_awards" 0
}

# 30 payments and their full refunds, each pair delivered at the same
# moment: whichever is served first, no refunded payment keeps tickets.
it refund_payment_concurrent_pairs
t_refund_payment_concurrent_pairs() {
	local now i k n=30 pids=() st kept
	start_stack
	seed_contest c1
	seed_plans
	now=$(iso_now)
	mkdir -p "$T/pairs"
	for i in $(seq 1 "$n"); do
		payment "ord-p$i" "$((700000 + i))" plan_3m "$now" "pay-p$i" 599.00 \
			>"$T/pairs/pay$i.json"
		refund "rf-p$i" "pay-p$i" 599.00 >"$T/pairs/ref$i.json"
	done
	for i in $(seq 1 "$n"); do
		for k in pay ref; do
			curl -s -m 60 -H 'Expect:' -H 'Content-Type: application/json' \
				--data-binary "@$T/pairs/$k$i.json" \
				-o "$T/pairs/$k$i.out" -w '%{http_code}' \
				"$HTTP/v1/payments/webhook" >"$T/pairs/$k$i.st" &
			pids+=($!)
		done
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	for i in $(seq 1 "$n"); do
		for k in pay ref; do
			st=$(<"$T/pairs/$k$i.st")
			[ "$st" = 200 ] || fail "$k $i answered $st: $(<"$T/pairs/$k$i.out")"
		done
		BODY=$(<"$T/pairs/pay$i.out")
		REQ="payment $i"
		case $(jget '$.award') in
		awarded | not_eligible) ;;
		*) fail "payment $i: $BODY" ;;
		esac
		BODY=$(<"$T/pairs/ref$i.out")
		REQ="refund $i"
		case $(jget '$.refund') in
		reversed | unknown_payment) ;;
		*) fail "refund $i: $BODY" ;;
		esac
	done
	kept=$(orders_keeping_tickets)
	[ "$kept" = 0 ] || fail "$kept of $n refunded payments kept their tickets"
	check_sql "select count(*) from payments
		where refunded_minor = 59900 and amount_minor = 59900" "$n"
	check_sql "select count(*) from refunds where status = 'counted'" "$n"
	check_sql "select coalesce(sum(delta), 0) from ticket_ledger" 0
	check_sql "select count(*) from failed_awards" 0
	echo "pairs: $(sql "select count(*) from payments where outcome = 'awarded'")" \
		"awarded then reversed, the others refunded first" >>"$T/notes"
}

# A refund in another currency than its payment reverses nothing: it is
# queued (kind 'refund') and logged at warn. One recorded before its payment
# is never counted and does not block the award, and is queued the same way
# when the payment arrives (SPEC.md §4: it is a failure).
it refund_currency_mismatch
t_refund_currency_mismatch() {
	local now
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	now=$(iso_now)
	webhook "$(payment ord-c 123456789 plan_1m "$now" pay-c 199.00)"
	check_json '$.award' awarded

	webhook "$(refund_cur rf-usd pay-c 199.00 USD)"
	check_status 200
	check_json '$.status' processed
	check_json '$.refund' queued
	check_sql "select count(*) from ticket_ledger where reason = 'REFUND'" 0
	check_sql "select sum(delta) from ticket_ledger where order_id = 'ord-c'" 2
	check_sql "select refunded_minor from payments where payment_id = 'pay-c'" 0
	check_sql "select kind, status, refund_id, payment_id, currency,
		last_error like '%currency%' from failed_awards" \
		"refund|pending|rf-usd|pay-c|USD|1"
	# The queue row names the refunded payment's order, for admins.
	check_sql "select order_id, telegram_id, plan_id from failed_awards" \
		"ord-c|123456789|plan_1m"
	admin_get /v1/admin/award-retry-stats
	check_json '$.items[0].orderId' ord-c
	check_json '$.items[0].tgId' 123456789
	grep '"level":"warn"' "$T/fcgi.log" | grep -q '"refund_id":"rf-usd"' ||
		fail "no warn line for the refund in another currency"

	# The retry fails the same way: still nothing reversed.
	retry --force
	[ "$RETRY_RC" = 0 ] || fail "award-retry exited $RETRY_RC"
	check_sql "select status, attempts from failed_awards
		where refund_id = 'rf-usd'" "pending|2"
	check_sql "select count(*) from ticket_ledger where reason = 'REFUND'" 0

	# The refund in the payment's currency still reverses.
	webhook "$(refund rf-rub pay-c 199.00)"
	check_json '$.refund' reversed
	check_sql "select sum(delta) from ticket_ledger where order_id = 'ord-c'" 0

	# Before its payment: recorded, never counted, the payment awarded.
	webhook "$(refund_cur rf-eur pay-d 199.00 EUR)"
	check_json '$.refund' unknown_payment
	webhook "$(payment ord-d 123456789 plan_1m "$now" pay-d 199.00)"
	check_json '$.award' awarded
	check_sql "select refunded_minor from payments where payment_id = 'pay-d'" 0
	check_sql "select status, currency from refunds where refund_id = 'rf-eur'" \
		"mismatch|EUR"
	grep '"level":"warn"' "$T/fcgi.log" | grep -q '"refund_id":"rf-eur"' ||
		fail "no warn line for the early refund in another currency"
	check_sql "select kind, status, attempts, payment_id, currency,
		amount_minor, last_error like '%EUR%pay-d%RUB%' from failed_awards
		where refund_id = 'rf-eur'" "refund|pending|1|pay-d|EUR|19900|1"
	# Its redelivery meets the payment now: queued, nothing reversed.
	webhook "$(refund_cur rf-eur pay-d 199.00 EUR)"
	check_json '$.refund' queued
	check_sql "select sum(delta) from ticket_ledger where order_id = 'ord-d'" 2
	check_sql "select count(*), max(attempts) from failed_awards
		where refund_id = 'rf-eur'" "1|2"
	# The payment's redelivery queues nothing more.
	webhook "$(payment ord-d 123456789 plan_1m "$now" pay-d 199.00)"
	check_json '$.award' duplicate
	check_sql "select count(*), max(attempts) from failed_awards
		where refund_id = 'rf-eur'" "1|2"

	# However many came before it (once, 8 was the most): the payment
	# is recorded and awarded, each of them queued; not a 503 on every
	# delivery with nothing saved.
	for i in $(seq 1 12); do
		webhook "$(refund_cur "rf-usd-e$i" pay-e 10.00 USD)"
		check_json '$.refund' unknown_payment
	done
	webhook "$(payment ord-e 123456789 plan_1m "$now" pay-e 199.00)"
	check_status 200
	check_json '$.award' awarded
	check_sql "select count(*) from refunds where payment_id = 'pay-e'
		and status = 'mismatch'" 12
	check_sql "select count(*) from failed_awards where kind = 'refund'
		and payment_id = 'pay-e' and status = 'pending'" 12
	check_sql "select refunded_minor from payments where payment_id = 'pay-e'" 0
}

# payment_tg ORDER RAW: the fixture payment with metadata.telegram_id
# written as RAW (JSON text as it stands).
payment_tg() {
	payment "$1" 424242 plan_1m "$(iso_now)" "pay-$1" 199.00 |
		sed -e "s/\"telegram_id\": \"424242\"/\"telegram_id\": $2/"
}

it telegram_id_numbers
t_telegram_id_numbers() {
	local raw i=0
	start_stack
	seed_contest c1
	seed_plans
	for raw in 123456789.00000000001 9007199254740990.5 0123 1e2 1.0 -5; do
		i=$((i + 1))
		webhook "$(payment_tg "ord-bad$i" "$raw")"
		check_error 400
		post_json "$HTTP/v1/awards" \
			"$(award_body "ord-badb$i" "$raw" plan_1m "$(iso_now)")" \
			-H "Authorization: Bearer $SERVICE_TOKEN"
		check_error 400
	done
	check_sql "select count(*) from ticket_ledger" 0
	check_sql "select count(*) from payments" 0

	i=0
	for raw in 123456789 '"123456789"' 9007199254740991; do
		i=$((i + 1))
		webhook "$(payment_tg "ord-ok$i" "$raw")"
		check_status 200
		check_json '$.award' awarded
		post_json "$HTTP/v1/awards" \
			"$(award_body "ord-okb$i" "$raw" plan_1m "$(iso_now)")" \
			-H "Authorization: Bearer $SERVICE_TOKEN"
		check_status 200
		check_json '$.award' awarded
	done
	check_sql "select count(*) from ticket_ledger where referrer_id = 123456789" 4
	check_sql "select count(*) from ticket_ledger
		where referrer_id = 9007199254740991" 2
}
