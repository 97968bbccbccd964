# award — integration: the edge (SPEC.md §5, §8): log lines that
# are always JSON, nginx's limits on floods, the bot API on plain HTTP only
# from loopback, nginx's own error answers in JSON, and an access log
# without query strings.
#
# Addresses: nginx listens on 127.0.0.1, and the tests' allow list is
# 127.0.0.1/32 and ::1/128 (lib.sh's LOOPBACK_ALLOW), so 127.0.0.1 plays
# YooKassa (allowed, never limited) and 127.0.0.2 — another loopback
# address, routed to the same host — plays a stranger (limited). The bot
# API's loopback check is fixed in the shipped config (127.0.0.0/8, ::1), so
# a stranger there needs a local address outside 127/8: the machine's own
# (hostname -I), from which curl connects to 127.0.0.1.

STRANGER=127.0.0.2

# ------------------------------------------------------------ config

# The shipped config renders (shipped allow list or AWARD_WEBHOOK_ALLOW's,
# with and without short client timeouts) and passes nginx -t; the rendered
# site has what the other tests rely on.
it edge_nginx_config_valid
t_edge_nginx_config_valid() {
	local d http https c
	for d in shipped loopback short; do
		case $d in
		shipped) env -u AWARD_WEBHOOK_ALLOW bash "$ROOT/nginx/render.sh" \
			--prefix "$T/$d" --socket "$T/s.sock" --cert "$CERT" \
			--key "$KEY" 2>"$T/render.err" ;;
		loopback) AWARD_WEBHOOK_ALLOW=$LOOPBACK_ALLOW \
			bash "$ROOT/nginx/render.sh" --prefix "$T/$d" \
			--socket "$T/s.sock" --cert "$CERT" --key "$KEY" \
			2>"$T/render.err" ;;
		short) AWARD_NGINX_CLIENT_TIMEOUT=3 \
			bash "$ROOT/nginx/render.sh" --prefix "$T/$d" \
			--socket "$T/s.sock" --cert "$CERT" --key "$KEY" \
			2>"$T/render.err" ;;
		esac || fail "render.sh ($d): $(cat "$T/render.err")"
		env -u NGINX "$NGINX" -t -p "$T/$d" -c "$T/$d/nginx.conf" \
			-e "$T/$d/logs/error.log" >"$T/$d.t" 2>&1 ||
			fail "nginx -t ($d): $(tail -n 3 "$T/$d.t")"
	done
	# The shipped allow list, in geo syntax, is the one in use.
	for c in 185.71.76.0/27 185.71.77.0/27 77.75.153.0/25 77.75.156.11/32 \
		77.75.156.35/32 77.75.154.128/25 2a02:5180::/32; do
		grep -qx "$c 1;" "$T/shipped/webhook_allow.conf" ||
			fail "shipped allow list lacks $c"
	done
	grep -q '127' "$T/shipped/webhook_allow.conf" &&
		fail "the shipped allow list allows loopback"
	[ "$(grep -c ' 1;$' "$T/loopback/webhook_allow.conf")" = 2 ] ||
		fail "AWARD_WEBHOOK_ALLOW not rendered: $(cat "$T/loopback/webhook_allow.conf")"
	grep -q 'include .*/webhook_allow.conf;' "$T/shipped/award.conf" ||
		fail "the geo block does not read the allow list"
	[ "$(grep -c 'client_header_timeout 3s;' "$T/short/award.conf")" = 2 ] &&
		[ "$(grep -c 'client_body_timeout 3s;' "$T/short/award.conf")" = 2 ] ||
		fail "--client-timeout not applied to both servers"
	[ "$(grep -c 'client_header_timeout 10s;' "$T/shipped/award.conf")" = 2 ] ||
		fail "the shipped header timeout is not 10s in both servers"
	# Server by server: the bot API on :80 is loopback only, on :443 not;
	# both servers are limited.
	http=$(awk '/^# -+ HTTP$/,/^# -+ HTTPS$/' "$T/shipped/award.conf")
	https=$(awk '/^# -+ HTTPS$/,0' "$T/shipped/award.conf")
	[ -n "$http" ] && [ -n "$https" ] || fail "server sections not found"
	for c in 'location = /v1/awards' 'location /v1/users/'; do
		awk -v l="$c {" '$0 ~ "^\t" l { on = 1; next }
			on && /^\t}/ { exit }
			on { gsub(/^[ \t]+/, ""); printf "%s ", $0 }' \
			<<<"$http" >"$T/loc"
		[[ $(<"$T/loc") == *"allow 127.0.0.0/8; allow ::1; deny all; "* ]] ||
			fail ":80 $c is not loopback only: $(<"$T/loc")"
		grep -q "$c" <<<"$https" &&
			fail ":443 restricts $c (HTTPS serves it from anywhere)"
	done
	for c in 'limit_conn award_conn' 'limit_req zone=award_req' \
		'error_page 400 494' 'error_page 405' 'error_page 429'; do
		grep -q "$c" <<<"$http" || fail ":80 lacks '$c'"
		grep -q "$c" <<<"$https" || fail ":443 lacks '$c'"
	done
	grep -q '"\$request"' "$T/shipped/award.conf" &&
		fail "the access log format still writes \$request"
	# Drift between award.conf and render.sh is an error.
	sed 's/client_header_timeout 10s;/client_header_timeout 11s;/' \
		"$ROOT/nginx/award.conf" >"$T/drift.conf"
	mkdir -p "$T/drift"
	cp "$ROOT/nginx/render.sh" "$ROOT/nginx/award_fastcgi_params" \
		"$ROOT/nginx/webhook_allow.conf" "$ROOT/nginx/limits.conf" "$T/drift/"
	cp "$T/drift.conf" "$T/drift/award.conf"
	AWARD_NGINX_CLIENT_TIMEOUT=3 bash "$T/drift/render.sh" \
		--prefix "$T/drift/out" --socket "$T/s.sock" --cert "$CERT" \
		--key "$KEY" 2>"$T/drift.err" &&
		fail "render.sh accepted a config without 'client_header_timeout 10s;'"
	grep -q 'client_header_timeout 10s' "$T/drift.err" ||
		fail "render.sh drift error: $(cat "$T/drift.err")"
}

