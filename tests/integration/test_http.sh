# award — integration: HTTP surface of nginx + the responder (SPEC.md §5).

it healthz
t_healthz() {
	start_stack
	req GET "$HTTP/healthz"
	check_status 200
	check_json '$.status' ok
	check_json_type
	check_no_store
	[ -z "$(hdr Strict-Transport-Security)" ] ||
		fail "$REQ: HSTS sent over plain HTTP"
	req GET "$HTTPS/healthz"
	check_status 200
	check_json '$.status' ok
	check_hdr_has Strict-Transport-Security max-age=
}

it not_found
t_not_found() {
	local p
	start_stack
	for p in /nope /v1 /v1/payments/webhook/extra /v1/users/123/nope \
		/v1/awardsx; do
		req GET "$HTTP$p" -H "Authorization: Bearer $SERVICE_TOKEN"
		check_error 404
		check_json_type
	done
	admin_get /v1/admin/nope
	check_error 404
	check_json_type
}

it method_not_allowed
t_method_not_allowed() {
	start_stack
	req GET "$HTTP/v1/payments/webhook"
	check_error 405
	check_hdr_has Allow POST
	req POST "$HTTP/healthz" --data-binary ''
	check_error 405
	check_hdr_has Allow GET
	req PUT "$HTTP/v1/awards" -H "Authorization: Bearer $SERVICE_TOKEN" \
		--data-binary '{}'
	check_error 405
	check_hdr_has Allow POST
	req DELETE "$HTTPS/v1/admin/award-retry-stats" \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	check_error 405
	check_hdr_has Allow GET
	admin_get /v1/admin/failed-awards/1/retry
	check_error 405
	check_hdr_has Allow POST
}

# Admin tokens never travel over plain HTTP: nginx answers, the app is not
# asked (the same request over HTTPS is served).
it admin_https_only
t_admin_https_only() {
	local p
	start_stack
	for p in /v1/admin/award-retry-stats /v1/admin/metrics \
		/v1/admin/dashboard; do
		req GET "$HTTP$p" -H "Authorization: Bearer $ADMIN_TOKEN"
		check_status 403
		check_json '$.error' 'admin is served over HTTPS only'
		check_hdr_has Content-Type application/json
		check_no_store
	done
	req POST "$HTTP/v1/admin/failed-awards/1/retry" \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	check_status 403
	check_json '$.error' 'admin is served over HTTPS only'
	grep -q 'award-retry-stats' "$T/fcgi.log" &&
		fail "the app saw an admin request made over HTTP"
	admin_get /v1/admin/award-retry-stats
	check_status 200
	check_hdr_has Strict-Transport-Security max-age=
	check_no_store
}

# TLS 1.2 and 1.3 are served, 1.1 is refused by the server (the client is
# told to offer it: no system policy, security level 0).
it tls_versions
t_tls_versions() {
	local code
	start_stack
	code=$(curl -s -k -m 10 -o /dev/null -w '%{http_code}' --tlsv1.2 \
		--tls-max 1.2 "$HTTPS/healthz")
	[ "$code" = 200 ] || fail "TLS 1.2: got $code"
	code=$(curl -s -k -m 10 -o /dev/null -w '%{http_code}' --tlsv1.3 \
		"$HTTPS/healthz")
	[ "$code" = 200 ] || fail "TLS 1.3: got $code"
	code=$(OPENSSL_CONF=/dev/null curl -s -k -m 10 -o /dev/null \
		-w '%{http_code}' --tlsv1.1 --tls-max 1.1 \
		--ciphers 'DEFAULT@SECLEVEL=0' "$HTTPS/healthz")
	[ "$code" = 000 ] || fail "TLS 1.1 accepted (status $code)"
}

