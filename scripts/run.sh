#!/usr/bin/env bash
# award — `make run` (SPEC.md §9): a demo of the whole service on 127.0.0.1.
# Creates var/ (git-ignored) with a demo database, a self-signed certificate
# and random tokens, starts the responder and a private nginx rendered from
# the shipped nginx/ config, prints the URLs and ready curl commands, and
# waits. Ctrl-C (or SIGTERM) stops both, by pid. Not a way to deploy: see
# nginx/award.conf and docs/deploy.md for production.
#
# Environment:
#   AWARD_BIN_DIR        the build directory (default build)
#   AWARD_HTTP_PORT      HTTP port (default 8080): webhook, bot API
#   AWARD_HTTPS_PORT     HTTPS port (default 8443): the same plus admin
#   AWARD_DB             the database; by default var/award.db, which gets
#                        the demo data (a database you name is not touched)
#   AWARD_RUN_DIR        where the demo's files go (default var/)
#   AWARD_WEBHOOK_ALLOW  default: YooKassa's ranges plus loopback, so the
#                        printed curl is accepted; nginx gets the same list
#   other AWARD_* settings (SPEC.md §7) pass through to the responder.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# The demo reads no installed configuration unless AWARD_CONFIG names one.
export AWARD_CONFIG="${AWARD_CONFIG-}"

die() { echo "make run: $*" >&2; exit 1; }

BIN=${AWARD_BIN_DIR:-build}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
HTTP_PORT=${AWARD_HTTP_PORT:-8080}
HTTPS_PORT=${AWARD_HTTPS_PORT:-8443}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
YOOKASSA="185.71.76.0/27, 185.71.77.0/27, 77.75.153.0/25, 77.75.156.11/32, 77.75.156.35/32, 77.75.154.128/25, 2a02:5180::/32"

for t in curl sqlite3 openssl; do
	command -v "$t" >/dev/null || die "$t is missing (make deps)"
done
[ -x "$NGINX" ] || die "nginx is missing (make deps)"
[ -x "$BIN/award-fcgi" ] || die "$BIN/award-fcgi is not built (make)"

