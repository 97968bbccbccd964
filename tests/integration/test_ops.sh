# award — integration: operating the service (issue 17 first day and
# growth, issue 18 findings 4, 5, 7). award-retry on a host that is not
# set up creates nothing; award-fcgi --check reports without creating;
# a newer schema is refused (a downgrade); retention through the binary;
# the one configuration parser (--print-config) and award-backup on a
# quoted value; a restore refused while the responder runs; the backup's
# recorded instant against rows committed during the copy; the cron line
# without systemd-cat.

export AWARD_RETRY_BIN=$BIN/award-retry
# No configuration file is read (SPEC.md §10): a machine's never leaks in.
export AWARD_CONFIG=

# ops_bin BINARY [NAME=VALUE...] [-- ARGS...]: boot_bin (test_boot.sh)
# with AWARD_CONFIG empty: no configuration file is read.
ops_bin() {
	local bin=$1
	shift
	boot_bin "$bin" AWARD_CONFIG= "$@"
}

# ops_backup ARGS...: deploy/award-backup with no configuration file.
ops_backup() {
	AWARD_CONFIG= "$ROOT/deploy/award-backup" "$@" \
		>"$T/backup.out" 2>&1
}

# Not set up yet (SPEC.md §6): neither database exists, so the run exits
# 0 with one line and creates nothing; --init creates; a service database
# whose recorded bot database is missing is the start-up error (§10).
it ops_retry_not_set_up
t_ops_retry_not_set_up() {
	local d=$T/state
	mkdir "$d"
	ops_bin award-retry -- --db "$d/award.db"
	[ "$RC" = 0 ] || fail "not set up: exit $RC: $ERR"
	[ "$(grep -c '' <<<"$ERR")" = 1 ] || fail "not one line: $ERR"
	[[ $ERR == *"not set up"* ]] || fail "the line does not say so: $ERR"
	[ -z "$(ls -A "$d")" ] || fail "files were created: $(ls -A "$d")"
	# The line is a warning: a log level of warn still shows it.
	ops_bin award-retry AWARD_LOG_LEVEL=warn -- --db "$d/award.db"
	[ "$RC" = 0 ] && [[ $ERR == *'"level":"warn"'*"not set up"* ]] ||
		fail "at AWARD_LOG_LEVEL=warn: exit $RC, '$ERR'"
	ops_bin award-retry -- --db "$d/award.db" --bot-db "$d/bot.db" --force
	[ "$RC" = 0 ] && [ -z "$(ls -A "$d")" ] ||
		fail "with --bot-db: exit $RC, files: $(ls -A "$d")"
	# The cron line's own form: a configuration naming both.
	printf 'AWARD_DB=%s\nAWARD_BOT_DB=%s\n' "$d/award.db" "$d/bot.db" \
		>"$T/ops.conf"
	ops_bin award-retry -- --config "$T/ops.conf"
	[ "$RC" = 0 ] && [ -z "$(ls -A "$d")" ] ||
		fail "with --config: exit $RC, files: $(ls -A "$d")"

	ops_bin award-retry -- --config "$T/ops.conf" --init
	[ "$RC" = 0 ] || fail "--init: exit $RC: $ERR"
	[ -f "$d/award.db" ] && [ -f "$d/bot.db" ] || fail "--init created nothing"
	[ "$(sqlite3 "$d/award.db" 'select count(*) from retry_runs')" = 1 ] ||
		fail "the --init run did not record itself"
	ops_bin award-retry -- --config "$T/ops.conf"
	[ "$RC" = 0 ] || fail "a set-up run: exit $RC: $ERR"
	[ "$(sqlite3 "$d/award.db" 'select count(*) from retry_runs')" = 2 ] ||
		fail "a run on a set-up service did nothing"

	# The recorded bot database goes missing: refused, nothing created.
	mv "$d/bot.db" "$T/bot.moved"
	rm -f "$d/bot.db-wal" "$d/bot.db-shm"
	ops_bin award-retry -- --config "$T/ops.conf"
	[ "$RC" = 1 ] || fail "missing recorded bot database: exit $RC"
	[[ $ERR == *"$d/bot.db"*"$d/award.db"* ]] ||
		fail "the error does not name both: $ERR"
	[ ! -e "$d/bot.db" ] || fail "the missing bot database was created"

	# The bot's own database exists and the service's not yet: SPEC.md §6
	# spares only a run that finds neither, so this run makes the pair.
	mkdir "$T/pair"
	sqlite3 "$T/pair/bot.db" "CREATE TABLE plan_tickets(plan_id TEXT
		PRIMARY KEY, tickets INTEGER NOT NULL)"
	ops_bin award-retry -- --db "$T/pair/award.db" --bot-db "$T/pair/bot.db"
	[ "$RC" = 0 ] || fail "bot database alone: exit $RC: $ERR"
	[ "$(sqlite3 "$T/pair/award.db" 'select count(*) from retry_runs')" = 1 ] ||
		fail "with the bot database alone the run recorded nothing"
}

