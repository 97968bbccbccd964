# award — integration test helpers (sourced by run.sh; bash, curl, sqlite3).
#
# Every test runs in a subshell with its own directory $T: a fresh SQLite
# file, the real $BIN/award-fcgi on a unix socket, and a real nginx rendered
# from the shipped config by nginx/render.sh on free loopback ports. An EXIT
# trap stops everything the test started, by pid, whether it passed or not.
# A test fails by calling fail (or a check_* helper), which records why.

# ------------------------------------------------------------ processes

PIDS=()		# helpers a test started; stopped by the trap, newest first
MOUNTS=()	# file systems a test mounted; unmounted by the trap

# alive PID: the process exists and is not a zombie.
alive() {
	local line
	{ read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
	line=${line##*) }
	[ "${line%% *}" != Z ]
}

# children_of PID: the pids whose parent is PID, from /proc (no procps).
children_of() {
	local f line state ppid pid
	for f in /proc/[0-9]*/stat; do
		{ read -r line <"$f"; } 2>/dev/null || continue
		read -r state ppid _ <<<"${line##*) }"
		[ "$ppid" = "$1" ] || continue
		pid=${f#/proc/}
		echo "${pid%/stat}"
	done
}

# wait_gone PID SECONDS: 0 once PID is gone, 1 on timeout. Looks every
# 10 ms for the first 0.2 s (most processes stop that fast: the runner
# pays this for every process of every test), then every 50 ms.
wait_gone() {
	local pid=$1 n=$(($2 * 20)) quick=20
	while alive "$pid"; do
		if [ "$quick" -gt 0 ]; then
			quick=$((quick - 1))
			[ "$((quick % 5))" != 0 ] || n=$((n - 1))
			sleep 0.01
			continue
		fi
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.05
	done
	return 0
}

# stop_pid PID [SIGNAL]: signal it, wait up to 10 s, then SIGKILL. Reaps it
# when it is our child; sets STOP_RC to its exit status when known.
stop_pid() {
	local pid=$1 sig=${2:-TERM}
	STOP_RC=
	[ -n "$pid" ] || return 0
	kill "-$sig" "$pid" 2>/dev/null
	if ! wait_gone "$pid" 10; then
		kill -KILL "$pid" 2>/dev/null
		wait_gone "$pid" 5
	fi
	wait "$pid" 2>/dev/null
	STOP_RC=$?
}

# forget_pid PID: a helper the test stopped itself leaves PIDS.
forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# it_cleanup: the EXIT trap of every test. Beyond stopping what the test
# started, a test that passed still fails when the responder did not exit 0
# on SIGTERM or a sanitizer reported anything (make asan).
it_cleanup() {
	local rc=$? i kids app_rc='' report
	if [ -n "${NGINX_PID:-}" ]; then
		stop_pid "$NGINX_PID" TERM
	fi
	if [ -n "${APP_PID:-}" ]; then
		kids=$(children_of "$APP_PID")
		stop_pid "$APP_PID" TERM
		app_rc=$STOP_RC
		for i in $kids; do
			alive "$i" && kill -KILL "$i" 2>/dev/null
		done
	fi
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${PIDS[i]}" TERM
	done
	for i in "${MOUNTS[@]}"; do
		umount -l "$i" 2>/dev/null
	done
	[ "$rc" = 0 ] && [ ! -s "$T/why" ] || return 0
	if [ -n "$app_rc" ] && [ "$app_rc" != 0 ]; then
		echo "award-fcgi exited $app_rc on SIGTERM at the end:" \
			"$(tail -n 1 "$T/fcgi.log")" | cut -c1-400 >"$T/why"
		exit 1
	fi
	report=$(grep -h -m 1 -e 'ERROR: AddressSanitizer' \
		-e 'ERROR: LeakSanitizer' -e 'runtime error:' \
		"$T/fcgi.log" "$T/retry.log" 2>/dev/null | head -n 1)
	if [ -n "$report" ]; then
		echo "sanitizer: $report" | cut -c1-400 >"$T/why"
		exit 1
	fi
	return 0
}

# ------------------------------------------------------------ failing

# fail MESSAGE: end the test as failed with a one-line reason.
fail() {
	printf '%s\n' "$*" | tr '\n' ' ' | cut -c1-600 >"$T/why"
	exit 1
}

# ------------------------------------------------------------ ports

# listen_ports: the TCP ports something listens on, from /proc/net/tcp{,6}.
# One awk reads both files in large reads: bash's read goes byte by byte
# on a pipe, and the kernel renders the table anew for each short read.
listen_ports() {
	awk 'function hex(s,  i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789ABCDEF", substr(s, i, 1)) - 1
		return v
	}
	$4 == "0A" { sub(/.*:/, "", $2); print hex($2) }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
	return 0
}

# pick_port: a loopback TCP port nobody listens on now; start_nginx
# retries on the rare race.
pick_port() {
	local used p i
	used=$'\n'$(listen_ports)$'\n'
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if [[ $used != *$'\n'$p$'\n'* ]] &&
			[ "$p" != "${HTTP_PORT:-}" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# ------------------------------------------------------------ the stack

# Settings a test may change before start_stack:
#   APP_ALLOW    AWARD_WEBHOOK_ALLOW for the responder ("default": unset)
#   NGINX_ALLOW  the same for the rendered allow snippet ("default": shipped)
#   APP_ENV      extra NAME=VALUE words for the responder's environment
#   ADMIN_TOKEN / SERVICE_TOKEN  ("" leaves the endpoint unconfigured)
#   WORKERS      AWARD_WORKERS
#   APP_FD0      non-empty: no --listen; the socket is handed over on fd 0
#   RENDER_ARGS  more render.sh arguments (--site/--snippets: an installed copy)
#   NGINX_UPSTREAM  HOST:PORT: the upstream on TCP instead of $SOCK
#   NGINX_ANY_ANSWER  non-empty: nginx is up once /healthz answers anything
LOOPBACK_ALLOW="127.0.0.1/32, ::1/128"

# rand_token PREFIX: PREFIX- and 32 random hex digits (tokens shorter than
# 32 characters are refused at start, SPEC.md §7).
rand_token() {
	printf '%s-%s\n' "$1" "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
}

it_setup() {
	DB=$T/award.db
	SOCK=$T/fcgi.sock
	APP_ALLOW=$LOOPBACK_ALLOW
	NGINX_ALLOW=$LOOPBACK_ALLOW
	RENDER_ARGS=()
	NGINX_UPSTREAM=
	NGINX_ANY_ANSWER=
	APP_ENV=()
	ADMIN_TOKEN=$(rand_token adm)
	SERVICE_TOKEN=$(rand_token svc)
	WORKERS=2
	APP_FD0=
	APP_PID=
	NGINX_PID=
}

# base_env: env(1) arguments every binary starts with — nothing inherited
# from the caller's AWARD_* variables, no configuration file (an installed
# /etc/award/award.conf never leaks in, SPEC.md §10), sanitizer options
# passed through.
base_env() {
	BASE_ENV=(env -i "PATH=$PATH" "HOME=${HOME:-/}" "TZ=UTC" "LANG=C"
		"AWARD_CONFIG=")
	local v
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -n "${!v:-}" ] && BASE_ENV+=("$v=${!v}")
	done
	return 0
}

start_app() {
	local envs
	base_env
	envs=("${BASE_ENV[@]}" "AWARD_WORKERS=$WORKERS" "AWARD_LOG_LEVEL=debug")
	if [ "$APP_ALLOW" != default ]; then
		envs+=("AWARD_WEBHOOK_ALLOW=$APP_ALLOW")
	fi
	if [ -n "$ADMIN_TOKEN" ]; then
		printf '%s\n' "$ADMIN_TOKEN" >"$T/admin.token"
		chmod 600 "$T/admin.token"
		envs+=("AWARD_ADMIN_TOKEN_FILE=$T/admin.token")
	fi
	if [ -n "$SERVICE_TOKEN" ]; then
		printf '%s\n' "$SERVICE_TOKEN" >"$T/service.token"
		chmod 600 "$T/service.token"
		envs+=("AWARD_SERVICE_TOKEN_FILE=$T/service.token")
	fi
	envs+=("${APP_ENV[@]}")
	if [ -n "$APP_FD0" ]; then
		# As spawn-fcgi or systemd hand it over: a listening socket on
		# fd 0, no --listen, no AWARD_LISTEN; run from $T so that a
		# responder falling back to its default (a relative path)
		# fails instead of touching the caller's directory.
		(cd "$T" && exec "${envs[@]}" perl -MIO::Socket::UNIX -e '
			my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(),
			    Local => $ARGV[0], Listen => 128)
			    or die "listen $ARGV[0]: $!\n";
			open(STDIN, "<&", $s) or die "dup: $!\n";
			exec @ARGV[1 .. $#ARGV] or die "exec: $!\n";
		' "$SOCK" "$BIN/award-fcgi" --db "$DB") 2>>"$T/fcgi.log" &
	else
		"${envs[@]}" "$BIN/award-fcgi" --listen "unix:$SOCK" --db "$DB" \
			</dev/null 2>>"$T/fcgi.log" &
	fi
	APP_PID=$!
	echo "$APP_PID" >>"$T/pids"
	local n=$((WAIT_S * 100))
	until [ -S "$SOCK" ]; do
		alive "$APP_PID" || fail "award-fcgi exited at start:" \
			"$(tail -n 3 "$T/fcgi.log")"
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "award-fcgi made no socket in ${WAIT_S}s"
		sleep 0.01
	done
}

start_nginx() {
	local try n code quick
	for try in 1 2 3; do
		HTTP_PORT=$(pick_port) && HTTPS_PORT=$(pick_port) ||
			fail "no free port"
		rm -rf "$T/nginx"
		if [ "$NGINX_ALLOW" = default ]; then
			env -u AWARD_WEBHOOK_ALLOW bash "$ROOT/nginx/render.sh" \
				--prefix "$T/nginx" --socket "$SOCK" \
				--cert "$CERT" --key "$KEY" --http-port "$HTTP_PORT" \
				--https-port "$HTTPS_PORT" "${RENDER_ARGS[@]}" \
				2>"$T/render.err"
		else
			AWARD_WEBHOOK_ALLOW=$NGINX_ALLOW bash "$ROOT/nginx/render.sh" \
				--prefix "$T/nginx" --socket "$SOCK" \
				--cert "$CERT" --key "$KEY" --http-port "$HTTP_PORT" \
				--https-port "$HTTPS_PORT" "${RENDER_ARGS[@]}" \
				2>"$T/render.err"
		fi || fail "render.sh: $(cat "$T/render.err")"
		if [ -n "$NGINX_UPSTREAM" ]; then
			sed -i "s|server unix:$SOCK;|server $NGINX_UPSTREAM;|" \
				"$T/nginx/"*.conf
			grep -q "server $NGINX_UPSTREAM;" "$T/nginx/"*.conf ||
				fail "could not point the upstream at $NGINX_UPSTREAM"
		fi
		# env -u NGINX: nginx reads $NGINX as inherited sockets.
		env -u NGINX "$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" \
			-e "$T/nginx/logs/error.log" </dev/null \
			>>"$T/nginx.out" 2>&1 &
		NGINX_PID=$!
		echo "$NGINX_PID" >>"$T/pids"
		HTTP=http://127.0.0.1:$HTTP_PORT
		HTTPS=https://127.0.0.1:$HTTPS_PORT
		# nginx answers within WAIT_S; the app (its socket is up) must
		# then answer /healthz 200 within 5 s. The first looks come
		# every 10 ms: nginx is up in about 0.1 s.
		n=$((WAIT_S * 20))
		quick=20
		while alive "$NGINX_PID" && [ "$n" -gt 0 ]; do
			code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' \
				"$HTTP/healthz" 2>/dev/null)
			if [ "$code" = 200 ] || { [ -n "$NGINX_ANY_ANSWER" ] &&
				[ "$code" != 000 ]; }; then
				return 0
			fi
			if [ "$code" != 000 ] && [ "$n" -gt 100 ]; then
				n=100
			fi
			if [ "$quick" -gt 0 ]; then
				quick=$((quick - 1))
				sleep 0.01
				continue
			fi
			n=$((n - 1))
			sleep 0.05
		done
		if alive "$NGINX_PID"; then
			fail "GET /healthz never answered 200 (last $code):" \
				"$(tail -n 2 "$T/nginx/logs/error.log" 2>/dev/null)"
		fi
		wait "$NGINX_PID" 2>/dev/null
		NGINX_PID=
		grep -q 'Address already in use' "$T/nginx/logs/error.log" \
			"$T/nginx.out" 2>/dev/null || break
	done
	fail "nginx did not start: $(tail -n 3 "$T/nginx/logs/error.log" \
		"$T/nginx.out" 2>/dev/null)"
}

# start_stack: the responder, then nginx; /healthz answered 200 means both
# are up and the schema is applied.
start_stack() {
	start_app
	start_nginx
}

# ------------------------------------------------------------ requests

# req METHOD URL [curl args...]: sets STATUS, BODY and the headers file
# $T/h; REQ names the request in failure messages. TLS is not verified
# (self-signed test certificate).
req() {
	local method=$1 url=$2
	shift 2
	local path=${url#*://*/}
	REQ="$method ${url%%://*} /$path"
	: >"$T/h"
	: >"$T/b"
	STATUS=$(curl -s -k -m 30 -H 'Expect:' -X "$method" -D "$T/h" \
		-o "$T/b" -w '%{http_code}' "$@" "$url")
	BODY=$(<"$T/b")
}

# post_json URL JSON [curl args...]
post_json() {
	local url=$1 body=$2
	shift 2
	req POST "$url" -H 'Content-Type: application/json' \
		--data-binary "$body" "$@"
}

# webhook JSON: as YooKassa posts it, over plain HTTP.
webhook() {
	post_json "$HTTP/v1/payments/webhook" "$1"
}

admin_get() {
	req GET "$HTTPS$1" -H "Authorization: Bearer $ADMIN_TOKEN"
}

# hdr NAME: the value of response header NAME, without CR; repeated
# headers are joined with ", " (RFC 9110 §5.3).
hdr() {
	tr -d '\r' <"$T/h" | awk -v n="$1" '
		BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i == 0) next
		  k = tolower(substr($0, 1, i - 1))
		  if (k == n) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v)
			r = (r == "" ? v : r ", " v) } }
		END { print r }'
}

# ------------------------------------------------------------ JSON

# sqlq TEXT: TEXT as an SQL string literal.
sqlq() {
	local s=${1//\'/\'\'}
	printf "'%s'" "$s"
}

# jget PATH [JSON]: json_extract of the body (or JSON); empty for null or
# missing; status 1 when the text is not JSON.
jget() {
	local j=${2-$BODY}
	sqlite3 :memory: "select json_extract($(sqlq "$j"), $(sqlq "$1"));" 2>/dev/null
}

# jtype PATH [JSON]: the JSON type at PATH ("" when missing).
jtype() {
	local j=${2-$BODY}
	sqlite3 :memory: "select json_type($(sqlq "$j"), $(sqlq "$1"));" 2>/dev/null
}

# jlen PATH [JSON]: the length of the array at PATH.
jlen() {
	local j=${2-$BODY}
	sqlite3 :memory: "select json_array_length($(sqlq "$j"), $(sqlq "$1"));" 2>/dev/null
}

jvalid() {
	local j=${1-$BODY}
	[ "$(sqlite3 :memory: "select json_valid($(sqlq "$j"));" 2>/dev/null)" = 1 ]
}

# ------------------------------------------------------------ checks

check_status() {
	[ "$STATUS" = "$1" ] ||
		fail "$REQ: expected status $1, got $STATUS body=$BODY"
}

# jfields EXPR...: one sqlite3 for what jvalid, jtype and jget would ask
# (a check makes hundreds of them in the suite): JF[0] is 1 when the body
# is JSON, JF[1..] the EXPRs over it (j), asked only when it is.
jfields() {
	local e q='json_valid(j)' out
	for e in "$@"; do
		q="$q, case when json_valid(j) then $e end"
	done
	out=$(sqlite3 -separator $'\x1f' :memory: \
		"select $q from (select $(sqlq "$BODY") as j);" 2>/dev/null)
	JF=()
	while [ "$#" -gt 0 ] && [[ $out == *$'\x1f'* ]]; do
		JF+=("${out%%$'\x1f'*}")
		out=${out#*$'\x1f'}
		shift
	done
	JF+=("$out")
}

# check_json PATH VALUE: the body is JSON and PATH holds VALUE.
check_json() {
	local got
	jfields "json_extract(j, $(sqlq "$1"))"
	[ "${JF[0]}" = 1 ] || fail "$REQ: body is not JSON: $BODY"
	got=${JF[1]}
	[ "$got" = "$2" ] ||
		fail "$REQ: expected $1 = '$2', got '$got' (body $BODY)"
}

# check_error STATUS: an error answer {"error":"<non-empty text>"}.
check_error() {
	check_status "$1"
	jfields "json_type(j, '\$.error')" "json_extract(j, '\$.error')"
	[ "${JF[0]}" = 1 ] || fail "$REQ: error body is not JSON: $BODY"
	[ "${JF[1]}" = text ] && [ -n "${JF[2]}" ] ||
		fail "$REQ: expected {\"error\":...}, got $BODY"
	check_no_store
}

check_hdr() {
	local got
	got=$(hdr "$1")
	[ "$got" = "$2" ] ||
		fail "$REQ: expected header $1: '$2', got '$got'"
}

# check_hdr_has NAME TEXT: the header is present and contains TEXT (any case).
check_hdr_has() {
	local got
	got=$(hdr "$1")
	[[ ${got,,} == *"${2,,}"* ]] ||
		fail "$REQ: expected header $1 containing '$2', got '$got'"
}

check_no_store() {
	[[ $(hdr Cache-Control) == *no-store* ]] ||
		fail "$REQ: no Cache-Control: no-store (got '$(hdr Cache-Control)')"
}

check_json_type() {
	local ct
	ct=$(hdr Content-Type)
	[[ ${ct,,} =~ ^application/json\;\ *charset=utf-8$ ]] ||
		fail "$REQ: expected Content-Type application/json; charset=utf-8, got '$ct'"
}

# ------------------------------------------------------------ database

sql() {
	sqlite3 -cmd '.timeout 5000' "$DB" "$1"
}

check_sql() {
	local got
	got=$(sql "$1" 2>&1)
	[ "$got" = "$2" ] || fail "SQL [$1]: expected '$2', got '$got'"
}

# ------------------------------------------------------------ data

iso_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# iso_days N: now + N days (N may be negative), whole seconds.
iso_days() {
	date -u -d "@$(($(date +%s) + $1 * 86400))" +%Y-%m-%dT%H:%M:%S.000Z
}

now_ms() { date +%s%3N; }

# seed_contest ID [STARTS ENDS WINDOW ACTIVE]: default a week ago .. in 30 days.
seed_contest() {
	local id=$1 s=${2:-$(iso_days -7)} e=${3:-$(iso_days 30)}
	sql "INSERT INTO contests(id, starts_at, ends_at, attribution_window_days,
		is_active) VALUES ($(sqlq "$id"), '$s', '$e', ${4:-30}, ${5:-1});"
}

# The four plans of the bot (fixtures' plan ids).
seed_plans() {
	sql "INSERT INTO plan_tickets(plan_id, tickets) VALUES
		('plan_1m', 1), ('plan_3m', 3), ('plan_6m', 6), ('plan_12m', 12);"
}

# seed_referral REFERRED REFERRER [BOUND_AT]
seed_referral() {
	sql "INSERT INTO user_referrals(referred_id, referrer_id, bound_at)
		VALUES ($1, $2, '${3:-$(iso_days -1)}');"
}

# The fixture notification, with metadata and times replaced:
# payment ORDER TG PLAN CREATED_AT [PAYMENT_ID] [AMOUNT]
payment() {
	local f=$FIXTURES/payment.succeeded.json
	sed -e "s/ord_2026_11_27_000123/$1/" \
	    -e "s/\"telegram_id\": \"123456789\"/\"telegram_id\": \"$2\"/" \
	    -e "s/\"plan_id\": \"plan_1m\"/\"plan_id\": \"$3\"/" \
	    -e "s/2026-11-27T10:51:17.000Z/$4/" \
	    -e "s/2026-11-27T10:51:18.139Z/$4/" \
	    -e "s/30c1e1a6-000f-5000-8000-1c1b1b2c3d4e/${5:-pay-$1}/g" \
	    -e "s/\"value\": \"199.00\"/\"value\": \"${6:-199.00}\"/" "$f"
}

# kept_orders PREFIX N: in KEPT_ARGS, curl's arguments for N webhooks of
# new orders PREFIX1..PREFIXN (buyer 123456789, plan_1m) sent one after
# another on one kept connection (--next); curl prints each answer's
# status code on a line of its own.
kept_orders() {
	local i
	KEPT_ARGS=()
	for i in $(seq 1 "$2"); do
		payment "$1$i" 123456789 plan_1m "$(iso_now)" >"$T/$1$i.json"
		[ "$i" = 1 ] || KEPT_ARGS+=(--next)
		KEPT_ARGS+=(-H 'Expect:' -H 'Content-Type: application/json'
			--data-binary "@$T/$1$i.json" -o /dev/null
			-w '%{http_code}\n' "$HTTP/v1/payments/webhook")
	done
}

# refund REFUND_ID PAYMENT_ID AMOUNT
refund() {
	sed -e "s/30c2a0f1-0015-5000-a000-3f4a5b6c7d8e/$1/" \
	    -e "s/30c1e1a6-000f-5000-8000-1c1b1b2c3d4e/$2/" \
	    -e "s/\"value\": \"199.00\"/\"value\": \"$3\"/" \
	    "$FIXTURES/refund.succeeded.json"
}

# award_body ORDER TG PLAN CREATED_AT [PAYMENT_ID]: a POST /v1/awards body.
award_body() {
	local p=
	[ -n "${5:-}" ] && p=",\"payment_id\":\"$5\""
	printf '{"order_id":"%s","telegram_id":%s,"plan_id":"%s","created_at":"%s"%s}' \
		"$1" "$2" "$3" "$4" "$p"
}

# ------------------------------------------------------------ award-retry

# retry [NAME=VALUE...] [ARGS...]: one run of the real award-retry on $DB
# (the NAME=VALUE words added to base_env; ARGS after --db "$DB", so a
# later --db wins). Its log goes to $T/retry.log (checked for sanitizer
# reports); RETRY_RC is its exit status, RETRY_MS how long it took.
retry() {
	local envs=() t0
	base_env
	while [[ ${1:-} == [A-Z]*=* ]]; do
		envs+=("$1")
		shift
	done
	t0=$(now_ms)
	"${BASE_ENV[@]}" "${envs[@]}" "$BIN/award-retry" --db "$DB" "$@" \
		</dev/null >>"$T/retry.log" 2>&1
	RETRY_RC=$?
	RETRY_MS=$(($(now_ms) - t0))
}

# retry_ok [NAME=VALUE...] [ARGS...]: retry, and it must exit 0.
retry_ok() {
	retry "$@"
	[ "$RETRY_RC" = 0 ] || fail "award-retry $*: exit $RETRY_RC:" \
		"$(tail -n 2 "$T/retry.log")"
}

# ------------------------------------------------------------ locks

# lock_db FILE: another process (sqlite3 in the background) holds FILE's
# write lock (BEGIN EXCLUSIVE) until unlock_db; returns once a writer
# finds it locked. A held lock works for root too (file modes do not).
lock_db() {
	local n=100
	LOCK_FILE=$1
	rm -f "$T/lock.fifo"
	mkfifo "$T/lock.fifo"
	sqlite3 "$LOCK_FILE" <"$T/lock.fifo" >"$T/lock.out" 2>&1 &
	LOCK_PID=$!
	PIDS+=("$LOCK_PID")
	exec 7>"$T/lock.fifo"
	printf '.timeout 5000\nBEGIN EXCLUSIVE;\n' >&7
	while sqlite3 -cmd '.timeout 0' "$LOCK_FILE" \
		'BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] ||
			fail "could not lock $LOCK_FILE: $(cat "$T/lock.out")"
		sleep 0.05
	done
}

unlock_db() {
	echo 'ROLLBACK;' >&7
	exec 7>&-
	wait "$LOCK_PID"
	forget_pid "$LOCK_PID"
	LOCK_PID=
}

# ------------------------------------------------------------ edge helpers

# raw_http PORT DATA [SECONDS]: DATA (printf %b escapes) sent as it is to
# 127.0.0.1:PORT; RAW gets what came back (CR removed) until the server
# closed or SECONDS (default 5) passed, RAW_MS how long that took. DATA
# goes out in one write (cat of a file; bash's printf writes line by line):
# nginx closes at once on a bad request line, and a line arriving after
# that close would reset the connection before its answer is read.
raw_http() {
	local t0
	printf '%b' "$2" >"$T/raw.req"
	t0=$(now_ms)
	RAW=$(timeout "${3:-5}" bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		cat "$2" >&3
		cat <&3' _ "$1" "$T/raw.req" 2>/dev/null | tr -d '\r')
	RAW_MS=$(($(now_ms) - t0))
}

# raw_body: the body of the answer in RAW (after the first empty line).
raw_body() {
	sed '1,/^$/d' <<<"$RAW"
}

# nonloopback_addr: a local IPv4 address outside 127.0.0.0/8, or nothing.
nonloopback_addr() {
	local a
	for a in $(hostname -I 2>/dev/null); do
		[[ $a =~ ^[0-9.]+$ ]] && [[ $a != 127.* ]] &&
			{ echo "$a"; return 0; }
	done
	return 0
}

# check_json_lines FILE: every line of FILE is UTF-8 and a JSON object
# with ts, level and msg, by Python's strict decoder (no raw controls, no
# invalid UTF-8); fails naming the first bad line.
check_json_lines() {
	local out
	command -v python3 >/dev/null || fail "python3 is needed to check $1"
	out=$(python3 -c '
import json, sys
for n, raw in enumerate(open(sys.argv[1], "rb"), 1):
    try:
        o = json.loads(raw.decode("utf-8", "strict"), strict=True)
        assert isinstance(o, dict), "not an object"
        for k in ("ts", "level", "msg"):
            assert isinstance(o.get(k), str), "no " + k
    except Exception as e:
        print("line %d: %s: %r" % (n, e, raw[:200]))
        sys.exit(1)
' "$1" 2>&1) || fail "$1: $out"
}
