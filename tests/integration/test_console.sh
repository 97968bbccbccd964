# award — integration: the admin console (SPEC.md §5 "Admin"):
# the requeue's Origin rules for Basic, the page's CSP, cron health in
# the stats JSON, metrics through promtool, and the page in a real browser.

# console_queue ORDER TG: an award queued by an unknown plan.
console_queue() {
	webhook "$(payment "$1" "$2" plan_none "$(iso_now)")"
	check_json '$.award' queued
}

# console_dead ORDER TG: a queued award made dead; echoes its id.
console_dead() {
	console_queue "$1" "$2"
	sql "UPDATE failed_awards SET status = 'dead', attempts = 8
		WHERE order_id = '$1'"
	sql "SELECT id FROM failed_awards WHERE order_id = '$1'"
}

# requeue ID [curl args...]: POST the requeue of row ID.
requeue() {
	local id=$1
	shift
	req POST "$HTTPS/v1/admin/failed-awards/$id/retry" "$@"
}

it console_requeue_origin
t_console_requeue_origin() {
	local id origin before
	start_stack
	seed_contest c1
	seed_plans
	id=$(console_dead ord-o1 1001)
	origin="https://127.0.0.1:$HTTPS_PORT"
	before=$(sql "SELECT * FROM failed_awards")

	# Basic without Origin, with another origin, with "null", with our
	# host on another port or scheme: refused, nothing changed.
	requeue "$id" -u "admin:$ADMIN_TOKEN"
	check_error 403
	check_json '$.error' "cross-origin request refused"
	for o in https://evil.example "https://evil.example:$HTTPS_PORT" null \
		"https://127.0.0.1:$HTTP_PORT" "http://127.0.0.1:$HTTPS_PORT" \
		"https://127.0.0.1" "$origin.evil.example" "$origin/"; do
		requeue "$id" -u "admin:$ADMIN_TOKEN" -H "Origin: $o" \
			-H 'Content-Type: application/x-www-form-urlencoded' \
			--data-binary ''
		check_error 403
		check_json '$.error' "cross-origin request refused"
	done
	[ "$(sql "SELECT * FROM failed_awards")" = "$before" ] ||
		fail "a refused requeue changed failed_awards"

	# Basic from our own origin with a wrong token: 401, no Basic offered.
	requeue "$id" -u "admin:wrong" -H "Origin: $origin"
	check_error 401
	[[ $(hdr WWW-Authenticate | tr '[:upper:]' '[:lower:]') != *basic* ]] ||
		fail "$REQ: a POST offers Basic"
	check_sql "SELECT status FROM failed_awards WHERE id = $id" dead

	# Basic from our own origin, as an API client: JSON, as with Bearer.
	requeue "$id" -u "admin:$ADMIN_TOKEN" -H "Origin: $origin"
	check_status 200
	check_json '$.id' "$id"
	check_json '$.status' pending
	check_sql "SELECT status FROM failed_awards WHERE id = $id" pending

	# The dashboard's form: 303 back to the page.
	sql "UPDATE failed_awards SET status = 'dead' WHERE id = $id"
	requeue "$id" -u "admin:$ADMIN_TOKEN" -H "Origin: $origin" \
		-H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary ''
	check_status 303
	check_hdr Location /v1/admin/dashboard
	check_no_store
	check_sql "SELECT status FROM failed_awards WHERE id = $id" pending
	# A form post for an unknown id is still a 404.
	requeue 999999 -u "admin:$ADMIN_TOKEN" -H "Origin: $origin" \
		-H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary ''
	check_error 404

	# Bearer is not bound to an origin (no browser sends it by itself).
	sql "UPDATE failed_awards SET status = 'dead' WHERE id = $id"
	requeue "$id" -H "Authorization: Bearer $ADMIN_TOKEN" \
		-H "Origin: https://evil.example"
	check_status 200
	check_sql "SELECT status FROM failed_awards WHERE id = $id" pending
}

