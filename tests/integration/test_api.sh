# award — integration: the bot's API and the admin API (SPEC.md §5).

svc_post() {
	post_json "$HTTP/v1/awards" "$1" -H "Authorization: Bearer $SERVICE_TOKEN"
}

# The bot awards an order, then YooKassa's webhook for it arrives: the
# order's tickets are counted once.
it awards_then_webhook
t_awards_then_webhook() {
	local now
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	now=$(iso_now)
	svc_post "$(award_body ord-b1 123456789 plan_6m "$now" pay-b1)"
	check_status 200
	check_json_type
	check_no_store
	check_json '$.award' awarded
	check_json '$.tickets' 6
	check_json '$.referrer_tickets' 6
	webhook "$(payment ord-b1 123456789 plan_6m "$now" pay-b1)"
	check_status 200
	check_json '$.award' duplicate
	svc_post "$(award_body ord-b1 123456789 plan_6m "$now" pay-b1)"
	check_status 200
	check_json '$.award' duplicate
	check_sql "select reason, delta from ticket_ledger where order_id = 'ord-b1'
		order by reason" "INVITEE_PAYMENT|6
SELF_PURCHASE|6"

	# Bad input: created_at is required here; the field limits hold.
	svc_post '{"order_id":"ord-b2","telegram_id":123456789,"plan_id":"plan_1m"}'
	check_error 400
	check_json_type
	svc_post "$(award_body ord-b2 abc plan_1m "$now")"
	check_error 400
	svc_post "$(award_body 'ord b2' 123456789 plan_1m "$now")"
	check_error 400
	svc_post "$(award_body ord-b2 123456789 plan_1m not-a-time)"
	check_error 400
	svc_post 'nonsense'
	check_error 400
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-b2'" 0
	# The same outcomes as the webhook.
	svc_post "$(award_body ord-b3 123456789 plan_none "$now")"
	check_status 200
	check_json '$.award' queued
	svc_post "$(award_body ord-b4 123456789 plan_1m "$(iso_days -400)")"
	check_status 200
	check_json '$.award' not_eligible
	check_json '$.reason' no_contest
}

it user_tickets
t_user_tickets() {
	local now
	start_stack
	seed_contest c-now
	seed_contest c-old "$(iso_days -90)" "$(iso_days -30)"
	seed_plans
	seed_referral 123456789 111111111
	now=$(iso_now)
	svc_post "$(award_body ord-u1 123456789 plan_3m "$now")"
	check_json '$.award' awarded
	svc_post "$(award_body ord-u2 123456789 plan_1m "$now")"
	check_json '$.award' awarded
	svc_post "$(award_body ord-u3 123456789 plan_12m "$(iso_days -60)")"
	check_json '$.award' awarded
	req GET "$HTTP/v1/users/123456789/tickets?contest_id=c-now" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_status 200
	check_json_type
	check_no_store
	check_json '$.telegram_id' 123456789
	check_json '$.contest_id' c-now
	check_json '$.tickets' 4
	req GET "$HTTP/v1/users/123456789/tickets?contest_id=c-old" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_json '$.tickets' 12
	# Without contest_id: the contest running now.
	req GET "$HTTP/v1/users/111111111/tickets" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_status 200
	check_json '$.contest_id' c-now
	check_json '$.tickets' 4
	req GET "$HTTPS/v1/users/42/tickets?contest_id=c-now" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_status 200
	check_json '$.tickets' 0
	req GET "$HTTP/v1/users/abc/tickets" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	[ "$STATUS" = 400 ] || [ "$STATUS" = 404 ] ||
		fail "$REQ: expected 400 or 404, got $STATUS"
	check_error "$STATUS"
}

# queue ORDER TG PLAN: an award queued by an unknown plan.
queue() {
	webhook "$(payment "$1" "$2" "$3" "$(iso_now)")"
	check_json '$.award' queued
}