# award-fcgi --check: one line per check, exit 0/1, creates nothing.
it ops_fcgi_check
t_ops_fcgi_check() {
	local d=$T/state n w
	mkdir "$d"
	ops_bin award-fcgi -- --check --db "$d/award.db"
	[ "$RC" = 0 ] || fail "--check before the first start: exit $RC: $OUT $ERR"
	[ -z "$(ls -A "$d")" ] || fail "--check created: $(ls -A "$d")"
	grep -q '^warn service database: .*not created yet' <<<"$OUT" ||
		fail "no line on the missing database: $OUT"
	for w in configuration 'service database' pairing 'admin token' \
		'service token'; do
		grep -q "^[a-zA-Z]* *$w: " <<<"$OUT" || fail "no '$w' line: $OUT"
	done

	# Set up by the responder's first start, then checked.
	APP_ENV=("AWARD_BOT_DB=$d/bot.db")
	DB=$d/award.db
	start_app
	# Stopped once it logged its start (its signals are set up by then).
	n=$((WAIT_S * 20))
	until grep -q '"msg":"award-fcgi started"' "$T/fcgi.log"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "award-fcgi did not log its start"
		sleep 0.05
	done
	stop_pid "$APP_PID" TERM
	[ "$STOP_RC" = 0 ] || fail "award-fcgi exited $STOP_RC on SIGTERM"
	APP_PID=
	sqlite3 "$d/bot.db" "INSERT INTO plan_tickets VALUES ('plan_1m', 1);
		INSERT INTO contests(id, starts_at, ends_at, is_active)
		VALUES ('c1', '$(iso_days -1)', '$(iso_days 1)', 1)"
	printf '%s\n' "$ADMIN_TOKEN" >"$T/adm.token"
	ops_bin award-fcgi "AWARD_ADMIN_TOKEN_FILE=$T/adm.token" -- --check \
		--db "$d/award.db" --bot-db "$d/bot.db"
	[ "$RC" = 0 ] || fail "--check on a set-up pair: exit $RC: $OUT"
	grep -q "^ok   service database: $d/award.db: schema version [0-9]" <<<"$OUT" ||
		fail "service database line: $OUT"
	grep -q '^ok   pairing: ' <<<"$OUT" || fail "pairing line: $OUT"
	grep -q '^ok   bot database: .*1 active' <<<"$OUT" || fail "bot line: $OUT"
	grep -q '^ok   admin token: set$' <<<"$OUT" || fail "token line: $OUT"
	[[ $OUT != *"$ADMIN_TOKEN"* ]] || fail "--check printed the token"
	[ ! -e "$d/award.db-wal" ] || fail "--check left a -wal behind"

	# Another bot database: FAIL on the pairing, exit 1, nothing made.
	sqlite3 "$T/other.db" 'CREATE TABLE contests(id)'
	ops_bin award-fcgi -- --check --db "$d/award.db" --bot-db "$T/other.db"
	[ "$RC" = 1 ] || fail "a wrong bot database: exit $RC: $OUT"
	grep -q '^FAIL pairing: ' <<<"$OUT" || fail "no FAIL pairing: $OUT"
	ops_bin award-fcgi -- --check --db "$d/award.db" --bot-db "$T/none.db"
	[ "$RC" = 1 ] && [ ! -e "$T/none.db" ] ||
		fail "a missing bot database: exit $RC, created: $(ls "$T/none.db" 2>&1)"
	# An unreadable token file: FAIL on the configuration.
	ops_bin award-fcgi "AWARD_ADMIN_TOKEN_FILE=$T/no.token" -- --check \
		--db "$d/award.db" --bot-db "$d/bot.db"
	[ "$RC" = 1 ] || fail "a missing token file: exit $RC"
	grep -q '^FAIL configuration: .*AWARD_ADMIN_TOKEN_FILE' <<<"$OUT" ||
		fail "no FAIL configuration line: $OUT"
}

