# award — integration: starting and deploying the real binaries (SPEC.md
# §7, §10): --version / --help, the configuration file read by
# both binaries, the service database refusing a wrong bot database, the
# retry lock a root run cannot poison, file modes, the responder refusing
# a live socket, systemd socket activation, readiness and watchdog
# notifications, and SIGHUP reloading tokens without dropping a request.

# ------------------------------------------------------------ helpers

# boot_bin BINARY [NAME=VALUE...] [-- ARGS...]: run BINARY with base_env and
# these variables; OUT, ERR and RC are its stdout, stderr and exit status.
boot_bin() {
	local bin=$1 envs=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	base_env
	timeout -k 2 20 "${BASE_ENV[@]}" "${envs[@]}" "$BIN/$bin" "$@" \
		</dev/null >"$T/boot.out" 2>"$T/boot.err"
	RC=$?
	OUT=$(<"$T/boot.out")
	ERR=$(<"$T/boot.err")
	cat "$T/boot.err" >>"$T/retry.log"
}

# one_error_line WHAT: ERR is exactly one JSON line and RC is 1.
one_error_line() {
	[ "$RC" = 1 ] || fail "$1: exit $RC, expected 1: $(head -c 300 <<<"$ERR")"
	[ "$(grep -c '' <<<"$ERR")" = 1 ] ||
		fail "$1: expected one line on stderr: $(head -c 400 <<<"$ERR")"
	jvalid "$ERR" || fail "$1: the error line is not JSON: $ERR"
}

# file_sum FILE: a checksum of FILE's bytes ("none" when it is missing).
file_sum() {
	if [ -e "$1" ]; then
		cksum <"$1"
	else
		echo none
	fi
}

# wait_socket PID: until $SOCK exists (PID must stay alive).
wait_socket() {
	local n=$((WAIT_S * 20))
	until [ -S "$SOCK" ]; do
		alive "$1" || fail "award-fcgi exited at start:" \
			"$(tail -n 3 "$T/fcgi.log")"
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "award-fcgi made no socket in ${WAIT_S}s"
		sleep 0.05
	done
}

# can_connect PATH: something accepts connections on the unix socket PATH.
can_connect() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(2)
s.connect(sys.argv[1])' "$1" 2>/dev/null
}

# mode_of FILE: its permission bits in octal.
mode_of() {
	stat -c %a "$1"
}

# ------------------------------------------------------------ --version, --help

# Both binaries answer --version (one line) and --help (the usage) on
# stdout with exit 0, before any configuration or database is touched: a
# configuration that would fail, and a database path, stay untouched.
it boot_version_help
t_boot_version_help() {
	local b flag
	for b in award-fcgi award-retry; do
		for flag in --version --help; do
			boot_bin "$b" "AWARD_DB=$T/never.db" AWARD_WORKERS=0 \
				-- --config "$T/no-such.conf" --db "$T/never2.db" $flag
			[ "$RC" = 0 ] || fail "$b $flag: exit $RC: $ERR"
			[ -z "$ERR" ] || fail "$b $flag wrote to stderr: $ERR"
			[ ! -e "$T/never.db" ] && [ ! -e "$T/never2.db" ] ||
				fail "$b $flag created a database"
			if [ "$flag" = --version ]; then
				[[ $OUT =~ ^$b\ [0-9]+\.[0-9]+\.[0-9]+$ ]] ||
					fail "$b --version: '$OUT', expected '$b X.Y.Z'"
			else
				[[ $OUT == "usage: $b "* ]] ||
					fail "$b --help: no usage line: $(head -n 1 <<<"$OUT")"
				[[ $OUT == *--config* ]] ||
					fail "$b --help does not mention --config"
			fi
		done
	done
	# A flag's value is not a flag: --db --help names a database.
	boot_bin award-retry -- --db --help --config "$T/no-such.conf"
	one_error_line "award-retry --db --help --config missing"
	[[ $ERR == *no-such.conf* ]] || fail "the error does not name the file: $ERR"
}

# ------------------------------------------------------------ the configuration file