it admin_stats
t_admin_stats() {
	start_stack
	seed_contest c1
	seed_plans
	webhook "$(payment ord-ok 123456789 plan_1m "$(iso_now)")"
	check_json '$.award' awarded
	queue ord-s1 1001 plan_x
	sleep 0.01
	queue ord-s2 1002 plan_y
	admin_get /v1/admin/award-retry-stats
	check_status 200
	check_json_type
	check_no_store
	check_json '$.queueSize' 2
	[ "$(jlen '$.items')" = 2 ] ||
		fail "$REQ: expected 2 items: $BODY"
	check_json '$.items[0].orderId' ord-s2
	check_json '$.items[0].tgId' 1002
	check_json '$.items[0].planId' plan_y
	check_json '$.items[0].attemptCount' 1
	check_json '$.items[1].orderId' ord-s1
	[ "$(jtype '$.items[0].tgId')" = integer ] ||
		fail "$REQ: tgId is not a number: $BODY"
	[ -n "$(jget '$.items[0].error')" ] || fail "$REQ: no error text"
	[ -n "$(jget '$.items[0].orderCreatedAt')" ] ||
		fail "$REQ: no orderCreatedAt"
	[ -n "$(jget '$.items[0].lastAttemptAt')" ] ||
		fail "$REQ: no lastAttemptAt"
	admin_get '/v1/admin/award-retry-stats?limit=1'
	check_status 200
	check_json '$.queueSize' 2
	[ "$(jlen '$.items')" = 1 ] ||
		fail "$REQ: expected 1 item: $BODY"
	check_json '$.items[0].orderId' ord-s2
	# ?limit= bounds the pending items; every dead row is still listed.
	sql "UPDATE failed_awards SET status = 'dead'"
	admin_get '/v1/admin/award-retry-stats?limit=1'
	check_json '$.counts.dead' 2
	[ "$(jlen '$.dead')" = 2 ] ||
		fail "$REQ: ?limit=1 cut the dead rows: $BODY"
}

it admin_retry
t_admin_retry() {
	local id
	start_stack
	seed_contest c1
	seed_plans
	queue ord-t1 1001 plan_x
	id=$(sql "select id from failed_awards where order_id = 'ord-t1'")
	[ -n "$id" ] || fail "no queue row"
	req POST "$HTTPS/v1/admin/failed-awards/$id/retry" \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	check_status 200
	check_json_type
	check_no_store
	check_json '$.id' "$id"
	check_json '$.status' pending
	check_sql "select status, next_attempt_ms <= $(now_ms) + 1000
		from failed_awards where id = $id" "pending|1"

	# A dead row is listed under "dead" and comes back.
	sql "UPDATE failed_awards SET status = 'dead', attempts = 8 WHERE id = $id"
	admin_get /v1/admin/award-retry-stats
	check_json '$.queueSize' 0
	check_json '$.dead[0].id' "$id"
	req POST "$HTTPS/v1/admin/failed-awards/$id/retry" \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	check_status 200
	check_json '$.status' pending
	check_sql "select status from failed_awards where id = $id" pending
	admin_get /v1/admin/award-retry-stats
	check_json '$.queueSize' 1

	# A done row is not put back; an unknown id is 404.
	sql "UPDATE failed_awards SET status = 'done' WHERE id = $id"
	req POST "$HTTPS/v1/admin/failed-awards/$id/retry" \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	check_error 409
	check_sql "select status from failed_awards where id = $id" done
	req POST "$HTTPS/v1/admin/failed-awards/999999/retry" \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	check_error 404
}

it leaderboard
t_leaderboard() {
	local now
	start_stack
	seed_contest lb-1
	seed_plans
	seed_referral 2001 1001
	now=$(iso_now)
	svc_post "$(award_body o1 3001 plan_12m "$now")"
	svc_post "$(award_body o2 3001 plan_1m "$now")"
	svc_post "$(award_body o3 2001 plan_3m "$now")"
	svc_post "$(award_body o4 4001 plan_6m "$now")"
	check_json '$.award' awarded
	admin_get /v1/admin/contests/lb-1/leaderboard
	check_status 200
	check_json_type
	check_no_store
	check_json '$.contest_id' lb-1
	check_json '$.items[0].telegram_id' 3001
	check_json '$.items[0].tickets' 13
	check_json '$.items[1].telegram_id' 4001
	check_json '$.items[1].tickets' 6
	check_json '$.items[2].tickets' 3
	check_json '$.items[3].tickets' 3
	[ "$(jtype '$.items[4]')" = "" ] || fail "$REQ: more than 4 owners: $BODY"
	admin_get '/v1/admin/contests/lb-1/leaderboard?limit=2'
	check_status 200
	check_json '$.items[1].telegram_id' 4001
	[ "$(jtype '$.items[2]')" = "" ] || fail "$REQ: limit=2 ignored: $BODY"
	admin_get /v1/admin/contests/nope/leaderboard
	[ "$STATUS" = 200 ] || [ "$STATUS" = 404 ] ||
		fail "$REQ: expected 200 (empty) or 404, got $STATUS"
	if [ "$STATUS" = 200 ]; then
		[ "$(jtype '$.items[0]')" = "" ] || fail "$REQ: items for no contest"
	fi
}