it console_page_csp
t_console_page_csp() {
	local csp style hash
	start_stack
	seed_contest c1
	req GET "$HTTPS/v1/admin/dashboard" -u "admin:$ADMIN_TOKEN"
	check_status 200
	check_no_store
	csp=$(hdr Content-Security-Policy)
	for want in "default-src 'none'" "form-action 'self'" \
		"frame-ancestors 'none'" "style-src 'sha256-"; do
		[[ $csp == *"$want"* ]] || fail "$REQ: CSP without $want: $csp"
	done
	[[ $csp != *unsafe-inline* && $csp != *script-src* ]] ||
		fail "$REQ: CSP allows inline or script: $csp"
	# The hash in the CSP is that of the page's one <style>.
	style=$(sed -n 's/.*<style>\(.*\)<\/style>.*/\1/p' <<<"$BODY")
	[ -n "$style" ] || fail "$REQ: no <style> on the page"
	hash=$(printf '%s' "$style" | openssl dgst -sha256 -binary | base64)
	[[ $csp == *"'sha256-$hash'"* ]] ||
		fail "$REQ: style hash $hash is not the CSP's: $csp"
	[ "$(grep -o '<style>' <<<"$BODY" | wc -l)" = 1 ] ||
		fail "$REQ: more than one <style>"
	! grep -qi -e '<script' -e 'src=' -e 'href="http' -e ' style=' \
		<<<"$BODY" || fail "$REQ: a script, an external asset or an inline style attribute"
	check_hdr X-Frame-Options DENY
}

it console_retry_stale
t_console_retry_stale() {
	local ended
	start_stack
	seed_contest c1
	seed_plans
	# Nothing pending, no run ever: not stale.
	admin_get /v1/admin/award-retry-stats
	check_json '$.retryStale' 0
	[ "$(jtype '$.lastRunAgeSeconds')" = null ] ||
		fail "$REQ: lastRunAgeSeconds not null: $BODY"
	# ... yet the page does not call a cron job that never ran healthy.
	req GET "$HTTPS/v1/admin/dashboard" -u "admin:$ADMIN_TOKEN"
	grep -q 'id="retry-never"' <<<"$BODY" ||
		fail "$REQ: no word that no retry run was ever seen"
	! grep -q -e 'keeping up' <<<"$BODY" ||
		fail "$REQ: 'keeping up' before any retry run"
	console_queue ord-st1 1001
	admin_get /v1/admin/award-retry-stats
	check_json '$.retryStale' 1
	# The last run ended 16 minutes ago.
	ended=$(date -u -d "@$(($(date +%s) - 16 * 60 - 3))" +%Y-%m-%dT%H:%M:%S.000Z)
	sql "INSERT INTO retry_runs(started_at, duration_ms, picked, awarded,
		duplicate, not_eligible, refunds, failed, dead, forced, stopped)
		VALUES ('$ended', 3000, 4, 1, 0, 0, 0, 2, 1, 0,
		'busy: database is locked')"
	admin_get /v1/admin/award-retry-stats
	check_json '$.retryStale' 1
	check_json '$.lastRun.stopped' "busy: database is locked"
	[ "$(jget '$.lastRunAgeSeconds')" -ge 960 ] &&
		[ "$(jget '$.lastRunAgeSeconds')" -lt 1000 ] ||
		fail "$REQ: lastRunAgeSeconds $(jget '$.lastRunAgeSeconds')"
	req GET "$HTTPS/v1/admin/dashboard" -u "admin:$ADMIN_TOKEN"
	grep -q 'id="retry-stale"' <<<"$BODY" || fail "$REQ: no warning"
	grep -q 'busy: database is locked' <<<"$BODY" ||
		fail "$REQ: the stop reason is not shown"
	# A run that stopped on an outage a minute ago, with a dead row
	# waiting too: not stale, but the stop is what the page says first.
	sql "UPDATE failed_awards SET status = 'dead' WHERE order_id = 'ord-st1'"
	console_queue ord-st2 1002
	ended=$(date -u -d "@$(($(date +%s) - 60))" +%Y-%m-%dT%H:%M:%S.000Z)
	sql "INSERT INTO retry_runs(started_at, duration_ms, picked, awarded,
		duplicate, not_eligible, refunds, failed, dead, forced, stopped)
		VALUES ('$ended', 300, 1, 0, 0, 0, 0, 0, 0, 0,
		'row 7: database is locked (outage)')"
	req GET "$HTTPS/v1/admin/dashboard" -u "admin:$ADMIN_TOKEN"
	! grep -q 'id="retry-stale"' <<<"$BODY" || fail "$REQ: stale a minute on"
	grep -q 'id="run-stopped"[^>]*>The last retry run stopped on an outage: row 7: database is locked' <<<"$BODY" ||
		fail "$REQ: the stopped run is not said first"
	! grep -q 'id="dead-waiting"' <<<"$BODY" ||
		fail "$REQ: dead rows said before the stopped run"
	grep -q 'class="amber">stopped on an outage</span>' <<<"$BODY" ||
		fail "$REQ: the last-run box does not say it stopped"
	# A run now: no longer stale.
	retry_ok
	admin_get /v1/admin/award-retry-stats
	check_json '$.retryStale' 0
	[ "$(jget '$.lastRunAgeSeconds')" -lt 60 ] ||
		fail "$REQ: lastRunAgeSeconds $(jget '$.lastRunAgeSeconds')"
	req GET "$HTTPS/v1/admin/dashboard" -u "admin:$ADMIN_TOKEN"
	! grep -q 'id="retry-stale"' <<<"$BODY" || fail "$REQ: still warns"
}

