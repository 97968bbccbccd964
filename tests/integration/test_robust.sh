# award — integration: concurrency, dying workers, shutdown, and the retry
# binary against the same database (SPEC.md §1, §2, §4, §6).

# 20 deliveries of one notification at once: one award.
it concurrent_deliveries
t_concurrent_deliveries() {
	local i body pids=() awarded=0 dup=0 code
	WORKERS=4
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	body=$(payment ord-c1 123456789 plan_3m "$(iso_now)")
	printf '%s' "$body" >"$T/c.json"
	for i in $(seq 1 20); do
		curl -s -m 30 -H 'Expect:' -H 'Content-Type: application/json' \
			--data-binary "@$T/c.json" -o "$T/c$i.body" \
			-w '%{http_code}' "$HTTP/v1/payments/webhook" \
			>"$T/c$i.code" 2>/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	for i in $(seq 1 20); do
		code=$(<"$T/c$i.code")
		[ "$code" = 200 ] ||
			fail "delivery $i: status $code $(<"$T/c$i.body")"
		case $(jget '$.award' "$(<"$T/c$i.body")") in
		awarded) awarded=$((awarded + 1)) ;;
		duplicate) dup=$((dup + 1)) ;;
		*) fail "delivery $i: $(<"$T/c$i.body")" ;;
		esac
	done
	[ "$awarded" = 1 ] && [ "$dup" = 19 ] ||
		fail "expected 1 awarded + 19 duplicate, got $awarded + $dup"
	check_sql "select reason, count(*), sum(delta) from ticket_ledger
		where order_id = 'ord-c1' group by reason order by reason" \
		"INVITEE_PAYMENT|1|3
SELF_PURCHASE|1|3"
}

# workers_of: the supervisor's children, sorted.
workers_of() {
	children_of "$APP_PID" | sort -n
}

# A worker killed with SIGKILL is replaced; requests keep succeeding.
it worker_killed
t_worker_killed() {
	local w victim n i
	WORKERS=2
	start_stack
	seed_contest c1
	seed_plans
	w=$(workers_of)
	[ "$(wc -w <<<"$w")" = 2 ] ||
		fail "expected 2 workers under $APP_PID, found: $w"
	victim=${w%%[[:space:]]*}
	kill -KILL "$victim"
	wait_gone "$victim" 5 || fail "worker $victim survived SIGKILL"
	n=$((WAIT_S * 10))
	while :; do
		w=$(workers_of)
		if [ "$(wc -w <<<"$w")" = 2 ] && ! grep -qx "$victim" <<<"$w"; then
			break
		fi
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "no replacement worker (now: $w)"
		sleep 0.1
	done
	alive "$APP_PID" || fail "the supervisor died"
	for i in $(seq 1 10); do
		webhook "$(payment "ord-k$i" 123456789 plan_1m "$(iso_now)")"
		check_status 200
		check_json '$.award' awarded
	done
	req GET "$HTTP/healthz"
	check_status 200
	check_sql "select count(*) from ticket_ledger" 10
}

# SIGTERM while a worker is still reading a request's body (sent in two
# halves straight to the FastCGI socket, as a slow upstream would): the
# request is answered and saved, then the worker exits. libfcgi's read()
# gives up on EINTR, so the worker must not take the signal mid-request.
it sigterm_mid_body
t_sigterm_mid_body() {
	local out pid
	WORKERS=1
	start_app
	seed_contest c1
	seed_plans
	payment ord-slow 123456789 plan_1m "$(iso_now)" >"$T/slow.json"
	perl "$HERE/fcgi_slow.pl" "$SOCK" "$T/slow.json" 2 >"$T/slow.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	sleep 0.7
	stop_pid "$APP_PID" TERM
	[ "$STOP_RC" = 0 ] || fail "award-fcgi exited $STOP_RC on SIGTERM"
	APP_PID=
	wait_gone "$pid" 10 || fail "the slow client got no answer"
	forget_pid "$pid"
	out=$(cat "$T/slow.out")
	[ "$out" = "Status: 200" ] || fail "slow request answered: $out"
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-slow'
		and reason = 'SELF_PURCHASE'" 1
}