# ------------------------------------------------------------ item 8: logs

# edge_pay ORDER_ID PLAN_ID: a payment.succeeded notification with these
# two strings put in as they are (bytes, escapes and all).
edge_pay() {
	printf '{"type":"notification","event":"payment.succeeded","object":{"id":"p-%s","status":"succeeded","amount":{"value":"199.00","currency":"RUB"},"paid":true,"created_at":"%s","metadata":{"order_id":"%s","telegram_id":"123456789","plan_id":"%s"}}}' \
		"$RANDOM$RANDOM" "$(iso_now)" "$1" "$2"
}

# Invalid UTF-8 and controls in the path and in a webhook's order_id: every
# line of the responder's log still parses as strict JSON, and the request
# lines are there (not dropped), with the bad bytes escaped.
it edge_log_lines_json
t_edge_log_lines_json() {
	local p
	start_stack
	seed_contest c1
	seed_plans
	for p in '/%ff%fe%c3' '/%c0%af' '/%ed%a0%80' '/%f4%90%80%80' \
		'/a%0a%1b%7f%c2%9b' '/%e2%80%a8%22%5c' '/v1/users/%ff/tickets'; do
		req GET "$HTTP$p" -H "Authorization: Bearer $SERVICE_TOKEN"
		[[ $STATUS == [45]0[0-9] ]] || fail "$REQ: status $STATUS"
	done
	# Raw invalid bytes (and a lone surrogate escape) inside the JSON
	# strings of a notification.
	webhook "$(edge_pay "ord-$(printf '\xff\xfe\xc3')" plan_1m)"
	check_error 400
	webhook "$(edge_pay 'ord-\udc00' "plan_$(printf '\xed\xa0\x80\x01')")"
	check_error 400
	post_json "$HTTP/v1/awards" "$(award_body "o$(printf '\xc0\xaf')" 5 \
		plan_1m "$(iso_now)")" -H "Authorization: Bearer $SERVICE_TOKEN"
	check_error 400
	webhook "$(payment ord-ok 123456789 plan_1m "$(iso_now)")"
	check_json '$.award' awarded
	sleep 0.3
	check_json_lines "$T/fcgi.log"
	python3 -c '
import json, sys
paths = [json.loads(l).get("path") for l in open(sys.argv[1], "rb")]
for want in ("/\u00ff\u00fe\u00c3", "/\u00c0\u00af", "/\u00ed\u00a0\u0080",
             "/a\n\u001b\u007f\u009b", "/\u2028\"\\"):
    if want not in paths:
        print("no request line with path %r" % want)
        sys.exit(1)
' "$T/fcgi.log" >"$T/paths.out" 2>&1 ||
		fail "fcgi.log: $(cat "$T/paths.out")"
	grep -q '"msg":"bad request"' "$T/fcgi.log" ||
		fail "no bad request line for the invalid order_id"
}