# One file for both binaries (SPEC.md §10): the responder and the retry
# run started with nothing but --config agree on both databases; the
# environment overrides the file, a flag the environment; an unknown key
# or a bad value is one line naming FILE:LINE, exit 1, for both.
it boot_config_file_both_binaries
t_boot_config_file_both_binaries() {
	local conf=$T/award.conf bot=$T/bot.db b
	rand_token svc >"$T/svc.token"
	SERVICE_TOKEN=$(<"$T/svc.token")
	cat >"$conf" <<EOF
# award.conf for the test
AWARD_DB=$DB
AWARD_BOT_DB=$bot

AWARD_LISTEN=unix:$SOCK
AWARD_WORKERS=2
AWARD_WEBHOOK_ALLOW=127.0.0.1/32, ::1/128
AWARD_SERVICE_TOKEN_FILE=$T/svc.token
AWARD_LOG_LEVEL=debug
EOF
	chmod 640 "$conf"
	base_env
	"${BASE_ENV[@]}" "$BIN/award-fcgi" --config "$conf" </dev/null \
		2>>"$T/fcgi.log" &
	APP_PID=$!
	echo "$APP_PID" >>"$T/pids"
	wait_socket "$APP_PID"
	start_nginx
	sqlite3 "$bot" "INSERT INTO contests(id, starts_at, ends_at,
		attribution_window_days, is_active) VALUES ('c1', '$(iso_days -7)',
		'$(iso_days 30)', 30, 1);"
	webhook "$(payment ord-cf 123456789 plan_cf "$(iso_now)")"
	check_json '$.award' queued
	# The bot's token came from the token file the configuration names.
	req GET "$HTTP/v1/users/123456789/tickets?contest_id=c1" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_status 200
	sqlite3 "$bot" "INSERT INTO plan_tickets VALUES ('plan_cf', 4)"

	# The retry run with only --config: the same two databases.
	boot_bin award-retry -- --config "$conf" --force
	[ "$RC" = 0 ] || fail "award-retry --config: exit $RC: $ERR"
	check_sql "select status from failed_awards where order_id = 'ord-cf'" done
	[ "$(sqlite3 "$bot" "select sum(delta) from ticket_ledger
		where order_id = 'ord-cf'")" = 4 ] ||
		fail "the retry run did not award into the configured bot database"
	[ "$(sql "select count(*) from sqlite_master where name = 'contests'")" = 0 ] ||
		fail "bot tables appeared in the service database"

	# Environment over the file, flag over the environment.
	# (--init: a run creates no database of its own accord, SPEC.md §6.)
	boot_bin award-retry "AWARD_DB=$T/env.db" -- --config "$conf" --init
	[ "$RC" = 0 ] || fail "AWARD_DB from the environment: exit $RC: $ERR"
	[ "$(sqlite3 "$T/env.db" "select count(*) from retry_runs")" = 1 ] ||
		fail "AWARD_DB from the environment did not win over the file"
	boot_bin award-retry "AWARD_DB=$T/env.db" -- --config "$conf" --db "$DB"
	[ "$RC" = 0 ] || fail "--db over AWARD_DB: exit $RC: $ERR"
	check_sql "select count(*) from retry_runs" 2

	# Errors name FILE:LINE and the key, for both binaries.
	for b in award-fcgi award-retry; do
		printf 'AWARD_DB=%s\n# fine\nAWARD_WORKRES=2\n' "$DB" >"$T/bad.conf"
		boot_bin "$b" -- --config "$T/bad.conf" --listen "unix:$T/b.sock"
		one_error_line "$b with an unknown key"
		[[ $ERR == *"$T/bad.conf:3:"*AWARD_WORKRES* ]] ||
			fail "$b: the error does not name $T/bad.conf:3 and the key: $ERR"
		printf 'AWARD_DB=%s\nAWARD_BUSY_TIMEOUT_MS=5s\n' "$DB" >"$T/bad.conf"
		boot_bin "$b" -- --config "$T/bad.conf" --listen "unix:$T/b.sock"
		one_error_line "$b with a bad value"
		[[ $ERR == *"$T/bad.conf:2: AWARD_BUSY_TIMEOUT_MS"* ]] ||
			fail "$b: the error does not name $T/bad.conf:2: AWARD_BUSY_TIMEOUT_MS: $ERR"
		printf 'AWARD_SERVICE_TOKEN=only-31-characters-long-token-x\n' \
			>"$T/bad.conf"
		boot_bin "$b" -- --config "$T/bad.conf" --listen "unix:$T/b.sock" \
			--db "$DB"
		one_error_line "$b with a short token"
		[[ $ERR == *"$T/bad.conf:1: AWARD_SERVICE_TOKEN"* ]] ||
			fail "$b: a short token not refused by name: $ERR"
		[[ $ERR != *only-31-characters* ]] || fail "$b printed the token"
		# A token pasted on a line of its own (base64 ends in '='),
		# and a secret key put in the shop id: refused, not printed.
		printf 'AWARD_DB=%s\nq2Zk8Yv3TpXw0LmN5rBs7HcJ1dFgA4eUiOoPyRtE9zQ=\n' \
			"$DB" >"$T/bad.conf"
		boot_bin "$b" -- --config "$T/bad.conf" --listen "unix:$T/b.sock"
		one_error_line "$b with a pasted token"
		[[ $ERR == *"$T/bad.conf:2: unknown key"* ]] ||
			fail "$b: the line is not named: $ERR"
		[[ $ERR != *q2Zk8Yv3* ]] || fail "$b printed the pasted token: $ERR"
		printf 'AWARD_YOOKASSA_SHOP_ID=live_k3Y9sEcReT0123456789abcdef\n' \
			>"$T/bad.conf"
		boot_bin "$b" -- --config "$T/bad.conf" --listen "unix:$T/b.sock"
		one_error_line "$b with a key for a shop id"
		[[ $ERR == *AWARD_YOOKASSA_SHOP_ID* && $ERR != *k3Y9sEcReT* ]] ||
			fail "$b: the shop id's error: $ERR"
		boot_bin "$b" -- --config "$T/no-such.conf" --listen "unix:$T/b.sock"
		one_error_line "$b with a missing --config"
		chmod 666 "$conf"
		boot_bin "$b" -- --config "$conf" --listen "unix:$T/b.sock"
		one_error_line "$b with a world-writable configuration"
		chmod 640 "$conf"
		[ ! -S "$T/b.sock" ] || fail "$b made its socket in spite of the error"
	done
}