# SIGTERM while requests are in flight: every request answered 200 has its
# rows in the ledger, and the supervisor exits 0.
it sigterm_loses_nothing
t_sigterm_loses_nothing() {
	local i n=40 done_n code pids=() ok=0 rc
	WORKERS=2
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	for i in $(seq 1 "$n"); do
		payment "ord-t$i" 123456789 plan_1m "$(iso_now)" >"$T/t$i.json"
	done
	for i in $(seq 1 "$n"); do
		{
			curl -s -m 30 -H 'Expect:' -H 'Content-Type: application/json' \
				--data-binary "@$T/t$i.json" -o "$T/t$i.body" \
				-w '%{http_code}' "$HTTP/v1/payments/webhook" \
				>"$T/t$i.tmp" 2>/dev/null
			mv "$T/t$i.tmp" "$T/t$i.code"
		} &
		pids+=($!)
	done
	# Stop it once a few answers are back and most are not.
	for i in $(seq 1 400); do
		done_n=$(find "$T" -maxdepth 1 -name 't*.code' | wc -l)
		[ "$done_n" -ge 3 ] && break
		sleep 0.01
	done
	kill -TERM "$APP_PID"
	for i in "${pids[@]}"; do
		wait "$i"
	done
	wait_gone "$APP_PID" 15 || fail "award-fcgi still running 15 s after SIGTERM"
	wait "$APP_PID"
	rc=$?
	APP_PID=
	[ "$rc" = 0 ] || fail "award-fcgi exited $rc after SIGTERM: $(tail -n 2 "$T/fcgi.log")"
	for i in $(seq 1 "$n"); do
		code=$(<"$T/t$i.code")
		[ "$code" = 200 ] || continue
		ok=$((ok + 1))
		[ "$(jget '$.award' "$(<"$T/t$i.body")")" = awarded ] ||
			fail "request $i: 200 but $(<"$T/t$i.body")"
		[ "$(sql "select count(*) from ticket_ledger where order_id = 'ord-t$i'")" = 2 ] ||
			fail "request $i answered 200 but its rows are missing"
	done
	[ "$ok" -ge 1 ] || fail "no request was answered 200"
	echo "answered 200: $ok of $n" >"$T/sigterm.txt"
}

# The retry run through the real binary: an unknown plan is queued, the
# plan is added, `award-retry --force` awards it.
it retry_binary
t_retry_binary() {
	local rc
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	webhook "$(payment ord-x1 123456789 plan_new "$(iso_now)")"
	check_json '$.award' queued
	check_sql "select status, attempts from failed_awards
		where order_id = 'ord-x1'" "pending|1"
	base_env
	# Not due yet (5 minutes after the failure): a normal run leaves it.
	"${BASE_ENV[@]}" "$BIN/award-retry" --db "$DB" >>"$T/retry.log" 2>&1
	rc=$?
	[ "$rc" = 0 ] || fail "award-retry exited $rc: $(tail -n 2 "$T/retry.log")"
	check_sql "select status, attempts from failed_awards
		where order_id = 'ord-x1'" "pending|1"
	check_sql "select count(*) from ticket_ledger" 0

	sql "INSERT INTO plan_tickets VALUES ('plan_new', 2)"
	"${BASE_ENV[@]}" "$BIN/award-retry" --force --db "$DB" \
		>>"$T/retry.log" 2>&1
	rc=$?
	[ "$rc" = 0 ] || fail "award-retry --force exited $rc: $(tail -n 2 "$T/retry.log")"
	check_sql "select status from failed_awards where order_id = 'ord-x1'" done
	check_sql "select reason, referrer_id, delta from ticket_ledger
		where order_id = 'ord-x1' order by reason" \
		"INVITEE_PAYMENT|111111111|2
SELF_PURCHASE|123456789|2"
	check_sql "select count(*) >= 2, max(forced) from retry_runs" "1|1"
	admin_get /v1/admin/award-retry-stats
	check_status 200
	check_json '$.queueSize' 0
	# The webhook delivered again now finds the award.
	webhook "$(payment ord-x1 123456789 plan_new "$(iso_now)")"
	check_json '$.award' duplicate
	# A bad setting is a clear error and exit 1.
	"${BASE_ENV[@]}" AWARD_RETRY_MAX_ATTEMPTS=lots "$BIN/award-retry" \
		--db "$DB" >>"$T/retry.log" 2>&1
	rc=$?
	[ "$rc" = 1 ] || fail "award-retry with a bad setting exited $rc"
}

# ------------------------------------------------------------ start-up