# ------------------------------------------------------------ item 7: access log

# A token in a query string never reaches the access log (nor the app's
# log); the method and the path do.
it edge_access_log_no_query
t_edge_access_log_no_query() {
	start_stack
	req GET "$HTTP/healthz?token=SECRET1a2b"
	check_status 200
	req GET "$HTTP/v1/users/5/tickets?contest_id=c1&access_token=SECRET3c4d" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	req GET "$HTTPS/v1/admin/award-retry-stats?token=SECRET5e6f" \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	check_status 200
	req GET "$HTTP/nope?x=1&token=SECRET7g8h"
	check_error 404
	sleep 0.3
	grep -q SECRET "$T/nginx/logs/access.log" &&
		fail "access log: $(grep SECRET "$T/nginx/logs/access.log" | head -n 1)"
	grep -q SECRET "$T/fcgi.log" &&
		fail "fcgi.log: $(grep SECRET "$T/fcgi.log" | head -n 1)"
	grep -q '"GET /healthz HTTP/1.1" 200 ' "$T/nginx/logs/access.log" ||
		fail "no 'GET /healthz' line: $(tail -n 4 "$T/nginx/logs/access.log")"
	grep -q '"GET /v1/users/5/tickets HTTP/1.1" ' "$T/nginx/logs/access.log" ||
		fail "no users line: $(tail -n 4 "$T/nginx/logs/access.log")"
	grep -q '"GET /nope HTTP/1.1" 404 ' "$T/nginx/logs/access.log" ||
		fail "no 404 line: $(tail -n 4 "$T/nginx/logs/access.log")"
}

# ------------------------------------------------------------ item 6: bot API

