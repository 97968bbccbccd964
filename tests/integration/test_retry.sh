# award — integration: the retry binary, build/award-retry (SPEC.md §6),
# through the real binary on the responder's database: the run lock,
# concurrent runs, the backoff schedule and dead rows (with the test-only
# --now), and a bot database in a file of its own (SPEC.md §3, §4).

# ------------------------------------------------------------ helpers

# iso_ms ISO: the instant as milliseconds since the epoch.
iso_ms() {
	date -u -d "$1" +%s%3N
}

# ms_iso MS: the instant in the service's format, YYYY-MM-DDTHH:MM:SS.mmmZ.
ms_iso() {
	date -u -d "@$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))" \
		+%Y-%m-%dT%H:%M:%S.%3NZ
}

# ms_sql EXPR: SQL for the instant of a time value EXPR, in milliseconds.
ms_sql() {
	printf 'cast(round((julianday(%s) - 2440587.5) * 86400000) as integer)' "$1"
}

# next_at ID: the next_attempt_at of a failed_awards row.
next_at() {
	sql "select next_attempt_at from failed_awards where id = $1"
}

# check_iso VALUE: written as the service writes times.
check_iso() {
	[[ $1 =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]] ||
		fail "time '$1' is not YYYY-MM-DDTHH:MM:SS.mmmZ"
}

# queue_many PREFIX N PLAN: N webhooks, 8 at a time (orders
# PREFIX1..PREFIXN, buyers 500001..), each answered 200 queued: PLAN is not
# in plan_tickets.
queue_many() {
	local i now
	now=$(iso_now)
	mkdir -p "$T/qm"
	for i in $(seq 1 "$2"); do
		payment "$1$i" $((500000 + i)) "$3" "$now" >"$T/qm/$1$i.json"
		echo "$1$i"
	done | xargs -P 8 -I '{}' curl -s -m 30 -H 'Expect:' \
		-H 'Content-Type: application/json' --data-binary "@$T/qm/{}.json" \
		-o "$T/qm/{}.out" -w '%{http_code} {} %{errormsg}\n' \
		"$HTTP/v1/payments/webhook" >"$T/qm/$1.codes" 2>&1
	[ "$(grep -c '^200 ' "$T/qm/$1.codes")" = "$2" ] ||
		fail "queue_many $1: not all answered 200:" \
			"$(grep -v '^200 ' "$T/qm/$1.codes" | head -n 3)"
	[ "$(grep -l '"queued"' "$T/qm/$1"*.out | wc -l)" = "$2" ] ||
		fail "queue_many $1: not all queued:" \
			"$(grep -L '"queued"' "$T/qm/$1"*.out | head -n 1 | xargs cat)"
	check_sql "select count(*), min(attempts), max(attempts)
		from failed_awards where order_id like '$1%' and status = 'pending'" \
		"$2|1|1"
}

# ------------------------------------------------------------ the lock