# listening PORT: something listens on PORT already (/proc, no extra tools).
listening() {
	local sl addr rem st rest
	while read -r sl addr rem st rest; do
		[ "$st" = 0A ] && [ "$((16#${addr##*:}))" = "$1" ] && return 0
	done < <(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	return 1
}
for p in "$HTTP_PORT" "$HTTPS_PORT"; do
	[[ $p =~ ^[0-9]+$ ]] || die "bad port: $p"
	! listening "$p" ||
		die "port $p is in use (set AWARD_HTTP_PORT / AWARD_HTTPS_PORT)"
done

VAR=${AWARD_RUN_DIR:-$ROOT/var}
mkdir -p "$VAR"
chmod 700 "$VAR"

# ---------------------------------------------------------------- secrets
# A token given as AWARD_*_TOKEN or AWARD_*_TOKEN_FILE is used as it is;
# otherwise a random one is kept in var/<name>.token. The responder always
# reads a file (AWARD_*_TOKEN_FILE), so the token stays out of its env.
umask 077
token() {	# token PREFIX NAME: exports PREFIX_FILE, sets TOKEN
	local prefix=$1 name=$2 fvar=${1}_FILE file val
	file=${!fvar:-}
	val=${!prefix:-}
	if [ -z "$file" ]; then
		file=$VAR/$name.token
		if [ -n "$val" ]; then
			printf '%s\n' "$val" >"$file"
		elif [ ! -s "$file" ]; then
			openssl rand -hex 32 >"$file"
		fi
		chmod 600 "$file"
	fi
	[ -r "$file" ] || die "$fvar: cannot read $file"
	export "$fvar=$file"
	TOKEN=$(tr -d '[:space:]' <"$file")
}
token AWARD_ADMIN_TOKEN admin
ADMIN_TOKEN=$TOKEN
token AWARD_SERVICE_TOKEN service
SERVICE_TOKEN=$TOKEN

CERT=$VAR/tls.crt
KEY=$VAR/tls.key
if [ ! -s "$CERT" ] || [ ! -s "$KEY" ] ||
	! openssl x509 -checkend 86400 -noout -in "$CERT" >/dev/null 2>&1; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 30 -subj "/CN=award demo" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$KEY" -out "$CERT" >"$VAR/openssl.log" 2>&1 ||
		die "openssl: $(tail -n 1 "$VAR/openssl.log")"
fi
umask 022

# ---------------------------------------------------------------- settings
DEMO_DB=
if [ -z "${AWARD_DB:-}" ]; then
	AWARD_DB=$VAR/award.db
	DEMO_DB=1
fi
export AWARD_DB
export AWARD_WEBHOOK_ALLOW=${AWARD_WEBHOOK_ALLOW-$YOOKASSA, 127.0.0.0/8, ::1/128}
# The demo's sample notification comes from a test shop ("test": true), as
# a shop's first notifications do: the demo accepts them (SPEC.md §7).
export AWARD_ACCEPT_TEST_PAYMENTS=1
unset AWARD_ADMIN_TOKEN AWARD_SERVICE_TOKEN AWARD_LISTEN

# A unix socket path holds at most 107 bytes.
SOCK=$VAR/award-fcgi.sock
if [ "${#SOCK}" -gt 100 ]; then
	SOCK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/award-run.XXXXXX")
	SOCK=$SOCK_DIR/award-fcgi.sock
fi

# ---------------------------------------------------------------- start
APP_PID=
NGINX_PID=

alive() {
	local line
	{ read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
	line=${line##*) }
	[ "${line%% *}" != Z ]
}

# stop PID NAME: TERM, up to 10 s, then KILL; reaps it.
stop() {
	local pid=$1 n=200
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	while alive "$pid" && [ "$n" -gt 0 ]; do
		sleep 0.05
		n=$((n - 1))
	done
	if alive "$pid"; then
		echo "make run: $2 did not stop in 10 s; killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

stop_all() {
	trap - INT TERM EXIT
	stop "$NGINX_PID" nginx
	stop "$APP_PID" award-fcgi
	[ -z "${SOCK_DIR:-}" ] || rm -rf "$SOCK_DIR"
}
trap 'stop_all' EXIT
# Ctrl-C and SIGTERM are how the demo is meant to end: stop both and exit
# 0, so that make does not report an error (make: *** ... Error 130/143).
trap 'stop_all; exit 0' INT TERM

"$BIN/award-fcgi" --listen "unix:$SOCK" </dev/null &
APP_PID=$!
for _ in $(seq 1 200); do
	[ -S "$SOCK" ] && break
	alive "$APP_PID" || die "award-fcgi exited at start (its message is above)"
	sleep 0.05
done
[ -S "$SOCK" ] || die "award-fcgi made no socket at $SOCK"

bash "$ROOT/nginx/render.sh" --prefix "$VAR/nginx" --socket "$SOCK" \
	--cert "$CERT" --key "$KEY" --http-port "$HTTP_PORT" \
	--https-port "$HTTPS_PORT"
"$NGINX" -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" \
	-e "$VAR/nginx/logs/error.log" </dev/null &
NGINX_PID=$!
code=000
for _ in $(seq 1 200); do
	code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' \
		"http://127.0.0.1:$HTTP_PORT/healthz" 2>/dev/null) || true
	[ "$code" = 200 ] && break
	alive "$NGINX_PID" ||
		die "nginx exited: $(tail -n 2 "$VAR/nginx/logs/error.log" 2>/dev/null)"
	sleep 0.05
done
[ "$code" = 200 ] || die "GET /healthz answered $code"

# ---------------------------------------------------------------- demo data
iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%S.000Z; }
if [ -n "$DEMO_DB" ]; then
	sqlite3 -cmd '.timeout 5000' "$AWARD_DB" <<EOF || die "demo data failed"
BEGIN IMMEDIATE;
INSERT INTO contests(id, starts_at, ends_at, attribution_window_days, is_active)
VALUES ('demo', '$(iso '-7 days')', '$(iso '+30 days')', 30, 1)
ON CONFLICT(id) DO UPDATE SET starts_at = excluded.starts_at,
	ends_at = excluded.ends_at, is_active = 1;
INSERT INTO plan_tickets(plan_id, tickets)
VALUES ('plan_1m', 1), ('plan_3m', 3), ('plan_6m', 6), ('plan_12m', 12)
ON CONFLICT(plan_id) DO UPDATE SET tickets = excluded.tickets;
INSERT INTO user_referrals(referred_id, referrer_id, bound_at)
VALUES (123456789, 111111111, '$(iso '-1 day')')
ON CONFLICT(referred_id) DO NOTHING;
COMMIT;
EOF
fi

# ---------------------------------------------------------------- banner
now=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
order=ord_demo_$(date -u +%Y%m%d_%H%M%S)_$RANDOM
pay=$(openssl rand -hex 16 | sed 's/^\(.\{8\}\)\(.\{4\}\)\(.\{4\}\)\(.\{4\}\)/\1-\2-\3-\4-/')
sample='{"type":"notification","event":"payment.succeeded","object":{"id":"'$pay'","status":"succeeded","amount":{"value":"199.00","currency":"RUB"},"income_amount":{"value":"192.03","currency":"RUB"},"description":"VPN, 1 month","payment_method":{"type":"bank_card","id":"'$pay'","saved":false,"title":"Bank card *4444"},"captured_at":"'$now'","created_at":"'$now'","test":true,"paid":true,"refundable":true,"metadata":{"order_id":"'$order'","telegram_id":"123456789","plan_id":"plan_1m","created_at":"'$now'","cms_name":"vpn_bot"}}}'
H=http://127.0.0.1:$HTTP_PORT
S=https://127.0.0.1:$HTTPS_PORT
db_shown=${AWARD_DB#"$ROOT/"}
bin_shown=${BIN#"$ROOT/"}
# AWARD_CONFIG= : an installed /etc/award/award.conf stays out of the demo.
retry_cmd="AWARD_CONFIG= $bin_shown/award-retry --db $db_shown"
[ -z "${AWARD_BOT_DB:-}" ] || retry_cmd="$retry_cmd --bot-db ${AWARD_BOT_DB#"$ROOT/"}"

cat <<EOF

award is running (responder pid $APP_PID, nginx pid $NGINX_PID)
  HTTP  $H   webhook, bot API, /healthz
  HTTPS $S  the same plus admin (self-signed: curl -k)
  dashboard      $S/v1/admin/dashboard
                 (browser: any user name, the admin token as password)
  admin token    $ADMIN_TOKEN   ($AWARD_ADMIN_TOKEN_FILE)
  service token  $SERVICE_TOKEN   ($AWARD_SERVICE_TOKEN_FILE)
  database       $db_shown$([ -n "$DEMO_DB" ] && echo "  (demo: contest 'demo', plans plan_1m..plan_12m, user 123456789 invited by 111111111)")
  webhook allow  $AWARD_WEBHOOK_ALLOW
  nginx logs     ${VAR#"$ROOT/"}/nginx/logs/   responder log: below

A YooKassa payment.succeeded notification (again: "duplicate"):
  curl -sS -H 'Content-Type: application/json' --data-binary '$sample' $H/v1/payments/webhook

The retry queue and totals:
  curl -sSk -H "Authorization: Bearer $ADMIN_TOKEN" $S/v1/admin/award-retry-stats

The referrer's tickets:
  curl -sS -H "Authorization: Bearer $SERVICE_TOKEN" $H/v1/users/111111111/tickets

A retry run over the queue (cron runs it every five minutes; from $ROOT):
  $retry_cmd --force

Ctrl-C stops both.
EOF

# ---------------------------------------------------------------- wait
# Until Ctrl-C / SIGTERM (the traps exit; the EXIT trap stops both) or one
# of the two ends by itself.
set +e
wait -n "$APP_PID" "$NGINX_PID"
rc=$?
# Ctrl-C reaches the whole process group: a child that stopped on it (or
# on SIGTERM) exits 0, sometimes before this shell's trap runs. Neither
# exits 0 by itself: that is the demo's end, not a failure.
if [ "$rc" = 0 ]; then
	stop_all
	exit 0
fi
if ! alive "$APP_PID"; then
	echo "make run: award-fcgi exited ($rc); stopping nginx" >&2
else
	echo "make run: nginx exited ($rc): $(tail -n 2 "$VAR/nginx/logs/error.log")" >&2
fi
exit 1