# The listening socket handed over on fd 0 (spawn-fcgi, systemd socket
# activation): no --listen and no AWARD_LISTEN; nginx reaches the
# responder through it.
it fd0_socket
t_fd0_socket() {
	APP_FD0=1
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	req GET "$HTTP/healthz"
	check_status 200
	check_json '$.status' ok
	webhook "$(payment ord-fd0 123456789 plan_3m "$(iso_now)")"
	check_status 200
	check_json '$.award' awarded
	check_json '$.referrer_tickets' 3
	check_sql "select count(*), sum(delta) from ticket_ledger
		where order_id = 'ord-fd0'" "2|6"
	admin_get /v1/admin/award-retry-stats
	check_status 200
	# It used fd 0, not its default socket (relative: var/ in its cwd).
	[ ! -e "$T/var" ] || fail "award-fcgi made $T/var in spite of fd 0"
	[ -S "$SOCK" ] || fail "the handed-over socket $SOCK is gone"
}

# config_error BINARY NAME [NAME=VALUE...] [-- ARGS...]: BINARY started
# with these settings (and valid tokens, whose values must never be
# printed) exits 1 at once with exactly one line on stderr naming NAME.
config_error() {
	local bin=$1 name=$2 envs=() args=() rc out err lines what
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	args=("$@")
	if [ "$bin" = award-fcgi ] && [[ " ${args[*]} " != *" --listen "* ]] &&
		[[ " ${envs[*]}" != *" AWARD_LISTEN="* ]]; then
		args=(--listen "unix:$T/cfg.sock" "${args[@]}")
	fi
	base_env
	timeout -k 2 5 "${BASE_ENV[@]}" "AWARD_SERVICE_TOKEN=$CFG_SECRET" \
		"AWARD_ADMIN_TOKEN=$CFG_SECRET2" "${envs[@]}" "$BIN/$bin" \
		--db "$T/cfg.db" "${args[@]}" </dev/null \
		>"$T/cfg.out" 2>"$T/cfg.err"
	rc=$?
	out=$(<"$T/cfg.out")
	err=$(<"$T/cfg.err")
	cat "$T/cfg.out" "$T/cfg.err" >>"$T/retry.log"
	what="$bin ${envs[*]} ${args[*]}"
	[ "$rc" = 1 ] ||
		fail "$what: exit $rc, expected 1: $(head -c 300 <<<"$err")"
	lines=$(grep -c '' "$T/cfg.err")
	[ "$lines" = 1 ] && [ -n "${err// /}" ] ||
		fail "$what: expected one line on stderr, got $lines:" \
			"$(head -c 300 <<<"$err")"
	[[ ${err,,} == *"${name,,}"* ]] ||
		fail "$what: the error does not name $name: $err"
	[[ "$out$err" != *"$CFG_SECRET"* && "$out$err" != *"$CFG_SECRET2"* ]] ||
		fail "$what: a token value was printed: $err"
	[ ! -S "$T/cfg.sock" ] || fail "$what: made its socket"
}

# A bad setting is a clear one-line error at start and exit 1, never a
# silent default (SPEC.md §7), for both binaries; tokens never printed.
it config_errors
t_config_errors() {
	local b kv
	CFG_SECRET=$(rand_token tok)
	CFG_SECRET2=$(rand_token adm)
	printf '%s inner\n' "$CFG_SECRET2" >"$T/spaced.token"
	for b in award-fcgi award-retry; do
		while read -r kv; do
			# A missing token file is no error where no token is
			# used (test install_fresh_cron_not_set_up).
			[ "$b" = award-retry ] && [[ $kv == *no-such.token ]] &&
				continue
			config_error "$b" "${kv%%=*}" "$kv"
		done <<SETTINGS
AWARD_WORKERS=0
AWARD_WORKERS=257
AWARD_WORKERS=two
AWARD_MAX_BODY=abc
AWARD_MAX_BODY=-1
AWARD_MAX_BODY=64k
AWARD_SYNCHRONOUS=OFF
AWARD_SYNCHRONOUS=
AWARD_SYNCHRONOUS=NORMAL
AWARD_UNSAFE_NORMAL=yes
AWARD_WEBHOOK_ALLOW=1.2.3.4/33
AWARD_WEBHOOK_ALLOW=10.0.0.300/8
AWARD_WEBHOOK_ALLOW=2a02:5180::/129
AWARD_WEBHOOK_ALLOW=185.71.76.0/27,nonsense
AWARD_LOG_LEVEL=loud
AWARD_LOG_LEVEL=
AWARD_BUSY_TIMEOUT_MS=-5
AWARD_BUSY_TIMEOUT_MS=5s
AWARD_RETRY_MAX_ATTEMPTS=0
AWARD_RETRY_MAX_ATTEMPTS=many
AWARD_ADMIN_TOKEN_FILE=$T/no-such.token
AWARD_ADMIN_TOKEN_FILE=$T
AWARD_SERVICE_TOKEN_FILE=$T/no-such.token
AWARD_SERVICE_TOKEN=only-31-characters-long-token-x
AWARD_ADMIN_TOKEN=short
SETTINGS
		# A token with a space inside: named as the token's setting.
		config_error "$b" AWARD_ADMIN_TOKEN \
			"AWARD_ADMIN_TOKEN_FILE=$T/spaced.token"
	done
	config_error award-fcgi listen -- --listen garbage
	config_error award-fcgi listen -- --listen host:
	config_error award-fcgi listen -- --listen 256.1.1.1:80
	config_error award-fcgi listen AWARD_LISTEN=garbage
	config_error award-fcgi workers -- --workers 0
	config_error award-retry limit -- --limit 0
	config_error award-retry limit -- --limit ten
	config_error award-retry now -- --now yesterday
}