# A run that finds another in progress (the lock, flock(2) on the database
# file itself, held here by flock(1)) exits 0 at once and records nothing;
# once the lock is free, a run does the work.
it retry_lock_held
t_retry_lock_held() {
	local fl sleeper n before row args
	start_stack
	seed_contest c1
	seed_plans
	webhook "$(payment ord-lk 123456789 plan_new "$(iso_now)")"
	check_json '$.award' queued
	# Awardable now: any run that got past the lock would award it.
	sql "INSERT INTO plan_tickets VALUES ('plan_new', 2)"
	row="select status, attempts, next_attempt_at, last_error,
		last_attempt_at, updated_at from failed_awards
		where order_id = 'ord-lk'"
	before=$(sql "$row")

	flock "$DB" sleep 30 &
	fl=$!
	PIDS+=("$fl")
	n=100
	while flock -n "$DB" true; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "flock did not take $DB"
		sleep 0.05
	done
	# flock(1) holds the lock in its child too: stop both by pid.
	n=100
	until sleeper=$(children_of "$fl") && [ -n "$sleeper" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "no child under flock $fl"
		sleep 0.05
	done
	PIDS+=("$sleeper")

	for args in "--force" "" "--force --limit 5" \
		"--now $(iso_days 1)"; do
		# shellcheck disable=SC2086
		retry $args
		[ "$RETRY_RC" = 0 ] ||
			fail "award-retry $args with the lock held: exit $RETRY_RC:" \
				"$(tail -n 2 "$T/retry.log")"
		[ "$RETRY_MS" -lt 3000 ] ||
			fail "award-retry $args with the lock held took ${RETRY_MS} ms"
		check_sql "select count(*) from retry_runs" 0
		check_sql "$row" "$before"
		check_sql "select count(*) from ticket_ledger" 0
	done

	stop_pid "$sleeper" TERM
	wait_gone "$fl" 10 || fail "flock $fl did not exit with its child"
	wait "$fl" 2>/dev/null
	forget_pid "$sleeper"
	forget_pid "$fl"
	flock -n "$DB" true || fail "the lock is still held"

	retry_ok --force
	check_sql "select status, attempts from failed_awards
		where order_id = 'ord-lk'" "done|1"
	check_sql "select reason, referrer_id, delta from ticket_ledger
		where order_id = 'ord-lk'" "SELF_PURCHASE|123456789|2"
	check_sql "select count(*), sum(picked), sum(awarded), max(forced)
		from retry_runs" "1|1|1|1"
}

# ------------------------------------------------------------ concurrency

# Two runs started at the same moment over 200 awardable rows: each order
# is awarded once, every row ends done, and the runs' "awarded" counts add
# up to 200. Then the same with the lock out of the way (the second run
# reaches the database through a symlink, so its lock file is another
# one): the ledger's primary key alone still awards each order once.
it retry_concurrent_runs
t_retry_concurrent_runs() {
	local i pids before
	WORKERS=4
	start_stack
	seed_contest c1
	seed_plans
	queue_many ord-cc 200 plan_late
	sql "INSERT INTO plan_tickets VALUES ('plan_late', 2)"
	pids=()
	for i in 1 2; do
		(retry --force; echo "$RETRY_RC" >"$T/run$i.rc") &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	for i in 1 2; do
		[ "$(cat "$T/run$i.rc" 2>/dev/null)" = 0 ] ||
			fail "concurrent award-retry $i: exit $(cat "$T/run$i.rc"):" \
				"$(tail -n 2 "$T/retry.log")"
	done
	check_sql "select count(*), count(distinct order_id) from ticket_ledger
		where reason = 'SELF_PURCHASE' and order_id like 'ord-cc%'" "200|200"
	check_sql "select count(*) from ticket_ledger" 200
	check_sql "select status, count(*) from failed_awards group by status" \
		"done|200"
	check_sql "select sum(awarded), sum(failed), sum(dead),
		count(*) between 1 and 2 from retry_runs" "200|0|0|1"

	# The lock is the database file itself: another name for it (a
	# symlink; "<db>.retry.lock" once gave each name its own lock) is
	# the same lock, and two runs at once still award each order once.
	queue_many ord-cd 150 plan_later
	sql "INSERT INTO plan_tickets VALUES ('plan_later', 3)"
	ln -s "$(basename "$DB")" "$T/alias.db"
	before=$(sql "select max(id) from retry_runs")
	pids=()
	for i in 3 4; do
		if [ "$i" = 3 ]; then
			(retry --force; echo "$RETRY_RC" >"$T/run$i.rc") &
		else
			(retry --force --db "$T/alias.db"
				echo "$RETRY_RC" >"$T/run$i.rc") &
		fi
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	for i in 3 4; do
		[ "$(cat "$T/run$i.rc" 2>/dev/null)" = 0 ] ||
			fail "concurrent award-retry $i (one through a symlink):" \
				"exit $(cat "$T/run$i.rc"): $(tail -n 2 "$T/retry.log")"
	done
	check_sql "select count(*), count(distinct order_id), sum(delta)
		from ticket_ledger where order_id like 'ord-cd%'" "150|150|450"
	check_sql "select status, count(*) from failed_awards group by status" \
		"done|350"
	check_sql "select count(*) between 1 and 2, sum(awarded), sum(failed)
		from retry_runs where id > $before" "1|150|0"
}

# ------------------------------------------------------------ backoff

# The schedule through the real binary, with its clock set by --now: the
# first failure is due 5 min later, then 10, 20, 40 min after each failed
# attempt; at AWARD_RETRY_MAX_ATTEMPTS the row is dead and stays dead; an
# admin puts it back, and once its plan exists the next run awards it once.
it retry_backoff_dead
t_retry_backoff_dead() {
	local t0 t1 id idy due due2 dy ms before
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	t0=$(now_ms)
	webhook "$(payment ord-bk 123456789 plan_x "$(iso_now)")"
	t1=$(now_ms)
	check_status 200
	check_json '$.award' queued
	id=$(sql "select id from failed_awards where order_id = 'ord-bk'")
	[ -n "$id" ] || fail "no failed_awards row for ord-bk"
	check_sql "select kind, status, attempts from failed_awards
		where id = $id" "award|pending|1"
	due=$(next_at "$id")
	check_iso "$due"
	ms=$(($(iso_ms "$due") - 300000))
	[ "$ms" -ge $((t0 - 1)) ] && [ "$ms" -le $((t1 + 1)) ] ||
		fail "first failure between $(ms_iso "$t0") and $(ms_iso "$t1"):" \
			"next_attempt_at $due is not 5 min after it"

	# Before it is due: the run picks nothing and changes nothing.
	before=$(sql "select * from failed_awards where id = $id")
	retry_ok AWARD_RETRY_MAX_ATTEMPTS=3 --now "$(ms_iso $(($(iso_ms "$due") - 1000)))"
	check_sql "select * from failed_awards where id = $id" "$before"
	check_sql "select count(*), picked from retry_runs" "1|0"

	# Due: attempt 2 fails; due again 10 min after it.
	retry_ok AWARD_RETRY_MAX_ATTEMPTS=3 --now "$due"
	check_sql "select status, attempts, length(last_error) > 0,
		$(ms_sql next_attempt_at) - $(ms_sql "'$due'")
		from failed_awards where id = $id" "pending|2|1|600000"
	check_sql "select picked, failed, dead from retry_runs
		order by id desc limit 1" "1|1|0"
	due2=$(next_at "$id")
	check_iso "$due2"
	retry_ok AWARD_RETRY_MAX_ATTEMPTS=3 --now "$(ms_iso $(($(iso_ms "$due2") - 1)))"
	check_sql "select status, attempts from failed_awards where id = $id" \
		"pending|2"

	# Attempt 3 = AWARD_RETRY_MAX_ATTEMPTS: dead, and it stays dead.
	retry_ok AWARD_RETRY_MAX_ATTEMPTS=3 --now "$due2"
	check_sql "select status, attempts from failed_awards where id = $id" \
		"dead|3"
	check_sql "select picked, failed, dead from retry_runs
		order by id desc limit 1" "1|0|1"
	retry_ok --now "$(ms_iso $(($(iso_ms "$due2") + 86400000)))"
	retry_ok --force
	check_sql "select status, attempts from failed_awards where id = $id" \
		"dead|3"
	admin_get /v1/admin/award-retry-stats
	check_status 200
	check_json '$.queueSize' 0
	check_json '$.dead[0].id' "$id"

	# Another order, default AWARD_RETRY_MAX_ATTEMPTS (8): +10, +20, +40.
	webhook "$(payment ord-bk2 555000111 plan_y "$(iso_now)")"
	check_json '$.award' queued
	idy=$(sql "select id from failed_awards where order_id = 'ord-bk2'")
	for ms in 600000 1200000 2400000; do
		dy=$(next_at "$idy")
		check_iso "$dy"
		retry_ok --now "$dy"
		check_sql "select status, $(ms_sql next_attempt_at) - $(ms_sql "'$dy'")
			from failed_awards where id = $idy" "pending|$ms"
	done
	check_sql "select attempts from failed_awards where id = $idy" 4
	check_sql "select status, attempts from failed_awards where id = $id" \
		"dead|3"

	# The admin puts the dead row back: pending, due now.
	req POST "$HTTPS/v1/admin/failed-awards/$id/retry" \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	check_status 200
	check_json_type
	check_json '$.id' "$id"
	check_json '$.status' pending
	[ "$(jtype '$.id')" = integer ] || fail "$REQ: id is not a number: $BODY"
	check_sql "select status, $(ms_sql next_attempt_at) <= $(now_ms) + 1000
		from failed_awards where id = $id" "pending|1"
	sql "INSERT INTO plan_tickets VALUES ('plan_x', 2)"
	before=$(sql "select * from failed_awards where id = $idy")
	# A normal run on the real clock: the requeued row only.
	retry_ok
	check_sql "select status, outcome from failed_awards where id = $id" \
		"done|awarded"
	check_sql "select reason, referrer_id, delta from ticket_ledger
		where order_id = 'ord-bk' order by reason" \
		"INVITEE_PAYMENT|111111111|2
SELF_PURCHASE|123456789|2"
	check_sql "select picked, awarded from retry_runs
		order by id desc limit 1" "1|1"
	check_sql "select * from failed_awards where id = $idy" "$before"
	# More runs award nothing more.
	retry_ok --force
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-bk'" 2
	# A done row is not put back; an unknown id is 404.
	req POST "$HTTPS/v1/admin/failed-awards/$id/retry" \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	check_error 409
	check_sql "select status from failed_awards where id = $id" done
	req POST "$HTTPS/v1/admin/failed-awards/$((id + idy + 1000))/retry" \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	check_error 404
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-bk'" 2
}

# ------------------------------------------------------------ two files

# rows FILE TABLE: the rows of TABLE in FILE, 0 when it has no such table.
rows() {
	local n
	n=$(sqlite3 -cmd '.timeout 5000' "$1" \
		"select count(*) from sqlite_master where type = 'table'
		and name = '$2'")
	if [ "$n" = 0 ]; then
		echo 0
	else
		sqlite3 -cmd '.timeout 5000' "$1" "select count(*) from \"$2\""
	fi
}

# AWARD_BOT_DB in a file of its own: the ledger goes to the bot file, the
# payments and the queue to the service file; award-retry --db/--bot-db
# works the same; a bot file locked by another process still lets the
# failure be saved (200 queued), and the retry awards it once released.
# A done row of an order that fails again is queued anew: attempts and
# its age start from the new failure, so the oldest pending row's age
# (the metric an alert watches) is not the old row's months.
it retry_revived_row_is_new
t_retry_revived_row_is_new() {
	local age
	start_stack
	seed_contest c1
	seed_plans
	webhook "$(payment ord-rv 4100001 plan_x "$(iso_now)" pay-rv)"
	check_json '$.award' queued
	sql "INSERT INTO plan_tickets(plan_id, tickets) VALUES ('plan_x', 0)"
	retry_ok --force
	check_sql "select status, outcome from failed_awards" "done|not_eligible"
	# Done long ago, as far as the row can tell.
	sql "UPDATE failed_awards SET created_at = '2025-01-01T00:00:00.000Z'"
	sql "DELETE FROM plan_tickets WHERE plan_id = 'plan_x'"
	webhook "$(payment ord-rv 4100001 plan_x "$(iso_now)" pay-rv)"
	check_json '$.award' queued
	check_sql "select count(*), status, attempts,
		created_at = updated_at from failed_awards" "1|pending|1|1"
	admin_get /v1/admin/metrics
	age=$(awk '$1 == "award_failed_awards_oldest_pending_age_seconds" {
		print int($2) }' <<<"$BODY")
	[ -n "$age" ] && [ "$age" -lt 3600 ] ||
		fail "oldest pending age '$age' s: the revived row kept its old created_at"

	# A row queued after the revived one's first failure, but before its
	# revival (a later id, an earlier created_at), is the oldest pending
	# row, and the revived one is the newest: ages and order go by when a
	# row was queued, not by its id.
	webhook "$(payment ord-rw 4100002 plan_y "$(iso_now)" pay-rw)"
	check_json '$.award' queued
	sql "UPDATE failed_awards SET created_at =
		strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 hours')
		WHERE order_id = 'ord-rw'"
	sql "UPDATE failed_awards SET created_at =
		strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hours')
		WHERE order_id = 'ord-rv'"
	check_sql "select group_concat(order_id) from (select order_id
		from failed_awards order by id)" "ord-rv,ord-rw"
	admin_get /v1/admin/metrics
	age=$(awk '$1 == "award_failed_awards_oldest_pending_age_seconds" {
		print int($2) }' <<<"$BODY")
	[ -n "$age" ] && [ "$age" -ge 7000 ] ||
		fail "oldest pending age '$age' s: the row queued 2 h ago is older"
	admin_get /v1/admin/award-retry-stats
	check_json '$.items[0].orderId' ord-rv
	check_json '$.items[1].orderId' ord-rw
}

it separate_bot_db
t_separate_bot_db() {
	local BOT=$T/bot.db
	APP_ENV=("AWARD_BOT_DB=$BOT" AWARD_BUSY_TIMEOUT_MS=200)
	start_stack
	[ -s "$BOT" ] || fail "award-fcgi did not create the bot database $BOT"
	DB=$BOT seed_contest c1
	DB=$BOT seed_plans
	DB=$BOT seed_referral 123456789 111111111

	webhook "$(payment ord-sb1 123456789 plan_3m "$(iso_now)" pay-sb1 599.00)"
	check_status 200
	check_json '$.award' awarded
	check_json '$.referrer_tickets' 3
	DB=$BOT check_sql "select reason, referrer_id, delta from ticket_ledger
		where order_id = 'ord-sb1' order by reason" \
		"INVITEE_PAYMENT|111111111|3
SELF_PURCHASE|123456789|3"
	DB=$BOT check_sql "select status from ref_events where contest_id = 'c1'
		and referrer_id = 111111111 and referred_id = 123456789" qualified
	check_sql "select order_id, telegram_id, amount_minor from payments
		where payment_id = 'pay-sb1'" "ord-sb1|123456789|59900"
	[ "$(rows "$DB" ticket_ledger)" = 0 ] ||
		fail "ledger rows in the service file $DB"
	[ "$(rows "$BOT" payments)" = 0 ] ||
		fail "payments rows in the bot file $BOT"

	# Queued (unknown plan) in the service file; award-retry with
	# --db and --bot-db awards it into the bot file.
	webhook "$(payment ord-sb2 555000111 plan_new "$(iso_now)")"
	check_json '$.award' queued
	check_sql "select status, attempts from failed_awards
		where order_id = 'ord-sb2'" "pending|1"
	[ "$(rows "$BOT" failed_awards)" = 0 ] ||
		fail "failed_awards rows in the bot file $BOT"
	DB=$BOT sql "INSERT INTO plan_tickets VALUES ('plan_new', 5)"
	retry_ok --force --bot-db "$BOT"
	check_sql "select status from failed_awards where order_id = 'ord-sb2'" done
	DB=$BOT check_sql "select reason, referrer_id, delta from ticket_ledger
		where order_id = 'ord-sb2'" "SELF_PURCHASE|555000111|5"
	[ "$(rows "$DB" ticket_ledger)" = 0 ] ||
		fail "award-retry wrote ledger rows into the service file"
	# The same with AWARD_DB / AWARD_BOT_DB in the environment.
	webhook "$(payment ord-sb3 555000112 plan_new2 "$(iso_now)")"
	check_json '$.award' queued
	DB=$BOT sql "INSERT INTO plan_tickets VALUES ('plan_new2', 6)"
	base_env
	"${BASE_ENV[@]}" "AWARD_DB=$DB" "AWARD_BOT_DB=$BOT" "$BIN/award-retry" \
		--force </dev/null >>"$T/retry.log" 2>&1 ||
		fail "award-retry with AWARD_DB/AWARD_BOT_DB: exit $?:" \
			"$(tail -n 2 "$T/retry.log")"
	DB=$BOT check_sql "select delta from ticket_ledger
		where id = 'SELF_PURCHASE:ord-sb3'" 6

	# The bot file locked by another process: the failure is saved in
	# the service file, and answered 200 queued.
	lock_db "$BOT"
	webhook "$(payment ord-sb4 123456789 plan_1m "$(iso_now)" pay-sb4)"
	check_status 200
	check_json '$.status' processed
	check_json '$.award' queued
	check_sql "select kind, status, attempts from failed_awards
		where order_id = 'ord-sb4'" "award|pending|1"
	check_sql "select count(*) from payments where payment_id = 'pay-sb4'" 1
	unlock_db
	DB=$BOT check_sql "select count(*) from ticket_ledger
		where order_id = 'ord-sb4'" 0
	retry_ok --force --bot-db "$BOT"
	check_sql "select status from failed_awards where order_id = 'ord-sb4'" done
	DB=$BOT check_sql "select reason, referrer_id, delta from ticket_ledger
		where order_id = 'ord-sb4' order by reason" \
		"INVITEE_PAYMENT|111111111|1
SELF_PURCHASE|123456789|1"
	webhook "$(payment ord-sb4 123456789 plan_1m "$(iso_now)" pay-sb4)"
	check_json '$.award' duplicate
	[ "$(rows "$DB" ticket_ledger)" = 0 ] ||
		fail "ledger rows in the service file $DB"
}

# start_two_files: the stack with the bot database in $BOT (a file of its
# own), a short busy timeout, a contest, the plans and a referral.
start_two_files() {
	BOT=$T/bot.db
	APP_ENV=("AWARD_BOT_DB=$BOT" AWARD_BUSY_TIMEOUT_MS=200)
	start_stack
	DB=$BOT seed_contest c1
	DB=$BOT seed_plans
	DB=$BOT seed_referral 123456789 111111111
}

# Two files commit one after the other (SQLite's WAL has no atomic commit
# across files): the service file first. A retry group whose bot half then
# fails (the bot file's disk full, the power-loss shim's PL_FULL_FILE) must
# leave its rows pending, not done with the tickets never written: the
# next run awards the order, once.
it retry_two_files_bot_commit_fails
t_retry_two_files_bot_commit_fails() {
	local shim=$BIN/tests/powerloss_shim.so
	[ -f "$shim" ] || fail "$shim not built (make $BIN/tests/powerloss_shim.so)"
	start_two_files
	webhook "$(payment ord-half 555000113 plan_half "$(iso_now)")"
	check_json '$.award' queued
	DB=$BOT sql "INSERT INTO plan_tickets VALUES ('plan_half', 4)"
	touch "$T/full"
	retry "LD_PRELOAD=$shim" "PL_FILES=$BOT" "PL_FULL_FILE=$T/full" \
		"ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		--force --bot-db "$BOT"
	[ "$RETRY_RC" = 1 ] || fail "award-retry with the bot file full: exit" \
		"$RETRY_RC, not 1: $(tail -n 2 "$T/retry.log")"
	DB=$BOT check_sql "select count(*) from ticket_ledger
		where order_id = 'ord-half'" 0
	check_sql "select status, attempts from failed_awards
		where order_id = 'ord-half'" "pending|1"
	rm -f "$T/full"
	retry_ok --force --bot-db "$BOT"
	check_sql "select status, outcome from failed_awards
		where order_id = 'ord-half'" "done|awarded"
	DB=$BOT check_sql "select reason, delta from ticket_ledger
		where order_id = 'ord-half'" "SELF_PURCHASE|4"
}

# A retry run while the bot file is locked by another process: the awards
# fail and wait for the next run, but the run itself completes — exit 0
# and a retry_runs row (SPEC.md §6: "0 when the run completed (whatever
# the awards did)", "every run that took the lock adds a retry_runs row"),
# like the webhook, which still saves the failure (SPEC.md §4).
it bot_db_locked_retry_run
t_bot_db_locked_retry_run() {
	local BOT n
	start_two_files
	lock_db "$BOT"
	webhook "$(payment ord-lr 123456789 plan_1m "$(iso_now)")"
	check_status 200
	check_json '$.award' queued
	# Redelivered while the lock holds: queued again, and the outage is
	# not the row's fault: no attempt counted (else a long lock drives a
	# valid award to dead, where no run takes it).
	for n in 2 3; do
		webhook "$(payment ord-lr 123456789 plan_1m "$(iso_now)")"
		check_json '$.award' queued
	done
	check_sql "select status, attempts, last_error like '%locked%'
		from failed_awards where order_id = 'ord-lr'" "pending|1|1"
	# Nothing due: the run completes (exit 0). Retention, which writes
	# only the service file, does not wait for the bot file's lock.
	retry AWARD_BUSY_TIMEOUT_MS=200 --bot-db "$BOT"
	[ "$RETRY_RC" = 0 ] || fail "a run with nothing due, bot database" \
		"locked: exit $RETRY_RC: $(tail -n 2 "$T/retry.log")"
	check_sql "select count(*), sum(stopped is null) from retry_runs" "1|1"
	sql "DELETE FROM retry_runs"
	# SPEC §6: an outage stops the run, exit 1, no attempt counted, and
	# the run is recorded with its reason.
	retry AWARD_BUSY_TIMEOUT_MS=200 --force --bot-db "$BOT"
	[ "$RETRY_RC" = 1 ] || fail "award-retry --force with the bot" \
		"database locked: exit $RETRY_RC, expected 1 (an outage" \
		"stops the run): $(tail -n 1 "$T/retry.log")"
	check_sql "select count(*), sum(picked), sum(failed) from retry_runs" \
		"1|0|0"
	check_sql "select stopped like '%locked%' from retry_runs" 1
	check_sql "select status, attempts from failed_awards
		where order_id = 'ord-lr'" "pending|1"
	unlock_db
	retry_ok --force --bot-db "$BOT"
	check_sql "select status from failed_awards where order_id = 'ord-lr'" done
	DB=$BOT check_sql "select count(*), sum(delta) from ticket_ledger
		where order_id = 'ord-lr'" "2|2"
}

# A worker that starts while the bot file is locked (here: the only worker
# was killed and is replaced) must still answer the webhook 200 queued
# with the failure saved in the service file (SPEC.md §4).
it bot_db_locked_worker_restart
t_bot_db_locked_worker_restart() {
	local BOT w n c
	WORKERS=1
	start_two_files
	w=$(children_of "$APP_PID")
	[ -n "$w" ] || fail "no worker under $APP_PID"
	lock_db "$BOT"
	kill -KILL "$w"
	wait_gone "$w" 5 || fail "worker $w survived SIGKILL"
	# The supervisor replaces it (at most once a second).
	for n in $(seq 1 100); do
		c=$(children_of "$APP_PID")
		[ -n "$c" ] && [ "$c" != "$w" ] && break
		sleep 0.1
	done
	req POST "$HTTP/v1/payments/webhook" -m 8 \
		-H 'Content-Type: application/json' \
		--data-binary "$(payment ord-wr 123456789 plan_1m "$(iso_now)")"
	n=$(grep -c 'worker cannot open' "$T/fcgi.log")
	[ "$STATUS" = 200 ] && [ "$(jget '$.award')" = queued ] ||
		fail "$REQ with the bot database locked, after a worker" \
			"restart: expected 200 queued, got $STATUS $BODY" \
			"($n replacement workers exited: $(grep -m 1 \
			'worker cannot open' "$T/fcgi.log"))"
	check_sql "select status from failed_awards where order_id = 'ord-wr'" \
		pending
	unlock_db
	retry_ok --force --bot-db "$BOT"
	DB=$BOT check_sql "select count(*) from ticket_ledger
		where order_id = 'ord-wr'" 2
}

# cron/award-retry.cron is an /etc/cron.d file: one job every five minutes,
# as a service user (not root), running award-retry, MAILTO set.
it cron_file
t_cron_file() {
	local f=$ROOT/cron/award-retry.cron jobs m h dom mon dow user cmd
	jobs=$(grep -vE '^[[:space:]]*(#|$)|^[A-Z_]+=' "$f")
	[ "$(printf '%s\n' "$jobs" | wc -l)" = 1 ] ||
		fail "expected one job line, got: $jobs"
	read -r m h dom mon dow user cmd <<<"$jobs"
	[ "$m $h $dom $mon $dow" = "*/5 * * * *" ] ||
		fail "schedule is '$m $h $dom $mon $dow'"
	[[ $user =~ ^[a-z_][a-z0-9_-]*$ ]] && [ "$user" != root ] ||
		fail "user field is '$user'"
	[[ $cmd == *award-retry* ]] || fail "command is '$cmd'"
	grep -q '^MAILTO=' "$f" || fail "no MAILTO line"
}