# ------------------------------------------------------------ the bot database

# The responder runs with its bot database in a file of
# its own; award-retry started without AWARD_BOT_DB (or with another bot
# database) refuses with one line naming both, exit 1, and changes
# nothing: no bot tables in the service file, the queued row untouched,
# no file created at the wrong path.
it boot_wrong_bot_db_refused
t_boot_wrong_bot_db_refused() {
	local bot=$T/bot.db sums row before
	APP_ENV=("AWARD_BOT_DB=$bot")
	start_stack
	sqlite3 "$bot" "INSERT INTO contests(id, starts_at, ends_at,
		attribution_window_days, is_active) VALUES ('c1', '$(iso_days -7)',
		'$(iso_days 30)', 30, 1); INSERT INTO plan_tickets VALUES ('plan_1m', 1);"
	webhook "$(payment ord-tb 123456789 plan_late "$(iso_now)")"
	check_json '$.award' queued
	sqlite3 "$bot" "INSERT INTO plan_tickets VALUES ('plan_late', 2)"
	row="select status, attempts, last_error, next_attempt_at, updated_at
		from failed_awards where order_id = 'ord-tb'"
	before=$(sql "$row")
	stop_pid "$APP_PID" TERM
	APP_PID=
	# Two workers that close at once may each leave the WAL to the other
	# (SQLite checkpoints it only in the last connection to close): then
	# the next opener, refused or not, would copy it into the file. Let
	# the shell do that now, so that the sums are of settled files.
	sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	sqlite3 "$bot" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	sums="$(file_sum "$DB") $(file_sum "$bot")"

	# No bot database given: the service file would be its own.
	boot_bin award-retry -- --db "$DB" --force
	one_error_line "award-retry without AWARD_BOT_DB"
	[[ $ERR == *"$DB"* && $ERR == *"$bot"* ]] ||
		fail "the error does not name both databases: $ERR"
	# Another, missing bot database.
	boot_bin award-retry "AWARD_BOT_DB=$T/other.db" -- --db "$DB" --force
	one_error_line "award-retry with a missing bot database"
	[[ $ERR == *"$DB"* && $ERR == *"$T/other.db"* ]] ||
		fail "the error does not name both databases: $ERR"
	[ ! -e "$T/other.db" ] || fail "the wrong bot database was created"
	# Another bot database that exists (set up by another pair, given
	# relative: recorded absolute, as later errors show it anywhere).
	cd "$T" || fail "cd $T"
	boot_bin award-retry -- --init --db "$T/pair2.db" --bot-db bot2.db
	cd "$ROOT" || fail "cd $ROOT"
	[ "$RC" = 0 ] || fail "a second pair: exit $RC: $ERR"
	DB=$T/pair2.db check_sql "select value from award_meta
		where key = 'bot_db_path'" "$(realpath "$T/bot2.db")"
	boot_bin award-retry -- --db "$DB" --bot-db "$T/bot2.db" --force
	one_error_line "award-retry with another bot database"
	[[ $ERR == *"$DB"* && $ERR == *"$T/bot2.db"* ]] ||
		fail "the error does not name both databases: $ERR"

	[ "$sums" = "$(file_sum "$DB") $(file_sum "$bot")" ] ||
		fail "a refused run changed a database file"
	check_sql "select count(*) from sqlite_master where name in ('contests',
		'ticket_ledger', 'plan_tickets')" 0
	check_sql "$row" "$before"
	check_sql "select count(*) from retry_runs" 0

	# With the right bot database, the same run awards the order.
	boot_bin award-retry "AWARD_BOT_DB=$bot" -- --db "$DB" --force
	[ "$RC" = 0 ] || fail "award-retry with the right bot database: exit $RC: $ERR"
	check_sql "select status from failed_awards where order_id = 'ord-tb'" done
	[ "$(sqlite3 "$bot" "select sum(delta) from ticket_ledger
		where order_id = 'ord-tb'")" = 2 ] || fail "the order was not awarded"
}