it console_metrics_promtool
t_console_metrics_promtool() {
	local out
	command -v promtool >/dev/null || fail "promtool missing (make deps)"
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 2002 2001
	webhook "$(payment ord-p1 2002 plan_3m "$(iso_now)")"
	check_json '$.award' awarded
	console_queue ord-p2 1001
	sql "INSERT INTO ticket_ledger(id, contest_id, referrer_id, referred_id,
		order_id, delta, reason, created_at) VALUES ('odd', 'c1', 9, 9,
		'odd', 1, 'we\"ird\\reason', '2026-01-01 10:00:00')"
	retry_ok
	admin_get /v1/admin/metrics
	check_status 200
	out=$(promtool check metrics <<<"$BODY" 2>&1) ||
		fail "promtool check metrics: $out"
	[ -z "$out" ] || fail "promtool check metrics: $out"
	for want in 'award_ledger_rows{reason="SELF_PURCHASE"} 1' \
		'award_ledger_tickets{reason="INVITEE_PAYMENT"} 3' \
		'award_payments{outcome="awarded"} 1' \
		'award_failed_awards{status="pending"} 1' \
		'award_retry_runs_total 1' 'award_retry_stale 0' \
		'award_http_requests_total{route="webhook",code="2xx"}'; do
		grep -qF "$want" <<<"$BODY" || fail "$REQ: no '$want'"
	done
	grep -q '^award_retry_last_run_timestamp_seconds [0-9]*\.[0-9]*$' \
		<<<"$BODY" || fail "$REQ: no last run timestamp"
	grep -q '^award_failed_awards_oldest_pending_age_seconds ' \
		<<<"$BODY" || fail "$REQ: no oldest pending age"
	# The shipped rules and scrape config.
	out=$(promtool check rules "$ROOT/docs/alerts.yml" 2>&1) ||
		fail "promtool check rules: $out"
	out=$(cd "$T" && cp "$ROOT/docs/alerts.yml" . &&
		sed "s|/etc/prometheus/award-admin.token|$T/admin.token|" \
		"$ROOT/docs/prometheus.yml" >prometheus.yml &&
		promtool check config prometheus.yml 2>&1) ||
		fail "promtool check config: $out"
}

