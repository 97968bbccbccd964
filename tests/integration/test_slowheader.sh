# award — integration: nginx against connections that never finish their
# request header (issue 18 finding 8), and nginx's own error answers that
# the edge tests do not reach (413 from client_max_body_size, 502/503 with
# the responder down).
#
# 127.0.0.1 plays YooKassa (the tests' allow list), 127.0.0.2 a stranger:
# another loopback address routed to the same host (test_edge.sh).

SLOW_STRANGER=127.0.0.2
SLOW_CONNS=300

# slow_hold ADDR N PORT: N connections from ADDR that send half a request
# header and then nothing. Writes "held N" once all are open, then
# "closed K" as nginx drops them, "done K SECONDS" at the end (30 s at most).
slow_hold() {
	python3 - "$1" "$2" "$3" >"$T/slow.out" 2>&1 <<'EOF' &
import selectors, socket, sys, time
addr, n, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sel = selectors.DefaultSelector()
for _ in range(n):
    s = socket.socket()
    s.bind((addr, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: ")
    sel.register(s, selectors.EVENT_READ)
print("held", n, flush=True)
t0, closed = time.monotonic(), 0
while closed < n and time.monotonic() - t0 < 30:
    for key, _ in sel.select(timeout=1):
        try:
            data = key.fileobj.recv(4096)
        except OSError:
            data = b""
        if not data:
            sel.unregister(key.fileobj)
            key.fileobj.close()
            closed += 1
            print("closed", closed, flush=True)
print("done", closed, round(time.monotonic() - t0, 1), flush=True)
EOF
	HOLD_PID=$!
	PIDS+=("$HOLD_PID")
}

# A stranger holding SLOW_CONNS half-sent headers neither delays nor
# refuses the allowed source's webhooks, every one of which is answered
# 200; nginx drops every held connection after client_header_timeout
# (rendered to 2 s here), and logs no alert.
it slowheader_stranger_cannot_starve
t_slowheader_stranger_cannot_starve() {
	local n i
	export AWARD_NGINX_CLIENT_TIMEOUT=2
	start_stack
	seed_contest c1
	seed_plans
	slow_hold "$SLOW_STRANGER" "$SLOW_CONNS" "$HTTP_PORT"
	n=200
	until grep -q "^held $SLOW_CONNS$" "$T/slow.out"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "could not open $SLOW_CONNS connections: $(tail -n 2 "$T/slow.out")"
		sleep 0.05
	done
	for i in $(seq 1 20); do
		webhook "$(payment "ord-slow-$i" $((500000 + i)) plan_1m "$(iso_now)")"
		[ "$STATUS" = 200 ] ||
			fail "webhook $i while $SLOW_CONNS headers are held: $STATUS $BODY"
	done
	check_sql "SELECT count(*) FROM ticket_ledger WHERE order_id LIKE 'ord-slow-%'" 20
	n=300
	until grep -q '^done ' "$T/slow.out"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "the holder never finished: $(tail -n 1 "$T/slow.out")"
		sleep 0.1
	done
	grep -q "^done $SLOW_CONNS " "$T/slow.out" ||
		fail "nginx did not drop every held header: $(tail -n 1 "$T/slow.out")"
	grep -q '\[alert\]' "$T/nginx/logs/error.log" &&
		fail "nginx logged alerts: $(grep -m 1 '\[alert\]' "$T/nginx/logs/error.log")"
	return 0
}

# nginx's own 413 (client_max_body_size, before the app) and, with the
# responder gone, its 502 (answered as 503) are JSON, not HTML, with the
# JSON content type and no-store.
it slowheader_nginx_errors_json
t_slowheader_nginx_errors_json() {
	local big
	start_stack
	big=$(head -c 70000 /dev/zero | tr '\0' 'a')
	post_json "$HTTP/v1/awards" "{\"x\":\"$big\"}"
	check_error 413
	check_json_type
	check_no_store
	stop_pid "$APP_PID" TERM
	APP_PID=
	req GET "$HTTP/healthz"
	check_error 503
	check_json_type
	check_no_store
	check_json '$.error' 'service unavailable'
	req GET "$HTTPS/healthz"
	check_error 503
	check_json_type
	check_hdr_has Strict-Transport-Security max-age=
}