# The bot API on :80 from loopback is served; from an address outside
# 127/8 it is refused by nginx (403 JSON, the app never sees it, nothing
# awarded) while the same request over HTTPS is served.
it edge_bot_api_http_loopback_only
t_edge_bot_api_http_loopback_only() {
	local ext
	start_stack
	seed_contest c1
	seed_plans
	post_json "$HTTP/v1/awards" "$(award_body ord-lo 5 plan_1m "$(iso_now)")" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_status 200
	check_json '$.award' awarded
	req GET "$HTTP/v1/users/5/tickets?contest_id=c1" \
		-H "Authorization: Bearer $SERVICE_TOKEN"
	check_status 200
	check_json '$.tickets' 1
	ext=$(nonloopback_addr)
	if [ -z "$ext" ]; then
		# Only the rendered config can show the refusal here
		# (edge_nginx_config_valid checks it).
		echo "edge_bot_api_http_loopback_only: no local address" \
			"outside 127/8; refusal checked on the config only" >&2
		return 0
	fi
	post_json "$HTTP/v1/awards" "$(award_body ord-ext 6 plan_1m "$(iso_now)")" \
		-H "Authorization: Bearer $SERVICE_TOKEN" --interface "$ext"
	check_error 403
	check_json_type
	check_json '$.error' 'the bot API is served over HTTPS only (or to this host)'
	req GET "$HTTP/v1/users/5/tickets?contest_id=c1" \
		-H "Authorization: Bearer $SERVICE_TOKEN" --interface "$ext"
	check_error 403
	check_json_type
	# Still served over HTTP from there: /healthz. Over HTTPS: the API.
	req GET "$HTTP/healthz" --interface "$ext"
	check_status 200
	post_json "$HTTPS/v1/awards" "$(award_body ord-ext2 6 plan_1m "$(iso_now)")" \
		-H "Authorization: Bearer $SERVICE_TOKEN" --interface "$ext"
	check_status 200
	check_json '$.award' awarded
	req GET "$HTTPS/v1/users/6/tickets?contest_id=c1" \
		-H "Authorization: Bearer $SERVICE_TOKEN" --interface "$ext"
	check_status 200
	check_json '$.tickets' 1
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-ext'" 0
	# The app saw the three served requests from there, not the refused.
	sleep 0.2
	[ "$(grep -c '"remote_addr":"'"$ext"'"' "$T/fcgi.log")" = 3 ] ||
		fail "expected 3 requests from $ext in the app log (healthz, 2 over HTTPS):" \
			"$(grep -c "$ext" "$T/fcgi.log")"
}

# ------------------------------------------------------------ item 6: floods