# ------------------------------------------------------------ the retry lock

# award-retry run once as root, then as the service user
# (here nobody), on a database that user owns: both runs succeed, and
# root leaves no file behind that the service user cannot use.
# One file for both: a bot that made a table of a service table's name
# (its own payments) stops both binaries with a line that says what to
# do, not only SQLite's "no such column".
it boot_bot_table_named_like_the_services
t_boot_bot_table_named_like_the_services() {
	local b
	sqlite3 "$DB" "CREATE TABLE payments(id INTEGER PRIMARY KEY,
		user_id INTEGER, order_id TEXT, amount REAL, status TEXT)" ||
		fail "could not make the bot's table"
	for b in award-retry award-fcgi; do
		if [ "$b" = award-retry ]; then
			boot_bin "$b" -- --db "$DB" --init
		else
			boot_bin "$b" -- --db "$DB" --listen "unix:$T/b.sock"
		fi
		one_error_line "$b"
		[[ $ERR == *"no such column"*"in a file of their own, AWARD_DB"* ]] ||
			fail "$b: the error does not say what to do: $ERR"
	done
	check_sql "select count(*) from payments" 0
}

it boot_root_then_service_user
t_boot_root_then_service_user() {
	local d i as_user=() rootfiles
	[ "$(id -u)" = 0 ] || { echo "skipped: needs root"; return 0; }
	if command -v setpriv >/dev/null; then
		as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	elif command -v runuser >/dev/null; then
		as_user=(runuser -u nobody --)
	else
		fail "neither setpriv nor runuser to run as nobody"
	fi
	# $T is private to root: a directory the service user can use.
	d=$(mktemp -d "${TMPDIR:-/tmp}/award-boot.XXXXXX") || fail "mktemp"
	echo "$d" >"$T/userdir"
	trap 'rc=$?; rm -rf "$(cat "$T/userdir")"; (exit $rc); it_cleanup' EXIT
	chown nobody:nogroup "$d"
	chmod 700 "$d"
	base_env
	"${as_user[@]}" "${BASE_ENV[@]}" "$BIN/award-retry" --db "$d/award.db" \
		--init </dev/null >>"$T/retry.log" 2>&1 ||
		fail "the first run as nobody: $(tail -n 1 "$T/retry.log")"
	for i in root nobody root nobody; do
		if [ "$i" = root ]; then
			"${BASE_ENV[@]}" "$BIN/award-retry" --db "$d/award.db" \
				</dev/null >>"$T/retry.log" 2>&1
		else
			"${as_user[@]}" "${BASE_ENV[@]}" "$BIN/award-retry" \
				--db "$d/award.db" </dev/null >>"$T/retry.log" 2>&1
		fi || fail "a run as $i after root: exit $?: $(tail -n 1 "$T/retry.log")"
	done
	[ "$(sqlite3 "$d/award.db" "select count(*) from retry_runs")" = 5 ] ||
		fail "not every run recorded itself"
	rootfiles=$(find "$d" -user root)
	[ -z "$rootfiles" ] || fail "root left files behind: $rootfiles"
	[ "$(mode_of "$d/award.db")" = 640 ] ||
		fail "the database is mode $(mode_of "$d/award.db"), expected 640"

	# Root first, on a new database in the service user's directory:
	# the file goes to that user, who can then run.
	mkdir "$d/state"
	chown nobody:nogroup "$d/state"
	"${BASE_ENV[@]}" "$BIN/award-retry" --db "$d/state/award.db" \
		--init </dev/null >>"$T/retry.log" 2>&1 ||
		fail "root's first run: $(tail -n 1 "$T/retry.log")"
	"${as_user[@]}" "${BASE_ENV[@]}" "$BIN/award-retry" \
		--db "$d/state/award.db" </dev/null >>"$T/retry.log" 2>&1 ||
		fail "nobody after root made the database:" \
			"$(tail -n 1 "$T/retry.log")"
	rootfiles=$(find "$d" -user root)
	[ -z "$rootfiles" ] || fail "root left files behind: $rootfiles"
}

