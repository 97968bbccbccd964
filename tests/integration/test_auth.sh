# award — integration: admin and service tokens (SPEC.md §5 "Auth").

it auth_admin
t_auth_admin() {
	local p
	start_stack
	seed_contest c1
	for p in award-retry-stats contests/c1/leaderboard metrics dashboard; do
		req GET "$HTTPS/v1/admin/$p"
		check_error 401
		check_hdr_has WWW-Authenticate Bearer
		check_hdr_has WWW-Authenticate Basic
		req GET "$HTTPS/v1/admin/$p" -H "Authorization: Bearer wrong"
		check_error 401
		req GET "$HTTPS/v1/admin/$p" -H "Authorization: Bearer $SERVICE_TOKEN"
		check_error 401
		req GET "$HTTPS/v1/admin/$p" -H "Authorization: Bearer ${ADMIN_TOKEN}x"
		check_error 401
		req GET "$HTTPS/v1/admin/$p" -u "admin:wrong"
		check_error 401
		# A browser: HTTP Basic with the token as the password.
		req GET "$HTTPS/v1/admin/$p" -u "admin:$ADMIN_TOKEN"
		check_status 200
		check_no_store
		admin_get "/v1/admin/$p"
		check_status 200
	done
	# State changes take Bearer only, and do not offer Basic.
	req POST "$HTTPS/v1/admin/failed-awards/1/retry"
	check_error 401
	check_hdr_has WWW-Authenticate Bearer
	[[ $(hdr WWW-Authenticate | tr '[:upper:]' '[:lower:]') != *basic* ]] ||
		fail "$REQ: a POST offers Basic: $(hdr WWW-Authenticate)"
	# Basic on a state change only from the dashboard's own origin
	# (test_console.sh); without Origin it is refused.
	req POST "$HTTPS/v1/admin/failed-awards/1/retry" -u "admin:$ADMIN_TOKEN"
	check_error 403
	req POST "$HTTPS/v1/admin/failed-awards/1/retry" \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	check_error 404
	# Tokens never appear in the logs, right or wrong.
	sleep 0.2
	! grep -qF -e "$ADMIN_TOKEN" -e "$SERVICE_TOKEN" "$T/fcgi.log" \
		"$T/nginx/logs/access.log" "$T/nginx/logs/error.log" ||
		fail "a token appears in a log"
}

it auth_service
t_auth_service() {
	local body
	start_stack
	seed_contest c1
	seed_plans
	body=$(award_body ord-s1 123456789 plan_1m "$(iso_now)")
	post_json "$HTTP/v1/awards" "$body"
	check_error 401
	check_hdr_has WWW-Authenticate Bearer
	post_json "$HTTP/v1/awards" "$body" -H "Authorization: Bearer $ADMIN_TOKEN"
	check_error 401
	post_json "$HTTP/v1/awards" "$body" -u "bot:$SERVICE_TOKEN"
	check_error 401
	req GET "$HTTP/v1/users/123456789/tickets"
	check_error 401
	check_hdr_has WWW-Authenticate Bearer
	req GET "$HTTP/v1/users/123456789/tickets" -H "Authorization: Bearer wrong"
	check_error 401
	check_sql "select count(*) from ticket_ledger" 0
	post_json "$HTTP/v1/awards" "$body" -H "Authorization: Bearer $SERVICE_TOKEN"
	check_status 200
	check_json '$.award' awarded
}

# An endpoint whose token is not configured is off: 403, whatever is sent.
it auth_not_configured
t_auth_not_configured() {
	ADMIN_TOKEN=
	SERVICE_TOKEN=
	start_stack
	seed_contest c1
	seed_plans
	admin_get /v1/admin/award-retry-stats
	check_error 403
	req GET "$HTTPS/v1/admin/metrics" -H "Authorization: Bearer x"
	check_error 403
	req POST "$HTTPS/v1/admin/failed-awards/1/retry" \
		-H "Authorization: Bearer x"
	check_error 403
	post_json "$HTTP/v1/awards" \
		"$(award_body ord-n1 123456789 plan_1m "$(iso_now)")" \
		-H "Authorization: Bearer x"
	check_error 403
	req GET "$HTTP/v1/users/123456789/tickets"
	check_error 403
	# The webhook and /healthz need no token.
	webhook "$(payment ord-n2 123456789 plan_1m "$(iso_now)")"
	check_status 200
	check_json '$.award' awarded
}

# A token file's trailing newline and spaces are stripped; a token may also
# come from the environment.
it auth_token_sources
t_auth_token_sources() {
	ADMIN_TOKEN=
	SERVICE_TOKEN=
	printf 'file-token-1-0123456789abcdef01234567 \n\n' >"$T/adm.tok"
	chmod 600 "$T/adm.tok"
	APP_ENV=("AWARD_ADMIN_TOKEN_FILE=$T/adm.tok" "AWARD_SERVICE_TOKEN=env-token-2-0123456789abcdef012345678")
	start_stack
	seed_contest c1
	ADMIN_TOKEN=file-token-1-0123456789abcdef01234567
	admin_get /v1/admin/award-retry-stats
	check_status 200
	req GET "$HTTPS/v1/admin/award-retry-stats" -u "x:file-token-1-0123456789abcdef01234567"
	check_status 200
	req GET "$HTTP/v1/users/1/tickets" -H "Authorization: Bearer env-token-2-0123456789abcdef012345678"
	check_status 200
	req GET "$HTTP/v1/users/1/tickets" -H "Authorization: Bearer file-token-1-0123456789abcdef01234567"
	check_error 401
}