# Bodies over nginx's 64k never reach the app; nginx's 413 is JSON.
it too_large_nginx
t_too_large_nginx() {
	local big
	start_stack
	seed_contest c1
	seed_plans
	big=$(payment ord-big 123456789 plan_1m "$(iso_now)")
	big=${big/\"description\": \"VPN, 1 month\"/\"description\": \"$(head -c 70000 /dev/zero | tr '\0' x)\"}
	[ "${#big}" -gt 65536 ] || fail "test body too small"
	webhook "$big"
	check_status 413
	check_json '$.error' 'request body too large'
	check_hdr_has Content-Type application/json
	check_no_store
	req POST "$HTTPS/v1/awards" -H "Authorization: Bearer $SERVICE_TOKEN" \
		-H 'Content-Type: application/json' \
		-H 'Transfer-Encoding: chunked' --data-binary "$big"
	check_status 413
	check_json '$.error' 'request body too large'
	check_hdr_has Strict-Transport-Security max-age=
	check_sql "select count(*) from payments" 0
	check_sql "select count(*) from ticket_ledger" 0
}

# nginx's $request_id reaches the app's log: one id in both logs.
it request_id_logged
t_request_id_logged() {
	local rid
	start_stack
	seed_contest c1
	seed_plans
	webhook "$(payment ord-rid 123456789 plan_1m "$(iso_now)")"
	check_status 200
	sleep 0.2
	rid=$(grep 'ord-rid' "$T/fcgi.log" |
		grep -o '"request_id": *"[0-9a-f]\{32\}"' | head -n 1 |
		grep -o '[0-9a-f]\{32\}')
	[ -n "$rid" ] || fail "no request_id with the order in the app log"
	grep -q "rid=$rid" "$T/nginx/logs/access.log" ||
		fail "request_id $rid of the app log is not nginx's"
}

# A chunked body (no Content-Length from the client) below the limit is
# buffered by nginx and reaches the app whole.
it chunked_body
t_chunked_body() {
	start_stack
	seed_contest c1
	seed_plans
	post_json "$HTTP/v1/payments/webhook" \
		"$(payment ord-ch1 123456789 plan_1m "$(iso_now)")" \
		-H 'Transfer-Encoding: chunked'
	check_status 200
	check_json '$.award' awarded
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-ch1'" 1
}

# The admin API is rate limited per address (generous: a burst of 500);
# nginx's 429 is JSON.
it admin_rate_limited
t_admin_rate_limited() {
	local i line n
	start_stack
	# One curl, 50 connections in parallel, 1000 requests: fast enough to
	# outrun 50 r/s + a burst of 500 even on a slow machine.
	mkdir "$T/rl"
	for i in $(seq 1 1000); do
		printf 'url = "%s"\noutput = "%s"\n' \
			"$HTTPS/v1/admin/award-retry-stats?n=$i" "$T/rl/$i"
	done >"$T/rl.cfg"
	curl -s -k -m 60 -Z --parallel-max 50 -H 'Authorization: Bearer wrong' \
		-w '%{http_code} %header{cache-control} %{url_effective} %{content_type}\n' \
		-K "$T/rl.cfg" >"$T/rl.codes"
	[ "$(grep -c '^401 ' "$T/rl.codes")" -ge 500 ] ||
		fail "fewer than the burst of 500 passed:" \
			"$(cut -d' ' -f1 "$T/rl.codes" | sort | uniq -c | tr '\n' ' ')"
	line=$(grep -m 1 '^429 ' "$T/rl.codes") ||
		fail "1000 admin requests at once: no 429:" \
			"$(cut -d' ' -f1 "$T/rl.codes" | sort | uniq -c | tr '\n' ' ')"
	REQ="GET https /v1/admin/award-retry-stats (rate limited)"
	n=${line##*n=}
	n=${n%% *}
	BODY=$(<"$T/rl/$n")
	check_json '$.error' 'too many requests'
	[[ $line == "429 no-store "*" application/json"* ]] ||
		fail "$REQ: headers: $line"
	# Other paths are not in the admin zone.
	req GET "$HTTPS/healthz"
	check_status 200
}

# With the responder gone, nginx answers 503 in JSON (YooKassa retries).
it app_down
t_app_down() {
	start_stack
	stop_pid "$APP_PID" TERM
	[ "$STOP_RC" = 0 ] || fail "award-fcgi exited $STOP_RC on SIGTERM"
	APP_PID=
	webhook "$(payment ord-down 123456789 plan_1m "$(iso_now)")"
	check_error 503
	check_hdr_has Content-Type application/json
	req GET "$HTTPS/healthz"
	check_error 503
	check_hdr_has Strict-Transport-Security max-age=
}