it console_browser
t_console_browser() {
	local py=/usr/bin/python3 d1 d2 i out
	[ -x "$py" ] || py=python3
	"$py" -c 'import selenium' 2>/dev/null ||
		fail "python3-selenium missing (make deps)"
	[ -x /usr/bin/chromedriver ] || fail "chromium-driver missing (make deps)"
	start_stack
	seed_contest 'cup<script>alert(1)</script>'
	seed_plans
	seed_referral 3002 3001
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		webhook "$(payment "ord-b$i" "$((4000 + i % 7))" plan_3m "$(iso_now)")"
	done
	webhook "$(payment ord-b20 3002 plan_12m "$(iso_now)")"
	check_json '$.award' awarded
	# Ids as long as real ones (YooKassa's payment ids are UUIDs, a
	# telegram id has ten digits): the browser test's wide detail page.
	for i in 1 2 3 4; do
		webhook "$(payment "ord_2026_12_05_00000$i" 7123456789 plan_12m \
			"$(iso_now)" "$(cat /proc/sys/kernel/random/uuid)" 1599.00)"
		check_json '$.award' awarded
	done
	# More pending rows than one page holds (the queue is paged).
	sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
		WHERE i < 60) INSERT INTO failed_awards(kind, status, attempts,
		last_error, order_id, telegram_id, plan_id, order_created_at,
		created_at, updated_at, last_attempt_at, next_attempt_at,
		next_attempt_ms) SELECT 'award', 'pending', 1, 'no such plan',
		'ord-page-' || i, 6000 + i, 'plan_x', '$(iso_now)', '$(iso_now)',
		'$(iso_now)', '$(iso_now)', '$(iso_days 1)', 0 FROM n"
	console_queue ord-q1 5001
	console_queue ord-q2 5002
	# Retried by an admin whose Basic user name is long (63 bytes are
	# kept): the queue's admin column wraps it, no sideways scrolling.
	sql "UPDATE failed_awards SET requeued_at = '$(iso_now)',
		requeued_by = 'ivan_petrov_operations_at_vpn_company_support_example_org_ru_x'
		WHERE order_id = 'ord-q1'"
	d1=$(console_dead ord-d1 5003)
	d2=$(console_dead ord-d2 5004)
	sql "UPDATE failed_awards SET last_error = '<script>alert(2)</script>'
		WHERE id = $d2"
	# A retry run that ended 16 minutes ago: the page warns.
	sql "INSERT INTO retry_runs(started_at, duration_ms, picked, awarded,
		duplicate, not_eligible, refunds, failed, dead, forced)
		VALUES ('$(date -u -d "@$(($(date +%s) - 16 * 60 - 2))" \
		+%Y-%m-%dT%H:%M:%S.000Z)', 2000, 5, 3, 0, 0, 0, 1, 1, 0)"
	# Another origin: a page with a form that posts to the requeue.
	EVIL_PORT=$(pick_port) || fail "no free port"
	mkdir -p "$T/evil"
	cat >"$T/evil/index.html" <<-HTML
	<!DOCTYPE html><html><body><form method="post"
	action="$HTTPS/v1/admin/failed-awards/$d1/retry"><button
	id="go-$d1" type="submit">win a prize</button></form></body></html>
	HTML
	# A port picked free may be taken before the server binds it: then
	# the server exits, and another port is tried.
	for try in 1 2 3 4 5; do
		"$py" -m http.server "$EVIL_PORT" --bind 127.0.0.1 \
			--directory "$T/evil" >"$T/evil.log" 2>&1 &
		evil_pid=$!
		PIDS+=("$evil_pid")
		for i in $(seq 1 100); do
			alive "$evil_pid" || break
			curl -s -o /dev/null "http://127.0.0.1:$EVIL_PORT/" &&
				break
			sleep 0.05
		done
		alive "$evil_pid" && break
		EVIL_PORT=$(pick_port) || fail "no free port"
	done
	alive "$evil_pid" || fail "the other origin's server did not start:" \
		"$(tail -n 1 "$T/evil.log")"
	mkdir -p "$ROOT/build"
	out=$(HOME=$T timeout 110 "$py" "$ROOT/tests/browser/dashboard.py" \
		"$HTTPS" "$ADMIN_TOKEN" "$DB" "$T" \
		"http://127.0.0.1:$EVIL_PORT" 2>"$T/browser.err")
	[ "$out" = ok ] || fail "browser: ${out:-no answer} $(tail -n 3 "$T/browser.err")"
	cp "$T"/dashboard-*.png "$T"/detail-*.png "$T"/queue-*.png \
		"$ROOT/build/" 2>/dev/null
	check_sql "SELECT status FROM failed_awards WHERE id = $d1" dead
	check_sql "SELECT acked_by FROM failed_awards WHERE id = $d1" admin
	check_sql "SELECT status FROM failed_awards WHERE id = $d2" pending
}