# A downgrade: a database whose schema version is newer than the binary's
# is refused by both binaries (one error line, exit 1) and by --check,
# and nothing in it changes.
it ops_newer_schema_refused
t_ops_newer_schema_refused() {
	local sum
	ops_bin award-retry -- --db "$DB" --init
	[ "$RC" = 0 ] || fail "set-up: exit $RC: $ERR"
	sql "UPDATE award_meta SET value = '999' WHERE key = 'schema_version'"
	sum=$(sql "select group_concat(key || value) from award_meta")
	ops_bin award-retry -- --db "$DB"
	[ "$RC" = 1 ] || fail "award-retry on a newer schema: exit $RC"
	[[ $ERR == *"schema version 999 is newer"* ]] || fail "award-retry: $ERR"
	ops_bin award-fcgi -- --db "$DB" --listen "unix:$T/x.sock"
	[ "$RC" = 1 ] || fail "award-fcgi on a newer schema: exit $RC"
	[[ $ERR == *"schema version 999 is newer"* ]] || fail "award-fcgi: $ERR"
	[ "$(grep -c '' <<<"$ERR")" = 1 ] || fail "not one line: $ERR"
	ops_bin award-fcgi -- --check --db "$DB"
	[ "$RC" = 1 ] && grep -q '^FAIL service database: .*newer' <<<"$OUT" ||
		fail "--check on a newer schema: exit $RC: $OUT"
	check_sql "select group_concat(key || value) from award_meta" "$sum"
	check_sql "select count(*) from retry_runs" 1
}

# Retention through the binary (SPEC.md §6): with the clock a year on,
# a run deletes the old retry_runs and done rows, keeps dead rows.
it ops_retention_run
t_ops_retention_run() {
	local t0='2026-01-10T00:00:00.000Z'
	ops_bin award-retry -- --db "$DB" --init --now "$t0"
	sql "INSERT INTO plan_tickets VALUES ('plan_1m', 1)"
	seed_contest c1 2026-01-01T00:00:00Z 2026-12-31T00:00:00Z
	start_stack
	webhook "$(payment ord-q1 700 plan_new 2026-01-10T00:00:00Z)"
	check_json '$.award' queued
	webhook "$(payment ord-q2 701 plan_gone 2026-01-10T00:00:00Z)"
	check_json '$.award' queued
	sql "INSERT INTO plan_tickets VALUES ('plan_new', 2);
		UPDATE failed_awards SET status = 'dead' WHERE order_id = 'ord-q2'"
	ops_bin award-retry -- --db "$DB" --force --now 2026-01-11T00:00:00Z
	[ "$RC" = 0 ] || fail "the retry run: $ERR"
	check_sql "select status from failed_awards where order_id = 'ord-q1'" done
	check_sql "select count(*) from retry_runs" 2
	# 100 days on: the runs of January go, the done row stays (180 d).
	ops_bin award-retry -- --db "$DB" --now 2026-04-21T00:00:00Z
	[ "$RC" = 0 ] || fail "run at +100 d: $ERR"
	check_sql "select count(*) from retry_runs" 1
	check_sql "select count(*) from failed_awards" 2
	# The counter of runs is all time: retention does not take it back.
	admin_get /v1/admin/metrics
	grep -qx 'award_retry_runs_total 3' <<<"$BODY" ||
		fail "$REQ: $(grep '^award_retry_runs_total' <<<"$BODY")"

	# 190 days on, with AWARD_RETAIN_DONE_DAYS from the environment.
	ops_bin award-retry AWARD_RETAIN_DONE_DAYS=200 -- --db "$DB" \
		--now 2026-07-20T00:00:00Z
	check_sql "select count(*) from failed_awards" 2
	ops_bin award-retry -- --db "$DB" --now 2026-07-20T00:00:00Z
	[ "$RC" = 0 ] || fail "run at +190 d: $ERR"
	check_sql "select group_concat(order_id || ' ' || status) from failed_awards" \
		"ord-q2 dead"
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-q1'" 1
	check_sql "select count(*) from payments" 2
	ops_bin award-retry AWARD_RETAIN_RUNS_DAYS=0 -- --db "$DB"
	[ "$RC" = 1 ] && [[ $ERR == *AWARD_RETAIN_RUNS_DAYS* ]] ||
		fail "AWARD_RETAIN_RUNS_DAYS=0 accepted: $RC $ERR"
}