# ------------------------------------------------------------ file modes

# Databases are created 0640 (SPEC.md §7), their -wal and
# -shm too, even when the caller's umask would allow more.
it boot_file_modes
t_boot_file_modes() {
	local f
	umask 000
	APP_ENV=("AWARD_BOT_DB=$T/bot.db")
	start_stack
	webhook "$(payment ord-md 123456789 plan_1m "$(iso_now)")"
	check_status 200
	for f in "$DB" "$DB-wal" "$DB-shm" "$T/bot.db"; do
		[ -e "$f" ] || fail "$f does not exist"
		[ "$(mode_of "$f")" = 640 ] ||
			fail "$f is mode $(mode_of "$f"), expected 640"
	done
	retry_ok "AWARD_BOT_DB=$T/bot.db" --db "$T/fresh.db" --bot-db "$T/fresh-bot.db" \
		--init
	for f in "$T/fresh.db" "$T/fresh-bot.db"; do
		[ "$(mode_of "$f")" = 640 ] ||
			fail "award-retry made $f mode $(mode_of "$f"), expected 640"
	done
}

# ------------------------------------------------------------ a live socket

# A second responder on the socket path of a live one
# exits 1 with a clear error and leaves the socket alone; the first keeps
# serving through nginx. A stale socket (nothing listening) is replaced.
it boot_live_socket_refused
t_boot_live_socket_refused() {
	local pid n
	start_stack
	boot_bin award-fcgi AWARD_WORKERS=1 -- --listen "unix:$SOCK" --db "$DB"
	one_error_line "a second award-fcgi on a live socket"
	[[ $ERR == *"$SOCK"* && $ERR == *"another process"* ]] ||
		fail "the error does not say the socket is in use: $ERR"
	[ -S "$SOCK" ] || fail "the live socket was removed"
	for n in 1 2 3; do
		req GET "$HTTP/healthz"
		check_status 200
	done
	alive "$APP_PID" || fail "the first responder died"

	# A stale socket file (bound, nobody listening) is replaced.
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])' "$T/stale.sock" || fail "could not make a stale socket"
	[ -S "$T/stale.sock" ] || fail "no stale socket"
	base_env
	"${BASE_ENV[@]}" AWARD_WORKERS=1 "$BIN/award-fcgi" \
		--listen "unix:$T/stale.sock" --db "$DB" </dev/null \
		2>>"$T/fcgi.log" &
	pid=$!
	PIDS+=("$pid")
	n=100
	until can_connect "$T/stale.sock"; do
		alive "$pid" || fail "award-fcgi on a stale socket exited:" \
			"$(tail -n 1 "$T/fcgi.log")"
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "award-fcgi did not take over a stale socket"
		sleep 0.05
	done
	stop_pid "$pid" TERM
	forget_pid "$pid"
	[ "$STOP_RC" = 0 ] || fail "award-fcgi on the stale socket exited $STOP_RC"
	[ ! -e "$T/stale.sock" ] || fail "its own socket was left behind"

	# A live process whose backlog is full (wedged, its queue filled):
	# refused at once too, not a connect that waits for a free slot.
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(0)
held = []
while True:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.setblocking(False)
    try:
        c.connect(sys.argv[1])
    except BlockingIOError:
        break
    held.append(c)