# A contest id is the bot's (SPEC.md §3 sets no character class): one with
# a space, a '#' and Cyrillic awards, and the leaderboard and the tickets
# answer for it, percent-encoded in the path and in the query. An empty
# contest_id= is the contest running now; a control character is refused.
it any_contest_id
t_any_contest_id() {
	local cid='Зима 2026 #1' enc='%D0%97%D0%B8%D0%BC%D0%B0%202026%20%231'
	start_stack
	seed_contest "$cid"
	seed_plans
	svc_post "$(award_body ord-cid1 3002 plan_3m "$(iso_now)")"
	check_json '$.award' awarded
	check_sql "select contest_id from ticket_ledger where order_id = 'ord-cid1'" "$cid"
	admin_get "/v1/admin/contests/$enc/leaderboard"
	check_status 200
	check_json '$.contest_id' "$cid"
	check_json '$.items[0].telegram_id' 3002
	check_json '$.items[0].tickets' 3
	for q in "?contest_id=$enc" "?contest_id="; do
		req GET "$HTTP/v1/users/3002/tickets$q" \
			-H "Authorization: Bearer $SERVICE_TOKEN"
		check_status 200
		check_json '$.contest_id' "$cid"
		check_json '$.tickets' 3
	done
	req GET "$HTTP/v1/users/3002/tickets?contest_id=a%01b" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_error 400
	admin_get "/v1/admin/contests/$enc-2/leaderboard"
	[ "$STATUS" = 200 ] || [ "$STATUS" = 404 ] ||
		fail "$REQ: expected 200 (empty) or 404, got $STATUS"
}

it metrics
t_metrics() {
	local ct bad samples
	start_stack
	seed_contest c1
	seed_plans
	webhook "$(payment ord-m1 123456789 plan_1m "$(iso_now)")"
	queue ord-m2 1001 plan_x
	admin_get /v1/admin/metrics
	check_status 200
	check_no_store
	ct=$(hdr Content-Type)
	[[ $ct == "text/plain; version=0.0.4"* ]] ||
		fail "$REQ: Content-Type '$ct'"
	# Every line is a comment or a sample: name{labels} value.
	bad=$(grep -Ev '^(#.*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eE]+( [0-9]+)?|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? (NaN|[+-]Inf))?$' <<<"$BODY" | head -n 3)
	[ -z "$bad" ] || fail "$REQ: not Prometheus text: $bad"
	samples=$(grep -cv '^#' <<<"$BODY")
	[ "$samples" -ge 1 ] || fail "$REQ: no samples"
	req GET "$HTTPS/v1/admin/metrics" -u "prom:$ADMIN_TOKEN"
	check_status 200
}

it dashboard
t_dashboard() {
	local ct
	start_stack
	seed_contest c1
	seed_plans
	webhook "$(payment ord-h1 123456789 plan_1m "$(iso_now)")"
	req GET "$HTTPS/v1/admin/dashboard" -u "admin:$ADMIN_TOKEN"
	check_status 200
	check_no_store
	ct=$(hdr Content-Type)
	[[ ${ct,,} == text/html* ]] || fail "$REQ: Content-Type '$ct'"
	grep -qi '<html' <<<"$BODY" || fail "$REQ: not an HTML page"
	req POST "$HTTPS/v1/admin/dashboard" -H "Authorization: Bearer $ADMIN_TOKEN"
	check_error 405
}