# A stranger's burst: beyond the burst of 100 it gets JSON 429s, while the allowed
# source's webhooks during the flood and its own burst right after are all
# answered by the app (the allow list's sources have no limit key).
it edge_flood_rate_limited
t_edge_flood_rate_limited() {
	local i n429 n200 line n fpid
	start_stack
	seed_contest c1
	seed_plans
	mkdir "$T/fl" "$T/ok"
	for i in $(seq 1 600); do
		printf 'url = "%s"\noutput = "%s"\n' "$HTTP/healthz?n=$i" "$T/fl/$i"
	done >"$T/fl.cfg"
	# 10 at a time: below the connection limit, so each 429 is the rate.
	curl -s -m 60 -Z --parallel-max 10 --interface "$STRANGER" \
		-w '%{http_code} %header{cache-control} %header{retry-after} %{url_effective} %{content_type}\n' \
		-K "$T/fl.cfg" >"$T/fl.codes" 2>"$T/fl.err" &
	fpid=$!
	PIDS+=("$fpid")
	# YooKassa (127.0.0.1) delivers during the flood.
	for i in $(seq 1 15); do
		webhook "$(payment "ord-fl$i" 123456789 plan_1m "$(iso_now)")"
		check_status 200
		check_json '$.award' awarded
	done
	wait "$fpid"
	forget_pid "$fpid"
	n429=$(grep -c '^429 ' "$T/fl.codes")
	n200=$(grep -c '^200 ' "$T/fl.codes")
	[ "$n429" -ge 100 ] && [ "$n200" -ge 100 ] ||
		fail "600 requests from $STRANGER: $n200 x 200, $n429 x 429:" \
			"$(cut -d' ' -f1 "$T/fl.codes" | sort | uniq -c | tr '\n' ' ')"
	line=$(grep -m 1 '^429 ' "$T/fl.codes")
	REQ="GET http /healthz from $STRANGER (limited)"
	n=${line##*n=}
	n=${n%% *}
	BODY=$(<"$T/fl/$n")
	check_json '$.error' 'too many requests'
	[[ $line == "429 no-store 1 "*" application/json; charset=utf-8" ]] ||
		fail "$REQ: headers: $line"
	# The allowed source's own burst is not limited at all.
	for i in $(seq 1 600); do
		printf 'url = "%s"\noutput = "%s"\n' "$HTTP/healthz?n=$i" "$T/ok/$i"
	done >"$T/ok.cfg"
	curl -s -m 60 -Z --parallel-max 40 -w '%{http_code}\n' -K "$T/ok.cfg" \
		>"$T/ok.codes" 2>/dev/null
	[ "$(grep -c '^200$' "$T/ok.codes")" = 600 ] ||
		fail "600 requests from 127.0.0.1 (allowed):" \
			"$(sort "$T/ok.codes" | uniq -c | tr '\n' ' ')"
	# The stranger is not the webhook's source either way.
	post_json "$HTTP/v1/payments/webhook" \
		"$(payment ord-st 123456789 plan_1m "$(iso_now)")" \
		--interface "$STRANGER"
	[ "$STATUS" = 403 ] || [ "$STATUS" = 429 ] ||
		fail "webhook from $STRANGER: $STATUS $BODY"
	check_sql "select count(*) from ticket_ledger
		where reason = 'SELF_PURCHASE' and order_id like 'ord-fl%'" 15
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-st'" 0
}

# hold_conns ADDR N PORT: N connections from ADDR, each a POST whose body
# never comes (headers sent, 1 byte of 100), held open in the background
# (HOLD_PID). $T/hold.out gets "held N" once all are sent, then "closed
# K" for each one the server closed.
hold_conns() {
	perl -MIO::Socket::INET -e '
		$| = 1;
		my ($addr, $n, $port) = @ARGV;
		my @s;
		for (1 .. $n) {
			my $c = IO::Socket::INET->new(LocalAddr => $addr,
			    PeerAddr => "127.0.0.1", PeerPort => $port,
			    Proto => "tcp") or die "connect: $!\n";
			print $c "POST /healthz HTTP/1.1\r\nHost: x\r\n" .
			    "Content-Type: application/json\r\n" .
			    "Content-Length: 100\r\n\r\n{";
			push @s, $c;
		}
		print "held $n\n";
		my $closed = 0;
		for my $c (@s) {
			my $buf;
			sysread($c, $buf, 4096);
			$closed++;
			print "closed $closed\n";
		}
		sleep 30;
	' "$1" "$2" "$3" >"$T/hold.out" 2>&1 &
	HOLD_PID=$!
	PIDS+=("$HOLD_PID")
}

# limit_conn: a stranger holding 20 requests in progress (bodies that
# never come) gets a JSON 429 on the 21st while the allowed source is
# served; the short body timeout (rendered to 3 s here) then drops the held
# requests and frees the stranger's slots.
it edge_flood_conn_limited
t_edge_flood_conn_limited() {
	local n
	export AWARD_NGINX_CLIENT_TIMEOUT=3
	start_stack
	hold_conns "$STRANGER" 20 "$HTTP_PORT"
	n=100
	until grep -q '^held 20$' "$T/hold.out"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "could not hold 20 connections: $(cat "$T/hold.out")"
		sleep 0.05
	done
	sleep 0.3
	req GET "$HTTP/healthz" --interface "$STRANGER"
	check_error 429
	check_json_type
	check_json '$.error' 'too many requests'
	req GET "$HTTP/healthz"
	check_status 200
	webhook "$(payment ord-cl 123456789 plan_1m "$(iso_now)")"
	[ "$STATUS" = 200 ] || fail "$REQ from the allowed source: $STATUS $BODY"
	# The body timeout closes all 20 within a few seconds.
	n=$((10 * 20))
	until grep -q '^closed 20$' "$T/hold.out"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "held requests not closed after 10 s: $(tail -n 1 "$T/hold.out")"
		sleep 0.05
	done
	req GET "$HTTP/healthz" --interface "$STRANGER"
	check_status 200
	grep -q '"POST /healthz HTTP/1.1" 408 ' "$T/nginx/logs/access.log" ||
		fail "no 408 for the held requests in the access log"
}

# ------------------------------------------------------------ item 6: JSON errors

# nginx's own answers to malformed requests are JSON with the JSON content
# type and no-store, on both servers.
it edge_nginx_errors_json
t_edge_nginx_errors_json() {
	local long
	start_stack
	edge_raw_json() {	# edge_raw_json PORT DATA STATUS
		raw_http "$1" "$2"
		REQ="raw $(printf '%b' "$2" | head -n 1 | cut -c1-40)"
		[[ $(head -n 1 <<<"$RAW") == "HTTP/1.1 $3 "* ]] ||
			fail "$REQ: expected $3, got: $(head -n 1 <<<"$RAW")"
		grep -qi '^content-type: application/json; charset=utf-8$' <<<"$RAW" ||
			fail "$REQ: content type: $(grep -i '^content-type' <<<"$RAW")"
		grep -qi '^cache-control: no-store$' <<<"$RAW" ||
			fail "$REQ: no Cache-Control: no-store"
		BODY=$(raw_body)
		jvalid || fail "$REQ: body is not JSON: $BODY"
		[ -n "$(jget '$.error')" ] || fail "$REQ: no error: $BODY"
	}
	edge_raw_json "$HTTP_PORT" 'GARBAGE\r\n\r\n' 400
	edge_raw_json "$HTTP_PORT" 'GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n' 400
	edge_raw_json "$HTTP_PORT" 'GET /%00 HTTP/1.1\r\nHost: a\r\n\r\n' 400
	edge_raw_json "$HTTP_PORT" 'TRACE / HTTP/1.1\r\nHost: a\r\n\r\n' 405
	edge_raw_json "$HTTP_PORT" 'GET / HTTP/2.0\r\nHost: a\r\n\r\n' 505
	edge_raw_json "$HTTP_PORT" 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n' 501
	edge_raw_json "$HTTP_PORT" 'GET /_award_error/400 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' 404
	long=$(printf 'a%.0s' $(seq 1 9000))
	edge_raw_json "$HTTP_PORT" "GET /$long HTTP/1.1\r\nHost: a\r\n\r\n" 414
	edge_raw_json "$HTTP_PORT" "GET / HTTP/1.1\r\nHost: a\r\nX: $long\r\n\r\n" 400
	# Plain HTTP to the HTTPS port.
	edge_raw_json "$HTTPS_PORT" 'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n' 400
	# Through TLS (curl), with HSTS.
	req GET "$HTTPS/healthz" --request-target 'bad target'
	check_error 400
	check_json_type
	check_hdr_has Strict-Transport-Security max-age=
	req TRACE "$HTTPS/healthz"
	check_error 405
	check_json_type
	check_hdr Allow "GET, HEAD"
	# nginx's own 405 names the methods too (SPEC.md §5: 405 with Allow).
	req TRACE "$HTTP/v1/payments/webhook"
	check_error 405
	check_hdr Allow POST
	req TRACE "$HTTPS/v1/admin/failed-awards/7/ack"
	check_error 405
	check_hdr Allow POST
	req GET "$HTTP/healthz" --request-target 'no-slash'
	check_error 400
	check_json_type
	# The app's own answers are untouched.
	req GET "$HTTP/nope"
	check_error 404
	check_json_type
	req POST "$HTTP/healthz" --data-binary ''
	check_error 405
	check_hdr_has Allow GET
}

# A client that never finishes its header is dropped after
# client_header_timeout (rendered to 2 s here instead of 10 s). nginx sends
# no 408 answer at all (it closes the connection): whatever arrives must
# not be HTML, and the access log shows the 408.
it edge_slow_header_dropped
t_edge_slow_header_dropped() {
	export AWARD_NGINX_CLIENT_TIMEOUT=2
	start_stack
	raw_http "$HTTP_PORT" 'GET /healthz HTTP/1.1\r\nHost: a\r\n' 8
	[ "$RAW_MS" -ge 1500 ] && [ "$RAW_MS" -lt 6000 ] ||
		fail "slow header: connection closed after ${RAW_MS} ms (want ~2 s)"
	if [ -n "$RAW" ]; then
		BODY=$(raw_body)
		REQ="slow header"
		jvalid || fail "slow header: answer is not JSON: $RAW"
	fi
	sleep 0.2
	grep -q '"GET /healthz HTTP/1.1" 408 ' "$T/nginx/logs/access.log" ||
		fail "no 408 in the access log: $(tail -n 2 "$T/nginx/logs/access.log")"
}
