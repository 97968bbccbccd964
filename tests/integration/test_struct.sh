# award — integration: reads that never write and the writers that keep the
# admin totals (SPEC.md §5), and a machine's installed configuration that
# never changes a test's result (SPEC.md §10, AWARD_CONFIG).

# seed_ledger N [TAG]: N ledger rows of contest c1 straight into the bot
# database (owners 1..17), as the bot or an older binary would have left.
seed_ledger() {
	sql "WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i
		WHERE k < $1) INSERT INTO ticket_ledger(id, contest_id,
		referrer_id, referred_id, order_id, delta, reason, created_at)
		SELECT '${2:-s}' || k, 'c1', 1 + k % 17, 1, 'o${2:-s}' || k,
		1 + k % 3, 'SELF_PURCHASE', '$(iso_now)' FROM i;"
}

# timed_admin_get PATH: admin_get, and MS is how long it took.
timed_admin_get() {
	local t0
	t0=$(now_ms)
	admin_get "$1"
	MS=$(($(now_ms) - t0))
}

# A foreign process holds the service database's write lock; every admin
# view answers promptly with the ledger's exact numbers. The busy timeout
# is 30 s, so a view that tried to write would wait it out; the bound of
# 5 s tells the two apart on any machine (an idle one answers in ms).
it admin_views_under_foreign_lock
t_admin_views_under_foreign_lock() {
	local rows tickets path
	APP_ENV=(AWARD_BUSY_TIMEOUT_MS=30000)
	start_stack
	seed_contest c1
	seed_ledger 2500
	rows=$(sql "SELECT count(*) FROM ticket_ledger")
	tickets=$(sql "SELECT sum(delta) FROM ticket_ledger")
	lock_db "$DB"
	for path in /v1/admin/award-retry-stats /v1/admin/metrics \
		/v1/admin/dashboard /v1/admin/contests/c1/leaderboard; do
		timed_admin_get "$path"
		check_status 200
		[ "$MS" -lt 5000 ] ||
			fail "$REQ took $MS ms under a foreign write lock"
	done
	admin_get /v1/admin/award-retry-stats
	check_json '$.ledger.SELF_PURCHASE.rows' "$rows"
	check_json '$.ledger.SELF_PURCHASE.tickets' "$tickets"
	admin_get /v1/admin/metrics
	grep -q "reason=\"SELF_PURCHASE\"} $rows\$" <<<"$BODY" ||
		fail "metrics: no ledger row count $rows: $(head -c 600 <<<"$BODY")"
	admin_get '/v1/admin/contests/c1/leaderboard?limit=1'
	check_json '$.items[0].tickets' "$(sql "SELECT sum(delta) AS t FROM
		ticket_ledger GROUP BY referrer_id ORDER BY t DESC LIMIT 1")"
	unlock_db
}