# A TCP port out of range is a bad value too (SPEC.md §7), not a port
# taken modulo 65536.
it config_listen_port_range
t_config_listen_port_range() {
	CFG_SECRET=$(rand_token tok)
	CFG_SECRET2=$(rand_token adm)
	config_error award-fcgi listen -- --listen 127.0.0.1:65536
	config_error award-fcgi listen -- --listen 127.0.0.1:99999
	config_error award-fcgi listen AWARD_LISTEN=127.0.0.1:70000
}

# AWARD_SYNCHRONOUS=NORMAL with AWARD_UNSAFE_NORMAL=1 is accepted by both
# binaries (without the flag it is refused: test config_errors); the
# database is in WAL mode either way, also new files made by award-retry.
it synchronous_normal
t_synchronous_normal() {
	APP_ENV=(AWARD_SYNCHRONOUS=NORMAL AWARD_UNSAFE_NORMAL=1)
	start_stack
	seed_contest c1
	seed_plans
	check_sql "PRAGMA journal_mode" wal
	webhook "$(payment ord-sn 123456789 plan_1m "$(iso_now)")"
	check_status 200
	check_json '$.award' awarded
	webhook "$(payment ord-sn2 123456789 plan_none "$(iso_now)")"
	check_json '$.award' queued
	sql "INSERT INTO plan_tickets VALUES ('plan_none', 1)"
	retry_ok AWARD_SYNCHRONOUS=NORMAL AWARD_UNSAFE_NORMAL=1 --force
	check_sql "select status from failed_awards where order_id = 'ord-sn2'" done
	check_sql "PRAGMA journal_mode" wal
	retry_ok AWARD_SYNCHRONOUS=NORMAL AWARD_UNSAFE_NORMAL=1 \
		--db "$T/fresh.db" --bot-db "$T/fresh-bot.db" --init
	DB=$T/fresh.db check_sql "PRAGMA journal_mode" wal
	DB=$T/fresh-bot.db check_sql "PRAGMA journal_mode" wal
	retry_ok AWARD_SYNCHRONOUS=FULL --force
	check_sql "PRAGMA journal_mode" wal
}