# One parser (issue 18 finding 7): --print-config shows what the binaries
# use, never a token; award-backup reads it, so a quoted AWARD_DB works.
it ops_print_config_backup_quoted
t_ops_print_config_backup_quoted() {
	local conf=$T/q.conf bk
	ops_bin award-retry -- --db "$DB" --init
	printf '%s\n' "$ADMIN_TOKEN" >"$T/adm.token"
	cat >"$conf" <<CONF
AWARD_DB="$DB"
AWARD_BOT_DB = '$T/bot.db'
AWARD_ADMIN_TOKEN_FILE=$T/adm.token
AWARD_SERVICE_TOKEN=$SERVICE_TOKEN
AWARD_RETAIN_DONE_DAYS=30
CONF
	chmod 640 "$conf"
	sqlite3 "$T/bot.db" 'CREATE TABLE t(x); INSERT INTO t VALUES (7)'
	ops_bin award-retry -- --config "$conf" --print-config
	[ "$RC" = 0 ] || fail "--print-config: exit $RC: $ERR"
	grep -qx "AWARD_DB=$DB" <<<"$OUT" || fail "AWARD_DB: $OUT"
	grep -qx "AWARD_BOT_DB=$T/bot.db" <<<"$OUT" || fail "AWARD_BOT_DB: $OUT"
	grep -qx "AWARD_RETAIN_DONE_DAYS=30" <<<"$OUT" || fail "retention: $OUT"
	grep -qx "AWARD_RETAIN_RUNS_DAYS=90" <<<"$OUT" || fail "default: $OUT"
	[[ $OUT != *"$ADMIN_TOKEN"* && $OUT != *"$SERVICE_TOKEN"* ]] ||
		fail "--print-config printed a token"
	# --print-config reads the tokens' files as the responder does: one
	# that does not exist is the responder's start-up error, shown here
	# too (a run of award-retry, which uses no token, would not mind).
	sed "s|^AWARD_ADMIN_TOKEN_FILE=.*|AWARD_ADMIN_TOKEN_FILE=$T/gone.token|" \
		"$conf" >"$T/gone.conf"
	chmod 640 "$T/gone.conf"
	ops_bin award-retry -- --config "$T/gone.conf" --print-config
	[ "$RC" = 1 ] && [[ $ERR == *AWARD_ADMIN_TOKEN_FILE* ]] ||
		fail "--print-config with a missing token file: exit $RC: $ERR"
	# Environment over the file, as for a run.
	ops_bin award-retry "AWARD_DB=$T/env.db" -- --config "$conf" --print-config
	grep -qx "AWARD_DB=$T/env.db" <<<"$OUT" || fail "environment: $OUT"

	AWARD_CONFIG= "$ROOT/deploy/award-backup" --config "$conf" \
		--dir "$T/backups" >"$T/backup.out" 2>&1 ||
		fail "award-backup on a quoted AWARD_DB: $(tail -n 2 "$T/backup.out")"
	bk=$(sed -n 's/^award-backup: \(.*[0-9]Z\)$/\1/p' "$T/backup.out")
	[ -f "$bk/award.db" ] && [ "$(sqlite3 "$bk/bot.db" 'select x from t')" = 7 ] ||
		fail "not both copied: $(ls "$bk")"
	grep -qx "award.db	$DB" "$bk/SOURCES" || fail "SOURCES: $(cat "$bk/SOURCES")"
	# A bad configuration stops the backup with the binaries' error.
	echo 'AWARD_NOPE=1' >>"$conf"
	AWARD_CONFIG= "$ROOT/deploy/award-backup" --config "$conf" \
		--dir "$T/backups" >"$T/backup.out" 2>&1 &&
		fail "award-backup ran on an unknown key"
	grep -q "$conf:6: unknown key" "$T/backup.out" ||
		fail "the error is not the parser's: $(cat "$T/backup.out")"
	# A named file that does not exist is an error too, never the
	# defaults (a backup of var/award.db beside wherever it ran).
	AWARD_CONFIG= "$ROOT/deploy/award-backup" --config "$T/no-such.conf" \
		--dir "$T/backups2" >"$T/backup.out" 2>&1 &&
		fail "award-backup ran without its named configuration"
	grep -q "no-such.conf" "$T/backup.out" ||
		fail "the error does not name the file: $(cat "$T/backup.out")"
	AWARD_CONFIG="$T/no-such.conf" "$ROOT/deploy/award-backup" \
		--dir "$T/backups2" >"$T/backup.out" 2>&1 &&
		fail "award-backup ran without AWARD_CONFIG's file"
	grep -q "no-such.conf" "$T/backup.out" ||
		fail "AWARD_CONFIG's missing file is not named: $(cat "$T/backup.out")"
	AWARD_CONFIG= "$ROOT/deploy/award-backup" --config= \
		--dir "$T/backups2" >"$T/backup.out" 2>&1 &&
		fail "award-backup ran with an empty --config="
	grep -q -- "--config needs a path" "$T/backup.out" ||
		fail "an empty --config= is not refused: $(cat "$T/backup.out")"
	[ ! -e "$T/backups2" ] || fail "a backup was made: $(ls -R "$T/backups2")"
}

