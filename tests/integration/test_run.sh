# award — integration: `make run` (SPEC.md §9) as a newcomer uses it: the
# demo starts, the curl it prints awards tickets that are in the database,
# the stats curl answers, and SIGTERM stops both processes.

it make_run_nginx_stops_first
t_make_run_nginx_stops_first() {
	t_make_run nginx-first
}

it make_run
t_make_run() {
	local hp sp run_pid app nginx line n try want rc
	# Free ports, picked anew when another process takes one first
	# (nginx: "still could not bind()"; run.sh: "port N is in use").
	for try in 1 2 3; do
		hp=$(pick_port) && sp=$(pick_port) || fail "no free port"
		[ "$hp" != "$sp" ] || sp=$((hp + 1))
		env -u AWARD_DB -u AWARD_BOT_DB -u AWARD_WEBHOOK_ALLOW \
			-u AWARD_ADMIN_TOKEN -u AWARD_ADMIN_TOKEN_FILE \
			-u AWARD_SERVICE_TOKEN -u AWARD_SERVICE_TOKEN_FILE -u NGINX \
			AWARD_RUN_DIR="$T/var" AWARD_HTTP_PORT="$hp" \
			AWARD_HTTPS_PORT="$sp" AWARD_BIN_DIR="$BIN" \
			bash "$ROOT/scripts/run.sh" </dev/null >"$T/run.out" 2>&1 &
		run_pid=$!
		PIDS+=("$run_pid")
		n=$((WAIT_S * 20))
		until grep -q '^Ctrl-C stops both' "$T/run.out"; do
			alive "$run_pid" || break
			n=$((n - 1))
			[ "$n" -gt 0 ] || fail "make run printed no banner in ${WAIT_S}s"
			sleep 0.05
		done
		grep -q '^Ctrl-C stops both' "$T/run.out" && break
		wait "$run_pid"
		forget_pid "$run_pid"
		grep -q -e 'in use' -e 'could not bind' -e 'Address already in use' \
			"$T/run.out" "$T/var/nginx/logs/error.log" 2>/dev/null ||
			fail "make run exited: $(tail -n 3 "$T/run.out")"
	done
	grep -q '^Ctrl-C stops both' "$T/run.out" ||
		fail "make run found no free ports: $(tail -n 3 "$T/run.out")"
	app=$(sed -n 's/.*responder pid \([0-9]*\), nginx pid \([0-9]*\).*/\1/p' \
		"$T/run.out")
	nginx=$(sed -n 's/.*responder pid \([0-9]*\), nginx pid \([0-9]*\).*/\2/p' \
		"$T/run.out")
	[ -n "$app" ] && [ -n "$nginx" ] || fail "no pids in the banner"

	# The printed webhook curl, as printed.
	line=$(grep -m 1 "curl -sS -H 'Content-Type" "$T/run.out") ||
		fail "no webhook curl in the banner"
	BODY=$(eval "$line")
	REQ="the printed webhook curl"
	check_json '$.award' awarded
	check_json '$.tickets' 1
	check_json '$.referrer_tickets' 1
	DB=$T/var/award.db
	check_sql "select count(*) from ticket_ledger
		where reason = 'SELF_PURCHASE' and referrer_id = 123456789" 1
	check_sql "select count(*) from ticket_ledger
		where reason = 'INVITEE_PAYMENT' and referrer_id = 111111111" 1
	BODY=$(eval "$line")
	check_json '$.award' duplicate

	line=$(grep -m 1 'curl -sSk' "$T/run.out") ||
		fail "no stats curl in the banner"
	BODY=$(eval "$line")
	REQ="the printed stats curl"
	check_json '$.queueSize' 0
	line=$(grep -m 1 'users/111111111/tickets' "$T/run.out") ||
		fail "no tickets curl in the banner"
	BODY=$(eval "$line")
	REQ="the printed tickets curl"
	check_json '$.tickets' 1

	# The printed retry run, from the repository's top, as printed.
	line=$(grep -m 1 'award-retry --db' "$T/run.out") ||
		fail "no award-retry line in the banner"
	(cd "$ROOT" && eval "$line") >"$T/printed-retry.out" 2>&1 ||
		fail "the printed retry line failed: $(tail -n 2 "$T/printed-retry.out")"
	check_sql "select count(*) from retry_runs" 1

	# README's examples, with make run's ports and directory.
	readme_examples "$hp" "$sp" >"$T/examples.sh"
	[ -s "$T/examples.sh" ] || fail "no examples found in README"
	(cd "$ROOT" && bash -e "$T/examples.sh") >"$T/examples.out" 2>&1 ||
		fail "README's examples failed: $(tail -n 2 "$T/examples.out")"
	for want in '"award":"awarded"' '"referrer_tickets":1' \
		'"award":"queued"' '"status":"pending"}'; do
		grep -qF "$want" "$T/examples.out" ||
			fail "README's examples printed no $want: $(head -c 600 "$T/examples.out")"
	done
	check_sql "select count(*) from failed_awards where plan_id = 'plan_24m'" 1
	check_sql "select count(*) from retry_runs" 2

	# Ctrl-C reaches every process of the group, and nginx may stop
	# before make run's trap runs: the responder stops too, exit 0 (no
	# "make run: nginx exited", no "make: *** Error 1").
	if [ "${1:-}" = nginx-first ]; then
		kill -TERM "$nginx"
		wait_gone "$run_pid" 15 || fail "make run outlived its nginx"
		wait "$run_pid"
		rc=$?
		[ "$rc" = 0 ] || fail "make run exited $rc after nginx stopped:" \
			"$(tail -n 2 "$T/run.out")"
		wait_gone "$app" 5 || fail "the responder outlived make run"
		forget_pid "$run_pid"
		return
	fi
	# Ctrl-C's twin: SIGTERM stops both, by pid, and make run exits 0
	# (no "make: *** Error 143").
	kill -TERM "$run_pid"
	wait_gone "$run_pid" 15 || fail "make run did not stop on SIGTERM"
	wait "$run_pid"
	rc=$?
	[ "$rc" = 0 ] || fail "make run exited $rc on SIGTERM"
	wait_gone "$app" 5 || fail "the responder outlived make run"
	wait_gone "$nginx" 5 || fail "nginx outlived make run"
	forget_pid "$run_pid"
}

# readme_examples HTTP_PORT HTTPS_PORT: README's example block for make run,
# with make run's ports and this test's directory and build.
readme_examples() {
	sed -n "/^Examples (with \`make run\`'s defaults/,/^\`\`\`\$/p" \
		"$ROOT/README.md" | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' |
		sed -e "s#127\.0\.0\.1:8080#127.0.0.1:$1#g" \
		    -e "s#127\.0\.0\.1:8443#127.0.0.1:$2#g" \
		    -e "s#\([ (]\)var/#\1$T/var/#g" \
		    -e "s#^build/award-retry#$BIN/award-retry#"
	return 0
}