open(sys.argv[2], "w").close()
time.sleep(60)' "$T/full.sock" "$T/full.ready" &
	pid=$!
	PIDS+=("$pid")
	n=200
	until [ -e "$T/full.ready" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "the full-backlog socket was not made"
		sleep 0.05
	done
	boot_bin award-fcgi AWARD_WORKERS=1 -- --listen "unix:$T/full.sock" \
		--db "$DB"
	one_error_line "award-fcgi on a live socket with a full backlog"
	[[ $ERR == *"another process"* ]] ||
		fail "the error does not say the socket is in use: $ERR"
	[ -S "$T/full.sock" ] || fail "the live socket was removed"
}

# ------------------------------------------------------------ systemd

# sd_listen_fds(3): a socket on fd 3 with LISTEN_FDS=1 and LISTEN_PID set
# to the responder's pid is served (AWARD_LISTEN set to another path is
# then ignored), and the responder does not unlink a socket it did not
# make when it stops.
it boot_socket_activation
t_boot_socket_activation() {
	local envs
	base_env
	envs=("${BASE_ENV[@]}" AWARD_WORKERS=2 AWARD_LOG_LEVEL=debug
		"AWARD_WEBHOOK_ALLOW=$LOOPBACK_ALLOW"
		"AWARD_LISTEN=unix:$T/not-this.sock")
	# As systemd does it: bind, listen, fd 3, LISTEN_PID = the pid that
	# execs (exec keeps the pid), then exec the responder.
	"${envs[@]}" python3 -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(128)
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execve(sys.argv[2], sys.argv[2:], env)' "$SOCK" "$BIN/award-fcgi" \
		--db "$DB" </dev/null 2>>"$T/fcgi.log" &
	APP_PID=$!
	echo "$APP_PID" >>"$T/pids"
	start_nginx
	req GET "$HTTP/healthz"
	check_status 200
	grep -q '"listen":"systemd (LISTEN_FDS)"' "$T/fcgi.log" ||
		fail "the start line does not say the socket came from systemd"
	[ ! -e "$T/not-this.sock" ] || fail "AWARD_LISTEN was used over systemd's socket"
	stop_pid "$APP_PID" TERM
	[ "$STOP_RC" = 0 ] || fail "award-fcgi exited $STOP_RC on SIGTERM"
	APP_PID=
	[ -S "$SOCK" ] || fail "the socket systemd made was unlinked"

	# LISTEN_PID of another process: not ours, AWARD_LISTEN is used.
	"${envs[@]}" LISTEN_FDS=1 LISTEN_PID=1 "$BIN/award-fcgi" --db "$DB" \
		</dev/null 3</dev/null 2>>"$T/fcgi.log" &
	APP_PID=$!
	echo "$APP_PID" >>"$T/pids"
	SOCK=$T/not-this.sock wait_socket "$APP_PID"
}

# notify_listener NAME: a datagram socket at NAME (a path, or '@name' for
# an abstract one) that appends every message, one per line (newlines
# inside as spaces), to $T/notify.log.
notify_listener() {
	: >"$T/notify.log"
	python3 -c 'import socket, sys
name = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:] if name.startswith("@") else name)
with open(sys.argv[2], "a", buffering=1) as f:
    f.write("LISTENING\n")
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")' \
		"$1" "$T/notify.log" 2>>"$T/notify.err" &
	PIDS+=($!)
	local n=100
	until grep -q LISTENING "$T/notify.log"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "the notify listener did not start: $(cat "$T/notify.err")"
		sleep 0.05
	done
}