# A database file deleted under the running service: the writes would go
# to a file nobody can open again, gone with the process. Nothing is
# answered 200 from then on (503, and /healthz 503) for either file, and
# the ledger on the disk is what was there.
it db_deleted_never_answered_saved
t_db_deleted_never_answered_saved() {
	local f bot=$T/bot.db db=$DB
	APP_ENV=("AWARD_BOT_DB=$bot")
	start_stack
	DB=$bot		# the bot's tables are in its own file here
	seed_contest c1
	seed_plans
	DB=$db
	webhook "$(payment ord-d1 123456789 plan_1m "$(iso_now)")"
	check_json '$.award' awarded
	for f in "$DB" "$DB-wal" "$DB-shm"; do
		mv "$f" "$f.kept" 2>/dev/null
	done
	webhook "$(payment ord-d2 123456790 plan_1m "$(iso_now)")"
	check_error 503
	req GET "$HTTP/healthz"
	check_status 503
	grep -q '"msg":"database file deleted or renamed while open; nothing is written until award-fcgi is restarted".*"path":"[^"]*award.db"' \
		"$T/fcgi.log" || fail "no line names the file: $(tail -n 2 "$T/fcgi.log")"
	for f in "$DB" "$DB-wal" "$DB-shm"; do
		mv "$f.kept" "$f" 2>/dev/null
	done
	# The bot's file, the same way.
	for f in "$bot" "$bot-wal" "$bot-shm"; do
		mv "$f" "$f.kept" 2>/dev/null
	done
	webhook "$(payment ord-d3 123456791 plan_1m "$(iso_now)")"
	check_error 503
	for f in "$bot" "$bot-wal" "$bot-shm"; do
		mv "$f.kept" "$f" 2>/dev/null
	done
	[ "$(sqlite3 "$bot" "select group_concat(order_id) from ticket_ledger")" = ord-d1 ] ||
		fail "ledger: $(sqlite3 "$bot" "select order_id from ticket_ledger")"
	check_sql "select group_concat(order_id) from payments" ord-d1
	# Both files back where they were: YooKassa's redelivery of what was
	# answered 503 is awarded, once.
	webhook "$(payment ord-d2 123456790 plan_1m "$(iso_now)")"
	check_json '$.award' awarded
	[ "$(sqlite3 "$bot" "select count(*) from ticket_ledger
		where order_id = 'ord-d2'")" = 1 ] || fail "ord-d2 not awarded once"
}

# A disk that fills up under the responder (a small tmpfs, filled to the
# last block): a commit whose WAL frames cannot be written fails, so
# nothing that was not saved is answered 200, and the worker serves on;
# once space is freed, the redelivery of every order answered otherwise is
# awarded, each order exactly once, and the files are intact.
it disk_full_never_answered_saved
t_disk_full_never_answered_saved() {
	local disk=$T/disk i o code lost=0 bad=0
	mkdir -p "$disk"
	mount -t tmpfs -o size=3m tmpfs "$disk" ||
		fail "cannot mount a tmpfs (this test runs as root)"
	MOUNTS+=("$disk")
	DB=$disk/award.db
	WORKERS=1
	start_stack
	seed_contest c1
	seed_plans
	webhook "$(payment ord-f0 123456000 plan_1m "$(iso_now)")"
	check_json '$.award' awarded
	# Every free block taken: the next WAL frames have nowhere to go.
	dd if=/dev/zero of="$disk/fill" bs=4k 2>/dev/null
	for i in $(seq 1 30); do
		o=ord-f$i
		webhook "$(payment "$o" $((123456000 + i)) plan_1m "$(iso_now)")"
		echo "$o $STATUS $(jq -r '.award // .error // empty' <<<"$BODY" 2>/dev/null)" >>"$T/full.out"
	done
	grep -q ' 503 ' "$T/full.out" ||
		fail "no delivery was refused on a full disk: $(head -n 3 "$T/full.out")"
	while read -r o code _; do
		[ "$code" = 200 ] || continue
		[ "$(sqlite3 "$DB" "select count(*) from ticket_ledger where
			order_id = '$o' and reason = 'SELF_PURCHASE'")" = 1 ] &&
			continue
		# A 200 "queued" must have its failed_awards row instead.
		[ "$(sqlite3 "$DB" "select count(*) from failed_awards where
			order_id = '$o'")" = 1 ] || lost=$((lost + 1))
	done <"$T/full.out"
	[ "$lost" = 0 ] || fail "$lost orders answered 200 and not saved: $(<"$T/full.out")"
	grep -q '"level":"error"' "$T/fcgi.log" ||
		fail "no error line says why: $(tail -n 2 "$T/fcgi.log")"
	rm -f "$disk/fill"
	req GET "$HTTP/healthz"
	check_status 200
	while read -r o code _; do
		[ "$code" = 200 ] && continue
		webhook "$(payment "$o" $((123456000 + ${o#ord-f})) plan_1m "$(iso_now)")"
		[ "$STATUS" = 200 ] || bad=$((bad + 1))
	done <"$T/full.out"
	[ "$bad" = 0 ] || fail "$bad redeliveries not answered 200 once space was back"
	check_sql "select count(*), count(distinct order_id) from ticket_ledger
		where reason = 'SELF_PURCHASE'" "31|31"
	check_sql "select count(*) from payments" 31
	check_sql "select count(*) from failed_awards where status = 'pending'" 0
	check_sql "pragma integrity_check" ok
}