# The responder's writer folds the ledger into the totals between groups
# (the reads never do): after one award, the watermark reaches the end.
it writer_folds_totals
t_writer_folds_totals() {
	local n=200 want
	start_stack
	seed_contest c1
	seed_plans
	seed_ledger 2500
	webhook "$(payment ord-fold 123456789 plan_1m "$(iso_now)")"
	check_json '$.award' awarded
	want=$(sql "SELECT max(rowid) FROM ticket_ledger")
	until [ "$(sql "SELECT coalesce((SELECT last_rowid FROM
		ledger_totals_state), 0)")" = "$want" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "the writer did not fold: watermark" \
			"$(sql "SELECT last_rowid FROM ledger_totals_state")," \
			"ledger $want"
		sleep 0.1
	done
	check_sql "SELECT rows FROM ledger_totals WHERE reason =
		'SELF_PURCHASE'" 2501
}

# A look at the totals put off under load runs when its time comes, with
# no job to wake the writer (writer.c: UPKEEP_MS). 999 ledger rows wait
# unfolded (a fold begins past TOTALS_FOLD_MIN, 1000 rows), then two
# awards back to back on one kept connection. The look after the first
# finds 1000 rows and folds none. The second group ends well within 20 ms
# of that look, so its own look is put off, and no job follows. The fold
# must run all the same: the watermark reaches the ledger's end. (Were the
# second group 20 ms late, its look would run at once and the test would
# pass without the put-off look; it cannot fail wrongly.)
it writer_folds_after_a_put_off_look
t_writer_folds_after_a_put_off_look() {
	local n=100
	start_stack
	seed_contest c1
	seed_plans
	seed_ledger 999
	kept_orders ord-late 2
	[ "$(curl -s -m 30 "${KEPT_ARGS[@]}" | grep -c '^200$')" = 2 ] ||
		fail "the two awards were not both answered 200"
	check_sql "SELECT max(rowid) FROM ticket_ledger" 1001
	until [ "$(sql "SELECT coalesce((SELECT last_rowid FROM
		ledger_totals_state), 0)")" = 1001 ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "no fold once the load stopped:" \
			"watermark $(sql "SELECT last_rowid FROM ledger_totals_state")"
		sleep 0.1
	done
	check_sql "SELECT rows FROM ledger_totals WHERE reason =
		'SELF_PURCHASE'" 1001
}

# award-retry brings the totals up to date after its run: every ledger row
# folded, the trigger-kept totals filled.
it retry_run_folds_totals
t_retry_run_folds_totals() {
	retry_ok --init	# creates the database (SPEC.md §6: only --init does)
	sql "DELETE FROM totals_ready; DELETE FROM payment_totals;"
	seed_contest c1
	seed_ledger 30
	retry_ok
	check_sql "SELECT last_rowid FROM ledger_totals_state" \
		"$(sql "SELECT max(rowid) FROM ticket_ledger")"
	check_sql "SELECT rows FROM ledger_totals" 30
	check_sql "SELECT count(*) FROM totals_ready WHERE ready = 1" 2
}

# An installed /etc/award/award.conf that would break every start (an
# unknown key) and point elsewhere changes no result: tests of the three
# binaries run again in a mount namespace whose /etc has it. /etc is an
# overlay there, so the real /etc is never written.
it config_hostile_installed_ignored
t_config_hostile_installed_ignored() {
	if ! unshare --mount true 2>/dev/null; then
		echo "skipped: unshare --mount is not possible here"
		return 0
	fi
	mkdir -p "$T/etc-up" "$T/etc-work"
	cat >"$T/hostile.conf" <<-EOF
	AWARD_DB=$T/hostile/award.db
	AWARD_WEBHOOK_ALLOW=10.255.255.0/24
	AWARD_WORKERS=64
	AWARD_NOT_A_SETTING=1
	EOF
	# shellcheck disable=SC2016
	unshare --mount -- bash -c '
		mount --make-rprivate / &&
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/etc-up,workdir=$1/etc-work" /etc &&
		mkdir -p /etc/award && cp "$1/hostile.conf" /etc/award/award.conf ||
			{ echo "cannot put the hostile file in place"; exit 2; }
		# It is read by a binary that is not told otherwise:
		if env -u AWARD_CONFIG "$3/award-retry" --db "$1/probe.db" \
			>/dev/null 2>"$1/probe.err"; then
			echo "the hostile file was not read"; exit 3
		fi
		AWARD_BIN_DIR=$3 AWARD_IT_TIMEOUT=200 exec bash \
			"$2/tests/integration/run.sh" boot_config_file \
			boot_wrong_bot_db retry_binary webhook_awarded \
			backup_two_files admin_stats
	' _ "$T" "$ROOT" "$BIN" >"$T/nested.log" 2>&1 ||
		fail "with a hostile /etc/award/award.conf:" \
			"$(grep -e FAIL -e cannot -e hostile "$T/nested.log" |
				head -n 3)"
	grep -q "AWARD_NOT_A_SETTING" "$T/probe.err" ||
		fail "the probe failed for another reason: $(cat "$T/probe.err")"
	[ ! -e /etc/award/award.conf ] || [ "$(cat /etc/award/award.conf)" != \
		"$(cat "$T/hostile.conf")" ] || fail "the real /etc was written"
}

# /healthz answers 503 when a database does not answer its query (here the
# bot's plan table gone from under a running responder), and 200 again
# once it is back. One worker, requests one at a time: one read connection.
it healthz_503_when_a_database_fails
t_healthz_503_when_a_database_fails() {
	WORKERS=1
	start_stack
	req GET "$HTTP/healthz"
	check_status 200
	sql "DROP TABLE plan_tickets;"
	req GET "$HTTP/healthz"
	check_error 503
	check_json_type
	check_json '$.error' "database unavailable"
	sql "CREATE TABLE plan_tickets(plan_id TEXT PRIMARY KEY,
		tickets INTEGER NOT NULL CHECK (tickets >= 0));"
	req GET "$HTTP/healthz"
	check_status 200
	check_json '$.status' ok
}