# Issue 18 finding 4: a restore while award-fcgi runs is refused, non-zero,
# and the database is unchanged; stopped, the same restore works.
it ops_restore_refused_live
t_ops_restore_refused_live() {
	local bk n
	start_stack
	seed_contest c1
	seed_plans
	webhook "$(payment ord-r1 900 plan_1m "$(iso_now)")"
	check_json '$.award' awarded
	ops_backup --db "$DB" --dir "$T/backups" ||
		fail "backup: $(tail -n 2 "$T/backup.out")"
	bk=$(sed -n 's/^award-backup: \(.*[0-9]Z\)$/\1/p' "$T/backup.out")
	webhook "$(payment ord-r2 901 plan_1m "$(iso_now)")"
	check_json '$.award' awarded
	n=$(sql 'select count(*) from ticket_ledger where reason = '"'SELF_PURCHASE'")
	[ "$n" = 2 ] || fail "ledger rows before the restore: $n"
	ops_backup --db "$DB" --restore "$bk" &&
		fail "a restore under a live award-fcgi went ahead"
	grep -q 'refusing to restore: .*award-fcgi' "$T/backup.out" ||
		fail "not a clear refusal: $(cat "$T/backup.out")"
	check_sql "select group_concat(order_id) from (select order_id from
		ticket_ledger order by rowid)" "ord-r1,ord-r2"
	webhook "$(payment ord-r3 902 plan_1m "$(iso_now)")"
	check_json '$.award' awarded

	stop_pid "$APP_PID" TERM
	[ "$STOP_RC" = 0 ] || fail "award-fcgi exited $STOP_RC on SIGTERM"
	APP_PID=
	ops_backup --db "$DB" --restore "$bk" ||
		fail "the restore of a stopped service: $(tail -n 2 "$T/backup.out")"
	check_sql "select group_concat(order_id) from ticket_ledger" ord-r1
}