# wait_notify PATTERN [COUNT]: until COUNT (default 1) lines of
# $T/notify.log match PATTERN (grep -E), within 10 s.
wait_notify() {
	local n=200
	until [ "$(grep -cE "$1" "$T/notify.log")" -ge "${2:-1}" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "no ${2:-1} notifications '$1' in 10 s:" \
			"$(tr '\n' '|' <"$T/notify.log")"
		sleep 0.05
	done
}

# The systemd notification protocol: READY=1 once the workers are up,
# WATCHDOG=1 every WATCHDOG_USEC/2, RELOADING=1 then READY=1 around a
# SIGHUP, STOPPING=1 on SIGTERM; to a path or an abstract socket name.
it boot_sd_notify
t_boot_sd_notify() {
	local n
	notify_listener "$T/notify.sock"
	APP_ENV=("NOTIFY_SOCKET=$T/notify.sock" WATCHDOG_USEC=200000)
	start_stack
	wait_notify '^READY=1$'
	n=$(grep -c '^WATCHDOG=1$' "$T/notify.log")
	wait_notify '^WATCHDOG=1$' $((n + 5))
	kill -HUP "$APP_PID"
	wait_notify '^RELOADING=1 MONOTONIC_USEC=[0-9]+$'
	wait_notify '^READY=1$' 2
	req GET "$HTTP/healthz"
	check_status 200
	stop_pid "$APP_PID" TERM
	[ "$STOP_RC" = 0 ] || fail "award-fcgi exited $STOP_RC on SIGTERM"
	APP_PID=
	wait_notify '^STOPPING=1$'

	# WATCHDOG_PID naming another process: no pings; an abstract name.
	n=${PIDS[-1]}
	stop_pid "$n" TERM
	forget_pid "$n"
	n="@award-test-$$-$RANDOM"
	notify_listener "$n"
	APP_ENV=("NOTIFY_SOCKET=$n" WATCHDOG_USEC=100000 WATCHDOG_PID=1)
	start_app
	wait_notify '^READY=1$'
	sleep 0.5
	! grep -q '^WATCHDOG=1$' "$T/notify.log" ||
		fail "watchdog pings in spite of WATCHDOG_PID naming another process"
}

# ------------------------------------------------------------ SIGHUP

# SIGHUP re-reads the token files: while a request is in flight (a slow
# FastCGI client holding a worker mid-body), the admin token file changes
# and SIGHUP is sent; afterwards the old token is refused (401) and the new
# one accepted (200), and the request in flight is answered 200 with its
# award saved. A bad configuration on a later SIGHUP (a token too short)
# is logged and the running configuration stays.
it boot_sighup_reload
t_boot_sighup_reload() {
	local pid out old_token n kids
	WORKERS=2
	start_stack
	seed_contest c1
	seed_plans
	admin_get /v1/admin/award-retry-stats
	check_status 200
	payment ord-hup 123456789 plan_1m "$(iso_now)" >"$T/slow.json"
	perl "$HERE/fcgi_slow.pl" "$SOCK" "$T/slow.json" 3 >"$T/slow.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	sleep 0.7
	old_token=$ADMIN_TOKEN
	ADMIN_TOKEN=$(rand_token adm2)
	printf '%s\n' "$ADMIN_TOKEN" >"$T/admin.token"
	kill -HUP "$APP_PID"
	n=200
	until grep -q '"msg":"configuration reloaded"' "$T/fcgi.log"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "no reload logged: $(tail -n 2 "$T/fcgi.log")"
		sleep 0.05
	done
	alive "$pid" || fail "the request in flight ended before the reload"
	req GET "$HTTPS/v1/admin/award-retry-stats" \
		-H "Authorization: Bearer $old_token"
	check_status 401
	admin_get /v1/admin/award-retry-stats
	check_status 200
	wait_gone "$pid" 10 || fail "the slow request got no answer"
	forget_pid "$pid"
	out=$(cat "$T/slow.out")
	[ "$out" = "Status: 200" ] || fail "the request in flight was answered: $out"
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-hup'
		and reason = 'SELF_PURCHASE'" 1
	# The old workers are gone: as many workers as configured remain.
	n=100
	while kids=$(children_of "$APP_PID" | wc -l) && [ "$kids" != "$WORKERS" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "$kids workers after the reload, expected $WORKERS"
		sleep 0.05
	done

	# A bad configuration: logged, the running one stays.
	printf 'too-short\n' >"$T/admin.token"
	kill -HUP "$APP_PID"
	n=200
	until grep -q '"msg":"reload failed' "$T/fcgi.log"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "a bad reload was not logged"
		sleep 0.05
	done
	grep '"msg":"reload failed' "$T/fcgi.log" | grep -q AWARD_ADMIN_TOKEN_FILE ||
		fail "the failed reload does not name the setting"
	alive "$APP_PID" || fail "award-fcgi died on a bad reload"
	admin_get /v1/admin/award-retry-stats
	check_status 200
	req GET "$HTTP/healthz"
	check_status 200
}
