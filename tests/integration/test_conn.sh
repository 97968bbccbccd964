# award — integration: the worker's FastCGI connections (issue 14, issue
# 18 findings 1, 2, 3): kept connections through the shipped nginx
# (upstream keepalive + fastcgi_keep_conn on), hostile and stalled raw
# FastCGI peers, running out of descriptors, HEAD.

# conn_worker: the one worker's pid (WORKERS=1).
conn_worker() {
	local w
	w=$(children_of "$APP_PID")
	[ "$(wc -w <<<"$w")" = 1 ] || fail "expected one worker, found: $w"
	echo "$w"
}

# fd_count PID: the process's open descriptors.
fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# cpu_ticks PID: utime + stime of the process, all its threads.
cpu_ticks() {
	local line
	read -r line <"/proc/$1/stat"
	line=${line##*) }
	# shellcheck disable=SC2086
	set -- $line
	echo $((${12} + ${13}))
}

# nginx's common tuning (keepalive + fastcgi_keep_conn on) used to leave
# requests hanging 30 s and leak a descriptor per request: every request
# is answered at once, and the worker's descriptors stay flat.
it keepalive_requests_answered_no_fd_leak
t_keepalive_requests_answered_no_fd_leak() {
	local i w before after pids=() code
	WORKERS=1
	start_stack
	grep -q 'fastcgi_keep_conn on;' "$T/nginx/award.conf" ||
		fail "the shipped config does not keep FastCGI connections"
	seed_contest c1
	seed_plans
	for i in $(seq 1 12); do
		webhook "$(payment "ord-ka$i" 123456789 plan_1m "$(iso_now)")"
		check_status 200
		check_json '$.award' awarded
	done
	for i in $(seq 1 12); do
		curl -s -m 10 -o /dev/null -w '%{http_code}' "$HTTP/healthz" \
			>"$T/ka$i.code" 2>/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	for i in $(seq 1 12); do
		code=$(<"$T/ka$i.code")
		[ "$code" = 200 ] || fail "parallel request $i: status $code"
	done
	w=$(conn_worker)
	before=$(fd_count "$w")
	# 1000 requests over kept connections (curl reuses its own too).
	for i in $(seq 1 1000); do
		echo "url = \"$HTTP/healthz\""
		echo "output = /dev/null"
	done >"$T/urls"
	curl -s -m 120 -K "$T/urls" -w '%{http_code}\n' >"$T/codes" ||
		fail "curl over 1000 requests failed"
	[ "$(grep -c '^200$' "$T/codes")" = 1000 ] ||
		fail "not all 1000 answered 200: $(sort "$T/codes" | uniq -c)"
	after=$(fd_count "$w")
	# nginx keeps at most 16 idle connections per worker process (2).
	[ "$after" -le $((before + 32)) ] ||
		fail "worker descriptors grew from $before to $after"
	alive "$w" || fail "the worker died"
}

# A raw FastCGI client: two requests on one kept connection, one after
# the other and sent at once, both answered; without the flag the
# connection is closed after END_REQUEST.
# A kept FastCGI connection closed by the responder just as nginx writes a
# request on it (a worker stopping for a reload closes its idle ones) does
# not fail that request: nginx tries it again on another connection, a
# POST too, since every write is idempotent (nginx/award.conf). A stand-in
# responder (fcgi_drop.py) drops the first POST that comes on a reused
# connection; three POSTs on one client connection reach it through one
# nginx worker, so the second at the latest comes on a reused one.
it keep_conn_closed_under_post_retried
t_keep_conn_closed_under_post_retried() {
	local n=$((WAIT_S * 20)) codes
	python3 "$HERE/fcgi_drop.py" "$SOCK" "$T/drop.log" 2>>"$T/drop.err" &
	PIDS+=("$!")
	echo "$!" >>"$T/pids"
	until [ -S "$SOCK" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "fcgi_drop.py did not listen: $(cat "$T/drop.err")"
		sleep 0.05
	done
	start_nginx
	codes=$(curl -s -H 'Content-Type: application/json' -d '{}' \
		-o /dev/null -w '%{http_code}\n' "$HTTP/v1/payments/webhook" \
		--next -H 'Content-Type: application/json' -d '{}' \
		-o /dev/null -w '%{http_code}\n' "$HTTP/v1/payments/webhook" \
		--next -H 'Content-Type: application/json' -d '{}' \
		-o /dev/null -w '%{http_code}\n' "$HTTP/v1/payments/webhook")
	[ "$codes" = "$(printf '200\n200\n200')" ] ||
		fail "three POSTs answered $(echo $codes): $(cat "$T/drop.log")"
	[ "$(grep -c '^dropped POST' "$T/drop.log")" = 1 ] ||
		fail "no POST met a closed kept connection: $(cat "$T/drop.log")"
	[ "$(grep -c '^served POST' "$T/drop.log")" = 3 ] ||
		fail "the dropped POST was not tried again: $(cat "$T/drop.log")"
}

it keep_conn_two_requests
t_keep_conn_two_requests() {
	local out
	WORKERS=1
	start_app
	out=$(timeout 20 python3 "$HERE/fcgi_raw.py" "$SOCK" two)
	[ "$out" = "Status: 200 OK
end 1
Status: 200 OK
end 1
eof" ] || fail "two requests on a kept connection: $out"
	out=$(timeout 20 python3 "$HERE/fcgi_raw.py" "$SOCK" pipelined)
	[ "$out" = "Status: 200 OK
end 1
Status: 200 OK
end 1
eof" ] || fail "two pipelined requests: $out"
	out=$(timeout 20 python3 "$HERE/fcgi_raw.py" "$SOCK" nokeep)
	[ "$out" = "Status: 200 OK
end 1
eof" ] || fail "a request without FCGI_KEEP_CONN: $out"
}

# A request that arrives on a kept connection while the one before it is
# out (its webhook waits for the write lock, which another process holds):
# connections are in the epoll set edge-triggered, so that edge comes
# while the connection is busy and only marks it unread; it is read as
# soon as the webhook is answered, and both are answered.
it keep_conn_request_while_busy
t_keep_conn_request_while_busy() {
	local out py n=$((WAIT_S * 20))
	WORKERS=1
	APP_ENV=(AWARD_BUSY_TIMEOUT_MS=60000)
	start_app
	payment ord-busy 123456789 plan_1m "$(iso_now)" >"$T/busy.json"
	lock_db "$DB"
	timeout 90 python3 "$HERE/fcgi_raw.py" "$SOCK" busy "$T/go" \
		"$T/busy.json" >"$T/busy.out" &
	py=$!
	until grep -q '"msg":"writer job queued"' "$T/fcgi.log"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "the webhook never reached the writer"
		sleep 0.05
	done
	touch "$T/go"
	until [ -e "$T/go.sent" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "the second request was never sent"
		sleep 0.05
	done
	unlock_db
	wait "$py"
	out=$(<"$T/busy.out")
	[ "$out" = "Status: 200 OK
end 1
Status: 200 OK
end 1" ] || fail "a request sent while the one before was out: $out"
}

# The peer's end that comes with a request's last bytes (a client that
# sends its request and shuts its side at once): no edge comes again for
# that end, so it is kept with the request, and the connection is read,
# and closed, as soon as the answer is out, not left idle for 75 s. The
# worker is stopped (SIGSTOP) while the client connects, sends and shuts
# down, so that the poll thread finds both in the socket at once.
it keep_conn_peer_end_with_request
t_keep_conn_peer_end_with_request() {
	local w out py n=$((WAIT_S * 20))
	WORKERS=1
	start_app
	w=$(children_of "$APP_PID" | head -n 1)
	[ -n "$w" ] || fail "no worker under $APP_PID"
	kill -STOP "$w"
	timeout 60 python3 "$HERE/fcgi_raw.py" "$SOCK" endwith "$T/sent" \
		>"$T/end.out" &
	py=$!
	until [ -e "$T/sent" ]; do
		n=$((n - 1))
		if [ "$n" -le 0 ]; then
			kill -CONT "$w"
			fail "the client never sent its request"
		fi
		sleep 0.05
	done
	kill -CONT "$w"
	wait "$py"
	out=$(<"$T/end.out")
	[ "$out" = "Status: 200 OK
end 1
eof" ] || fail "a request sent with the end of the peer's side: $out"
}

# Issue 18 finding 2: the 22-byte PARAMS record (name length 0x7ffffff0)
# aborted the worker. Now the connection is closed, the worker lives on.
it fcgi_huge_params_record
t_fcgi_huge_params_record() {
	local w out i
	WORKERS=1
	start_stack
	seed_contest c1
	seed_plans
	w=$(conn_worker)
	for i in 1 2 3; do
		out=$(timeout 20 python3 "$HERE/fcgi_raw.py" "$SOCK" huge22)
		[ "$out" = closed ] || fail "the 22-byte record: $out"
	done
	[ "$(conn_worker)" = "$w" ] || fail "the worker was replaced"
	webhook "$(payment ord-h1 123456789 plan_1m "$(iso_now)")"
	check_status 200
	check_json '$.award' awarded
	grep -q 'FastCGI record refused' "$T/fcgi.log" ||
		fail "the refusal was not logged"
}

# A request with more header fields than the FastCGI limits take (200;
# FREC_PARAMS_MAX is 128 pairs) is answered 431, as JSON, on the kept
# connection, which goes on serving: not a 5xx, and not a closed
# connection that nginx would try again on each of its others.
it fcgi_too_many_headers_431
t_fcgi_too_many_headers_431() {
	local i hs=() long
	WORKERS=1
	start_stack
	seed_contest c1
	seed_plans
	for i in $(seq 1 200); do
		hs+=(-H "X-Many-$i: $i")
	done
	req GET "$HTTP/healthz" "${hs[@]}"
	check_error 431
	check_json_type
	# Past 16 KB of UTF-8 values the PARAMS record comes in pieces: what
	# follows the limit is dropped whole, never read as lengths.
	long=()
	for i in $(seq 1 200); do
		long+=(-H "X-Long-$i: éééééééééééééééééééééééééééééééééééééééé")
	done
	req GET "$HTTP/healthz" "${long[@]}"
	check_error 431
	req POST "$HTTP/v1/payments/webhook" "${hs[@]}" \
		-H 'Content-Type: application/json' \
		--data-binary "$(payment ord-mh 123456789 plan_1m "$(iso_now)")"
	check_error 431
	check_sql "select count(*) from ticket_ledger where order_id = 'ord-mh'" 0
	webhook "$(payment ord-mh 123456789 plan_1m "$(iso_now)")"
	check_json '$.award' awarded
	! grep -q 'FastCGI record refused' "$T/fcgi.log" ||
		fail "a connection was closed: $(grep 'refused' "$T/fcgi.log")"
	[ "$(grep -c 'upstream prematurely closed' "$T/nginx/logs/error.log")" = 0 ] ||
		fail "nginx saw a closed connection"
}

# Issue 18 finding 3: more stalled connections than threads no longer
# starve the webhook: reading happens in the poll loop.
it stalled_connections_do_not_starve
t_stalled_connections_do_not_starve() {
	local i pids=() code hp
	WORKERS=1
	APP_ENV=(AWARD_THREADS=2 AWARD_READ_TIMEOUT_MS=60000)
	start_stack
	seed_contest c1
	seed_plans
	python3 "$HERE/fcgi_raw.py" "$SOCK" stall 40 >"$T/stall.out" &
	hp=$!
	PIDS+=("$hp")
	for i in $(seq 1 100); do
		grep -q '^stalled 40$' "$T/stall.out" && break
		sleep 0.1
	done
	grep -q '^stalled 40$' "$T/stall.out" ||
		fail "could not stall 40 connections: $(cat "$T/stall.out")"
	for i in $(seq 1 20); do
		payment "ord-st$i" 123456789 plan_1m "$(iso_now)" >"$T/st$i.json"
		curl -s -m 30 -H 'Expect:' -H 'Content-Type: application/json' \
			--data-binary "@$T/st$i.json" -o /dev/null \
			-w '%{http_code}' "$HTTP/v1/payments/webhook" \
			>"$T/st$i.code" 2>/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	for i in $(seq 1 20); do
		code=$(<"$T/st$i.code")
		[ "$code" = 200 ] || fail "webhook $i behind 40 stalled" \
			"connections: status $code"
	done
	check_sql "select count(*) from ticket_ledger" 20
}

# A peer that sends webhooks on a kept connection and never reads the
# answers: the poll thread, which answers webhooks, never waits for it. Its
# connection is closed once an answer cannot be sent at once, and the
# worker's one request thread and the webhook go on serving meanwhile (a
# send timeout of 120 s would hold either for that long if it waited).
it deaf_peer_closed_worker_serves
t_deaf_peer_closed_worker_serves() {
	local out
	WORKERS=1
	APP_ENV=(AWARD_THREADS=1 AWARD_READ_TIMEOUT_MS=120000)
	start_stack
	seed_contest c1
	seed_plans
	out=$(timeout 90 python3 "$HERE/fcgi_raw.py" "$SOCK" deaf 20000)
	[ "$out" = closed ] ||
		fail "the deaf peer's connection: '$out', expected closed"
	webhook "$(payment ord-deaf 123456789 plan_1m "$(iso_now)")"
	check_status 200
	check_json '$.award' awarded
	# The one poll thread wrote that turn's lines before it went on to
	# this webhook, so the line is there once the webhook is answered.
	grep -q 'response not delivered' "$T/fcgi.log" ||
		fail "the undelivered answer was not logged"
	req GET "$HTTP/healthz"
	check_status 200
}

# Out of descriptors: the worker sheds its idle kept connection, backs off
# instead of spinning on accept, logs the error a few times with a count,
# and serves again once connections close.
it emfile_backs_off
t_emfile_backs_off() {
	local w open_n hp t0 t1 c0 c1 hz lines i
	WORKERS=1
	APP_ENV=(AWARD_READ_TIMEOUT_MS=60000)
	start_stack
	w=$(conn_worker)
	# An idle kept connection: the first to go when descriptors run out.
	python3 "$HERE/fcgi_raw.py" "$SOCK" idle 30 >"$T/idle.out" &
	PIDS+=($!)
	for i in $(seq 1 100); do
		grep -q '^end 1' "$T/idle.out" && break
		sleep 0.1
	done
	grep -q '^end 1' "$T/idle.out" || fail "the kept request: $(cat "$T/idle.out")"
	open_n=$(fd_count "$w")
	prlimit --pid "$w" --nofile=$((open_n + 8)) ||
		fail "prlimit failed"
	python3 "$HERE/fcgi_raw.py" "$SOCK" hold 60 >"$T/hold.out" &
	hp=$!
	PIDS+=("$hp")
	for i in $(seq 1 100); do
		grep -q '^held' "$T/hold.out" && break
		sleep 0.1
	done
	sleep 0.5
	hz=$(getconf CLK_TCK)
	t0=$(now_ms)
	c0=$(cpu_ticks "$w")
	sleep 3
	c1=$(cpu_ticks "$w")
	t1=$(now_ms)
	# CPU time over the window: well under half of it (a spin is ~100%).
	[ $(((c1 - c0) * 1000 / hz)) -lt $(((t1 - t0) / 2)) ] ||
		fail "worker used $(((c1 - c0) * 1000 / hz)) ms CPU in" \
			"$((t1 - t0)) ms at EMFILE"
	grep -q '^closed' "$T/idle.out" ||
		fail "the idle kept connection was not shed: $(cat "$T/idle.out")"
	lines=$(grep -c 'accept failed' "$T/fcgi.log")
	[ "$lines" -ge 1 ] || fail "EMFILE was not logged"
	[ "$lines" -le 10 ] || fail "EMFILE logged $lines times in 3 s"
	kill "$hp"
	wait "$hp" 2>/dev/null
	forget_pid "$hp"
	for i in $(seq 1 50); do
		req GET "$HTTP/healthz" -m 5
		[ "$STATUS" = 200 ] && break
		sleep 0.2
	done
	check_status 200
	alive "$w" || fail "the worker died"
}

# HEAD on a GET endpoint is GET without a body; Allow lists HEAD.
it head_is_get_without_body
t_head_is_get_without_body() {
	local len
	start_stack
	req GET "$HTTP/healthz"
	check_status 200
	len=${#BODY}
	# curl -I writes the headers where the body would go.
	req HEAD "$HTTP/healthz" -I
	check_status 200
	[[ $BODY != *'{'* ]] || fail "HEAD answered with a body: $BODY"
	# The length GET's body has: HEAD describes it without sending it.
	check_hdr Content-Length "$len"
	check_hdr_has Content-Type application/json
	req POST "$HTTP/healthz" --data-binary ''
	check_error 405
	check_hdr_has Allow HEAD
	check_hdr_has Allow GET
}

# The watchdog is fed only while the worker's loop makes progress (issue
# 18 finding 1: a spinning worker kept it fed). A fake NOTIFY_SOCKET
# records what the supervisor sends; the worker is frozen with SIGSTOP.
it watchdog_needs_progress
t_watchdog_needs_progress() {
	local w lp n0 n1 i
	WORKERS=1
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
while True:
    print(s.recv(4096).decode(errors="replace").replace("\n", " "),
          flush=True)
' "$T/notify.sock" >"$T/notify.log" &
	lp=$!
	PIDS+=("$lp")
	for i in $(seq 1 50); do
		grep -q '^ready' "$T/notify.log" && break
		sleep 0.1
	done
	# A ping every 100 ms while fed: a pause of 2 s misses twenty.
	APP_ENV=("NOTIFY_SOCKET=$T/notify.sock" "WATCHDOG_USEC=200000")
	start_app
	for i in $(seq 1 100); do
		[ "$(grep -c 'WATCHDOG=1' "$T/notify.log")" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(grep -c 'WATCHDOG=1' "$T/notify.log")" -ge 2 ] ||
		fail "the watchdog was never fed: $(cat "$T/notify.log")"
	w=$(conn_worker)
	kill -STOP "$w"
	# 10 s without progress stops the feeding, and the supervisor logs
	# the stall when it stops; from half a second after that line,
	# nothing for 2 s.
	for i in $(seq 1 300); do
		grep -q 'worker makes no progress' "$T/fcgi.log" && break
		sleep 0.1
	done
	grep -q 'worker makes no progress' "$T/fcgi.log" || {
		kill -CONT "$w"
		fail "the stall was not logged"
	}
	sleep 0.5
	n0=$(grep -c 'WATCHDOG=1' "$T/notify.log")
	sleep 2
	n1=$(grep -c 'WATCHDOG=1' "$T/notify.log")
	kill -CONT "$w"
	[ "$n1" = "$n0" ] ||
		fail "watchdog fed $((n1 - n0)) times while the worker was stopped"
	for i in $(seq 1 50); do
		[ "$(grep -c 'WATCHDOG=1' "$T/notify.log")" -gt "$n1" ] && break
		sleep 0.1
	done
	[ "$(grep -c 'WATCHDOG=1' "$T/notify.log")" -gt "$n1" ] ||
		fail "the watchdog was not fed again after the worker resumed"
}

# The worker's threads carry names for top -H, ps -L and perf: one writer,
# one checkpointer, the request threads; the process keeps its own name
# (pgrep, ps -C).
it worker_threads_named
t_worker_threads_named() {
	local w names
	WORKERS=1
	start_stack
	# an answer: the worker has started every thread
	req GET "$HTTP/healthz"
	check_status 200
	w=$(conn_worker)
	names=$(cat /proc/"$w"/task/*/comm | sort | uniq -c)
	[ "$(cat /proc/"$w"/comm)" = award-fcgi ] ||
		fail "the worker's name changed: $(cat /proc/"$w"/comm)"
	grep -Eq '^ *1 award-writer$' <<<"$names" ||
		fail "no one writer thread: $names"
	grep -Eq '^ *1 award-ckpt$' <<<"$names" ||
		fail "no one checkpointer thread: $names"
	grep -Eq '^ *[0-9]+ award-request$' <<<"$names" ||
		fail "no request threads: $names"
}