# A restore run by root checks for open files as root, before it runs as
# the service user (here nobody, AWARD_BACKUP_USER): only root sees the
# descriptors of another user's process, such as the bot's holding the
# bot database. As the service user the check saw nothing and the bot's
# file was restored under it, its own data since the backup gone.
it ops_restore_sees_other_users
t_ops_restore_sees_other_users() {
	local bot=$T/bot.db bk holder n=$((WAIT_S * 20))
	[ "$(id -u)" = 0 ] || fail "this test needs root (as make test runs)"
	id nobody >/dev/null 2>&1 || fail "no user nobody"
	ops_bin award-retry -- --db "$DB" --bot-db "$bot" --init
	AWARD_BACKUP_AS_ROOT=1 ops_backup --db "$DB" --bot-db "$bot" \
		--dir "$T/backups" || fail "backup: $(tail -n 2 "$T/backup.out")"
	bk=$(sed -n 's/^award-backup: \(.*[0-9]Z\)$/\1/p' "$T/backup.out")
	# The bot: root's process with the bot database open.
	python3 -c "import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.execute('SELECT 1 FROM plan_tickets').fetchall()
open(sys.argv[2], 'w').close()
time.sleep(60)" "$bot" "$T/holder.up" &
	holder=$!
	PIDS+=("$holder")
	echo "$holder" >>"$T/pids"
	until [ -f "$T/holder.up" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "the holder did not open $bot"
		sleep 0.05
	done
	AWARD_BACKUP_USER=nobody ops_backup --db "$DB" --bot-db "$bot" \
		--restore "$bk" && fail "a restore under the bot went ahead"
	grep -q "refusing to restore: $holder (python3)" "$T/backup.out" ||
		fail "not a refusal naming the bot: $(cat "$T/backup.out")"
	stop_pid "$holder" TERM
}

# Root with no configuration named and no default file: the run as the
# service user reads no file either (it was handed the default's path,
# which it then took for a named file that must exist).
it ops_backup_root_without_config_file
t_ops_backup_root_without_config_file() {
	local d=$T/nb
	[ "$(id -u)" = 0 ] || fail "this test needs root (as make test runs)"
	id nobody >/dev/null 2>&1 || fail "no user nobody"
	# With a configuration installed on this machine there is nothing
	# to check: the default file is then read, as it should be.
	[ -e /etc/award/award.conf ] && return 0
	mkdir "$d"
	chmod o+x "$T" "$(dirname "$T")"
	chmod 777 "$d"
	ops_bin award-retry -- --db "$d/a.db" --init
	chmod 666 "$d"/a.db*
	env -u AWARD_CONFIG AWARD_BACKUP_USER=nobody \
		"$ROOT/deploy/award-backup" --db "$d/a.db" --dir "$d/bk" \
		>"$T/backup.out" 2>&1 ||
		fail "backup as root: $(tail -n 2 "$T/backup.out")"
	[ -f "$(sed -n 's/^award-backup: \(.*[0-9]Z\)$/\1/p' \
		"$T/backup.out")/award.db" ] ||
		fail "no copy: $(cat "$T/backup.out")"
}

# Issue 18 finding 5: the backup records the instant before its snapshot;
# every ledger row committed during or after the copy (in the source, not
# in the copy) has a rowid above the recorded one and a created_at at or
# after replay_from; the metrics show the instant.
it ops_backup_snapshot_instant
t_ops_backup_snapshot_instant() {
	local bk loader n copy taken replay maxid missing
	start_stack
	seed_contest c1
	seed_plans
	deploy_load ord-s 800 20
	loader=$LOADER
	ops_backup --db "$DB" --dir "$T/backups" ||
		fail "backup: $(tail -n 2 "$T/backup.out")"
	n=$(sql 'select count(*) from ticket_ledger')
	until [ "$(sql 'select count(*) from ticket_ledger')" -gt "$n" ]; do
		sleep 0.05
	done
	stop_pid "$loader"
	forget_pid "$loader"
	bk=$(sed -n 's/^award-backup: \(.*[0-9]Z\)$/\1/p' "$T/backup.out")
	copy="sqlite3 -readonly $bk/award.db"
	taken=$(sed -n 's/^taken_ms	//p' "$bk/SOURCES")
	replay=$(sed -n 's/^replay_from	//p' "$bk/SOURCES")
	maxid=$(sed -n 's/^ledger_max_rowid	//p' "$bk/SOURCES")
	[ -n "$taken" ] && [ -n "$replay" ] && [ -n "$maxid" ] ||
		fail "SOURCES lacks the instant: $(cat "$bk/SOURCES")"
	[ "$maxid" = "$($copy 'select max(rowid) from ticket_ledger')" ] ||
		fail "ledger_max_rowid $maxid is not the copy's"
	grep -qxF "ledger_max_created_at	$($copy 'select max(created_at) from ticket_ledger')" \
		"$bk/SOURCES" || fail "ledger_max_created_at is not the copy's"
	# The rows the copy lacks: committed after the recorded instant.
	missing=$(sql "ATTACH '$bk/award.db' AS c;
		SELECT count(*) FROM main.ticket_ledger m WHERE NOT EXISTS
		(SELECT 1 FROM c.ticket_ledger l WHERE l.id = m.id)")
	[ "$missing" -gt 0 ] || fail "nothing was committed after the copy"
	check_sql "ATTACH '$bk/award.db' AS c;
		SELECT count(*) FROM main.ticket_ledger m WHERE NOT EXISTS
		(SELECT 1 FROM c.ticket_ledger l WHERE l.id = m.id)
		AND (m.rowid <= $maxid OR m.created_at < '$replay')" 0
	grep -q "^taken	$(date -u -d "@$((taken / 1000))" +%Y-%m-%dT%H:%M:%S)\." \
		"$bk/SOURCES" || fail "taken and taken_ms disagree: $(cat "$bk/SOURCES")"
	admin_get /v1/admin/metrics
	check_status 200
	grep -q "^award_backup_last_timestamp_seconds $((taken / 1000))\(\.[0-9]*\)\?$" \
		<<<"$BODY" || fail "metric: $(grep award_backup <<<"$BODY")"
}

# The cron lines run their command with plain stderr when systemd-cat is
# not on PATH (or journald does not answer), keeping the exit status.
it ops_cron_without_systemd_cat
t_ops_cron_without_systemd_cat() {
	local line cmd c
	ops_bin award-retry -- --db "$DB" --init
	mkdir "$T/bin"
	for c in sh sqlite3 date dirname realpath sha256sum mkdir mv rm chmod \
		sed cat basename tr find head cut id printf sort grep readlink \
		runuser; do
		! command -v "$c" >/dev/null ||
			ln -s "$(command -v "$c")" "$T/bin/$c"
	done
	[ ! -e "$T/bin/systemd-cat" ] || fail "systemd-cat on the test PATH"
	line=$(grep -vE '^[[:space:]]*(#|$)|^[A-Z_]+=' "$ROOT/cron/award-retry.cron")
	read -r _ _ _ _ _ _ cmd <<<"$line"
	cmd=${cmd//\/usr\/local\/sbin\//$BIN\/}
	cmd=${cmd//\/etc\/award\/award.conf/$T\/c.conf}
	printf 'AWARD_DB=%s\n' "$DB" >"$T/c.conf"
	env -i "PATH=$T/bin" "$T/bin/sh" -c "$cmd" >"$T/cron.out" 2>&1 ||
		fail "the cron line failed: $(cat "$T/cron.out")"
	check_sql "select count(*) from retry_runs" 2
	grep -q '"msg":"retry run"' "$T/cron.out" ||
		fail "the run's log did not reach stderr: $(cat "$T/cron.out")"
	echo 'AWARD_LOG_LEVEL=loud' >>"$T/c.conf"
	env -i "PATH=$T/bin" "$T/bin/sh" -c "$cmd" >"$T/cron.out" 2>&1 &&
		fail "a failing run exited 0 through the cron line"
	grep -q 'AWARD_LOG_LEVEL' "$T/cron.out" ||
		fail "no error line: $(cat "$T/cron.out")"

	# The reconcile line: with no shop id its run exits 1 naming it (§11),
	# which shows that the line ran award-reconcile itself.
	line=$(grep -vE '^[[:space:]]*(#|$)|^[A-Z_]+=' "$ROOT/cron/award-reconcile.cron")
	read -r _ _ _ _ _ _ cmd <<<"$line"
	cmd=${cmd//\/usr\/local\/sbin\//$BIN\/}
	cmd=${cmd//\/etc\/award\/award.conf/$T\/c.conf}
	printf 'AWARD_DB=%s\n' "$DB" >"$T/c.conf"
	env -i "PATH=$T/bin" "$T/bin/sh" -c "$cmd" >"$T/cron.out" 2>&1 &&
		fail "award-reconcile without a shop id exited 0 through the cron line"
	grep -q 'AWARD_YOOKASSA_SHOP_ID' "$T/cron.out" ||
		fail "the reconcile line did not run award-reconcile: $(cat "$T/cron.out")"

	# The backup line, the same way.
	line=$(grep -vE '^[[:space:]]*(#|$)|^[A-Z_]+=' "$ROOT/deploy/award-backup.cron")
	read -r _ _ _ _ _ _ cmd <<<"$line"
	cmd=${cmd//\/usr\/local\/sbin\/award-backup/$ROOT\/deploy\/award-backup}
	cmd=${cmd//\/etc\/award\/award.conf/$T\/b.conf}
	cmd=${cmd//\/var\/backups\/award/$T\/backups}
	printf 'AWARD_DB=%s\n' "$DB" >"$T/b.conf"
	env -i "PATH=$T/bin" "AWARD_RETRY_BIN=$BIN/award-retry" \
		"$T/bin/sh" -c "$cmd" >"$T/cron.out" 2>&1 ||
		fail "the backup cron line failed: $(cat "$T/cron.out")"
	ls "$T"/backups/*Z/award.db >/dev/null 2>&1 ||
		fail "no backup made: $(cat "$T/cron.out")"
}

# docs/prometheus.yml passes promtool as shipped (no token file needed) and
# names README's host; the backup alerts pass their promtool unit tests.
it ops_promtool_backup_rules
t_ops_promtool_backup_rules() {
	local out
	command -v promtool >/dev/null || fail "promtool missing (make deps)"
	[ ! -e /etc/prometheus/award-admin.token ] ||
		echo "note: /etc/prometheus/award-admin.token exists here"
	out=$(cd "$ROOT/docs" && promtool check config prometheus.yml 2>&1) ||
		fail "promtool check config docs/prometheus.yml: $out"
	grep -q "targets: \['pay.example.com:443'\]" "$ROOT/docs/prometheus.yml" ||
		fail "docs/prometheus.yml does not scrape pay.example.com"
	grep -q 'pay\.example\.com' "$ROOT/docs/deploy.md" ||
		fail "docs/deploy.md no longer names pay.example.com"
	out=$(cd "$ROOT/tests/alerts" && promtool test rules \
	    AwardBackupStale.test.yml AwardBackupNeverRecorded.test.yml 2>&1) ||
		fail "promtool test rules of the backup alerts: $out"
}

# docs/deploy-firstday.md's smoke test, as written there: a payment of
# 2000-01-01 through nginx is recorded not_eligible, nothing in the ledger.
it ops_firstday_smoke_payload
t_ops_firstday_smoke_payload() {
	local id=smoke-$RANDOM body
	start_stack
	seed_contest c1
	seed_plans
	body=$(sed -n '/^{"type":"notification"/,/^EOF$/p' \
		"$ROOT/docs/deploy-firstday.md" | sed '$d' | sed "s/\$id/$id/g")
	[ -n "$body" ] || fail "no smoke payload in docs/deploy-firstday.md"
	webhook "$body"
	check_status 200
	check_json '$.award' not_eligible
	check_json '$.reason' no_contest
	check_sql "select outcome from payments where payment_id = '$id'" not_eligible
	check_sql "select count(*) from ticket_ledger" 0
	check_sql "select count(*) from failed_awards" 0
}

# docs/bot-contract.md's worked example, as written there: the contest
# and plans, the referral, then the example payment awards 3 + 3 tickets.
it ops_bot_contract_example
t_ops_bot_contract_example() {
	local doc=$ROOT/docs/bot-contract.md sqlblock ref
	start_stack
	sqlblock=$(sed -n "/^sqlite3 \/var\/lib\/vpnbot\/bot.db <<'SQL'$/,/^SQL$/p" \
		"$doc" | sed '1d;$d')
	ref=$(sed -n '/^INSERT INTO user_referrals/,/;$/p' "$doc")
	[ -n "$sqlblock" ] && [ -n "$ref" ] || fail "examples not found in $doc"
	sqlite3 -bail "$DB" <<<"$sqlblock" || fail "the contest example fails"
	sqlite3 "$DB" "$ref" || fail "the referral example fails"
	post_json "$HTTP/v1/awards" "$(award_body ord_2026_12_10_000123 123456789 \
		plan_3m 2026-12-10T10:51:17.000Z)" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_status 200
	check_json '$.award' awarded
	check_json '$.tickets' 3
	check_json '$.referrer_tickets' 3
	check_sql "SELECT coalesce(sum(delta), 0) FROM ticket_ledger
		WHERE contest_id = 'winter-2026' AND referrer_id = 111111111" 3
	check_sql "select status from ref_events where referred_id = 123456789" qualified
}
