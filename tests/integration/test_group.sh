# award — integration: the worker's shape (SPEC.md §2, §7): one writer
# committing in groups under many concurrent requests, SIGKILL while groups
# are in flight, the read deadline, and the FastCGI peer allow list.

# fire FILE URL [AUTH]: POST FILE in the background; the status code goes
# to FILE.code and the body to FILE.out; the pid is added to FIRED.
FIRED=()
fire() {
	local f=$1 url=$2 auth=${3:-}
	if [ -n "$auth" ]; then
		curl -s -m 60 -H 'Expect:' -H 'Content-Type: application/json' \
			-H "Authorization: Bearer $auth" --data-binary "@$f" \
			-o "$f.out" -w '%{http_code}' "$url" >"$f.code" 2>/dev/null &
	else
		curl -s -m 60 -H 'Expect:' -H 'Content-Type: application/json' \
			--data-binary "@$f" -o "$f.out" -w '%{http_code}' "$url" \
			>"$f.code" 2>/dev/null &
	fi
	FIRED+=($!)
}

# landed: wait for every fired request (not for the stack's processes).
landed() {
	local p
	for p in "${FIRED[@]}"; do
		wait "$p"
	done
	FIRED=()
}

# Many concurrent requests: new orders, the same order delivered four
# times at once (three webhooks and the bot's /v1/awards), unknown plans,
# then refunds of awarded payments racing redeliveries. Every order is in
# the ledger exactly once, every 200 has its rows, every queued order its
# failed_awards row, and the writer did commit several jobs per group: the
# first orders arrive while another process holds the write lock, and the
# lock goes only once the responder logged jobs waiting behind the group
# in progress, so a group of more than one job is certain, however the
# machine schedules. The lock is held for those first orders only: nginx
# gives up on an answer after 30 s.
it group_mixed_concurrent
t_group_mixed_concurrent() {
	local i k n=40 f code a awarded plan c0 s0 c1 s1 w=600
	WORKERS=1
	APP_ENV=(AWARD_BUSY_TIMEOUT_MS=60000)
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	admin_get /v1/admin/metrics
	c0=$(awk '$1 == "award_writer_group_jobs_count" { print $2 }' <<<"$BODY")
	s0=$(awk '$1 == "award_writer_group_jobs_sum" { print $2 }' <<<"$BODY")
	for i in $(seq 1 "$n"); do
		plan=plan_3m
		[ $((i % 8)) = 0 ] && plan=plan_gone
		payment "ord-m$i" 123456789 "$plan" "$(iso_now)" "pay-m$i" \
			>"$T/m$i.json"
		award_body "ord-m$i" 123456789 "$plan" "$(iso_now)" "pay-m$i" \
			>"$T/m$i.bot.json"
	done
	lock_db "$DB"
	for i in $(seq 1 "$n"); do
		for k in 1 2 3; do
			cp "$T/m$i.json" "$T/m$i.$k.json"
			fire "$T/m$i.$k.json" "$HTTP/v1/payments/webhook"
		done
		fire "$T/m$i.bot.json" "$HTTP/v1/awards" "$SERVICE_TOKEN"
		[ "$i" = 3 ] || continue
		until grep -q '"msg":"writer job queued","waiting":[2-9]' \
			"$T/fcgi.log"; do
			w=$((w - 1))
			[ "$w" -gt 0 ] ||
				fail "no two jobs ever waited for the writer"
			sleep 0.05
		done
		unlock_db
	done
	landed
	for i in $(seq 1 "$n"); do
		awarded=0
		for f in "$T/m$i".{1,2,3}.json "$T/m$i.bot.json"; do
			code=$(<"$f.code")
			[ "$code" = 200 ] || fail "$f: status $code $(cat "$f.out")"
			a=$(jget '$.award' "$(<"$f.out")")
			if [ $((i % 8)) = 0 ]; then
				[ "$a" = queued ] || fail "ord-m$i (no plan): $a"
				continue
			fi
			case $a in
			awarded) awarded=$((awarded + 1)) ;;
			duplicate) ;;
			*) fail "ord-m$i: answered $a" ;;
			esac
		done
		if [ $((i % 8)) = 0 ]; then
			check_sql "select count(*) from failed_awards where
				order_id = 'ord-m$i' and status = 'pending'" 1
			check_sql "select count(*) from ticket_ledger where
				order_id = 'ord-m$i'" 0
		else
			[ "$awarded" = 1 ] ||
				fail "ord-m$i answered awarded $awarded times"
			check_sql "select count(*), sum(delta) from ticket_ledger
				where order_id = 'ord-m$i'" "2|6"
		fi
	done
	# Refunds of awarded payments racing redeliveries of other orders.
	for i in 1 2 3 4 5 6 7 9 10 11; do
		refund "rf-m$i" "pay-m$i" 199.00 >"$T/r$i.json"
		fire "$T/r$i.json" "$HTTP/v1/payments/webhook"
		cp "$T/m$((i + 10)).json" "$T/m$((i + 10)).4.json"
		fire "$T/m$((i + 10)).4.json" "$HTTP/v1/payments/webhook"
	done
	landed
	for i in 1 2 3 4 5 6 7 9 10 11; do
		[ "$(<"$T/r$i.json.code")" = 200 ] || fail "refund $i"
		[ "$(jget '$.refund' "$(<"$T/r$i.json.out")")" = reversed ] ||
			fail "refund $i: $(<"$T/r$i.json.out")"
		check_sql "select sum(delta) from ticket_ledger
			where order_id = 'ord-m$i'" 0
		a=$(jget '$.award' "$(<"$T/m$((i + 10)).4.json.out")")
		[ "$a" = duplicate ] || [ $(((i + 10) % 8)) = 0 ] ||
			fail "redelivery of ord-m$((i + 10)): $a"
	done
	check_sql "select count(*) from (select order_id from ticket_ledger
		where reason = 'SELF_PURCHASE' group by order_id
		having count(*) > 1)" 0
	admin_get /v1/admin/metrics
	c1=$(awk '$1 == "award_writer_group_jobs_count" { print $2 }' <<<"$BODY")
	s1=$(awk '$1 == "award_writer_group_jobs_sum" { print $2 }' <<<"$BODY")
	[ -n "$c1" ] && [ -n "$s1" ] ||
		fail "no award_writer_group_jobs in the metrics"
	awk -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" \
		'BEGIN { exit !(s1 - s0 > c1 - c0) }' ||
		fail "no group held more than one job: $s0..$s1 jobs in" \
			"$c0..$c1 groups"
}

# group_hist BODY: the metrics' award_writer_group_jobs as "groups of 16
# jobs at most, groups, jobs".
group_hist() {
	awk '$1 == "award_writer_group_jobs_bucket{le=\"16\"}" { b = $2 }
	     $1 == "award_writer_group_jobs_count" { c = $2 }
	     $1 == "award_writer_group_jobs_sum" { s = $2 }
	     END { print b, c, s }' <<<"$1"
}

# A group holds 16 jobs at most (GROUP_JOBS, fcgi/writer.c): 40 orders
# queue behind another process's write lock, and the lock goes only once
# more than 16 wait behind the group that waits for it. Without the bound
# the next group would take them all; with it they commit 16 at most to a
# group, and each is in the ledger once.
it group_bounded
t_group_bounded() {
	local i n=40 w=600 b0 c0 s0 b1 c1 s1
	WORKERS=1
	APP_ENV=(AWARD_BUSY_TIMEOUT_MS=60000)
	start_stack
	seed_contest c1
	seed_plans
	admin_get /v1/admin/metrics
	read -r b0 c0 s0 < <(group_hist "$BODY")
	[ -n "$s0" ] || fail "no award_writer_group_jobs in the metrics"
	for i in $(seq 1 "$n"); do
		payment "ord-b$i" 123456789 plan_3m "$(iso_now)" >"$T/b$i.json"
	done
	lock_db "$DB"
	for i in $(seq 1 "$n"); do
		fire "$T/b$i.json" "$HTTP/v1/payments/webhook"
	done
	until grep -Eq '"msg":"writer job queued","waiting":(1[7-9]|[2-9][0-9])' \
		"$T/fcgi.log"; do
		w=$((w - 1))
		[ "$w" -gt 0 ] || fail "never more than 16 jobs waited"
		sleep 0.05
	done
	unlock_db
	landed
	for i in $(seq 1 "$n"); do
		[ "$(<"$T/b$i.json.code")" = 200 ] ||
			fail "ord-b$i: status $(<"$T/b$i.json.code")"
		[ "$(jget '$.award' "$(<"$T/b$i.json.out")")" = awarded ] ||
			fail "ord-b$i: $(<"$T/b$i.json.out")"
	done
	check_sql "select count(*), count(distinct order_id) from ticket_ledger
		where order_id like 'ord-b%'" "$n|$n"
	admin_get /v1/admin/metrics
	read -r b1 c1 s1 < <(group_hist "$BODY")
	[ "$((s1 - s0))" = "$n" ] ||
		fail "$((s1 - s0)) jobs went through groups, not $n"
	[ "$((b1 - b0))" = "$((c1 - c0))" ] ||
		fail "$((c1 - c0 - b1 + b0)) of $((c1 - c0)) groups held" \
			"more than 16 jobs"
	[ "$((c1 - c0))" -ge 3 ] || fail "$n jobs in $((c1 - c0)) groups"
}

# SIGKILL of the worker while groups are in flight: every order answered
# 200 awarded or duplicate is in the ledger; redelivering every order
# doubles nothing and awards what was lost.
it group_sigkill_in_flight
t_group_sigkill_in_flight() {
	local i n=120 w code a
	WORKERS=1
	start_stack
	seed_contest c1
	seed_plans
	for i in $(seq 1 "$n"); do
		payment "ord-k$i" 123456789 plan_1m "$(iso_now)" >"$T/k$i.json"
	done
	for i in $(seq 1 "$n"); do
		fire "$T/k$i.json" "$HTTP/v1/payments/webhook"
		[ "$i" = 60 ] && { w=$(children_of "$APP_PID"); kill -KILL $w; }
	done
	landed
	for i in $(seq 1 "$n"); do
		code=$(<"$T/k$i.json.code")
		[ "$code" = 200 ] || continue
		a=$(jget '$.award' "$(<"$T/k$i.json.out")")
		case $a in
		awarded|duplicate)
			check_sql "select count(*) from ticket_ledger where
				order_id = 'ord-k$i'" 1 ;;
		*) fail "ord-k$i: 200 with $a" ;;
		esac
	done
	# YooKassa redelivers what was not answered 200; redeliver all.
	for i in $(seq 1 "$n"); do
		webhook "$(<"$T/k$i.json")"
		check_status 200
	done
	check_sql "select count(*), count(distinct order_id) from ticket_ledger" \
		"$n|$n"
}

# Two stalled FastCGI connections (parameters never finished) on a worker
# with two threads: at the read deadline both are cut, and /healthz is
# answered again, well before the stalled peers give up.
it read_deadline_frees_threads
t_read_deadline_frees_threads() {
	local p t0 dt i
	WORKERS=1
	APP_ENV=(AWARD_THREADS=2 AWARD_READ_TIMEOUT_MS=1000)
	start_stack
	for p in 1 2; do
		perl -MIO::Socket::UNIX -e '
			my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(),
			    Peer => $ARGV[0]) or die "connect: $!";
			# FCGI_BEGIN_REQUEST, then half a PARAMS header.
			print $s pack("CCnnCx", 1, 1, 1, 8, 0) .
			    pack("nCx5", 1, 0) . pack("CC", 1, 4);
			$s->flush; sleep 30;' "$SOCK" &
		PIDS+=($!)
	done
	sleep 0.3
	t0=$(now_ms)
	req GET "$HTTP/healthz" -m 10
	dt=$(($(now_ms) - t0))
	check_status 200
	[ "$dt" -lt 5000 ] || fail "/healthz took $dt ms behind two stalled" \
		"connections (deadline 1000 ms)"
	# The second was taken a moment after the first: its cut may follow
	# the answer that the first one's thread gave.
	for i in $(seq 1 40); do
		[ "$(grep -c 'read deadline passed' "$T/fcgi.log")" -ge 2 ] &&
			break
		sleep 0.1
	done
	[ "$(grep -c 'read deadline passed' "$T/fcgi.log")" -ge 2 ] ||
		fail "the stalled connections were not cut:" \
			"$(grep -c 'read deadline' "$T/fcgi.log") cut"
}

# AWARD_LISTEN on TCP accepts FastCGI only from AWARD_FCGI_ALLOW: nginx
# (from 127.0.0.1) is refused when the list names another address, and
# served with the default list (loopback).
it fcgi_allow_tcp_peers
t_fcgi_allow_tcp_peers() {
	local port try
	WORKERS=1
	# The responder on TCP; nginx's upstream rendered onto it. A port
	# picked free can be taken (by a client's ephemeral port) before the
	# responder binds it: then another one.
	APP_ENV=("AWARD_FCGI_ALLOW=127.0.0.2/32")
	for try in 1 2 3 4 5; do
		port=$(pick_port) || fail "no free port"
		start_app_tcp "$port" && break
		grep -q 'Address already in use' "$T/fcgi.log" ||
			fail "award-fcgi exited at start: $(tail -n 1 "$T/fcgi.log")"
	done
	alive "$APP_PID" || fail "award-fcgi never got a port"
	req GET "$HTTP/healthz"
	[ "$STATUS" != 200 ] || fail "a peer outside AWARD_FCGI_ALLOW was served"
	grep -q 'peer not in AWARD_FCGI_ALLOW' "$T/fcgi.log" ||
		fail "no log line for the refused peer"
	stop_pid "$APP_PID" TERM
	APP_ENV=()
	start_app_tcp "$port" || fail "award-fcgi did not start again on" \
		"$port: $(tail -n 1 "$T/fcgi.log")"
	req GET "$HTTP/healthz"
	check_status 200
}

# start_app_tcp PORT: the responder on 127.0.0.1:PORT and nginx in front of
# it (the shipped config, its upstream pointed at the port). Returns 1 when
# the responder exits at start (the port was taken, say).
start_app_tcp() {
	local envs n
	base_env
	envs=("${BASE_ENV[@]}" "AWARD_WORKERS=$WORKERS" "AWARD_LOG_LEVEL=debug"
		"AWARD_WEBHOOK_ALLOW=$APP_ALLOW" "${APP_ENV[@]}")
	"${envs[@]}" "$BIN/award-fcgi" --listen "127.0.0.1:$1" --db "$DB" \
		</dev/null 2>>"$T/fcgi.log" &
	APP_PID=$!
	echo "$APP_PID" >>"$T/pids"
	n=$((WAIT_S * 20))
	until listen_ports | grep -qx "$1"; do
		alive "$APP_PID" || return 1
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "award-fcgi did not listen on $1"
		sleep 0.05
	done
	if [ -z "${NGINX_PID:-}" ]; then
		NGINX_UPSTREAM=127.0.0.1:$1 NGINX_ANY_ANSWER=1 start_nginx
	fi
}

# The service's own counters are the service's, not one process's: with
# two worker processes every request is counted once, and killing a worker
# (which the supervisor replaces) sets nothing back.
it counters_shared_across_workers
t_counters_shared_across_workers() {
	local i c0 c1 c2 w n
	WORKERS=2
	start_stack
	seed_contest c1
	seed_plans
	metric_2xx() {
		admin_get /v1/admin/metrics
		awk '$1 == "award_http_requests_total{route=\"webhook\",code=\"2xx\"}" \
			{ print $2 }' <<<"$BODY"
	}
	c0=$(metric_2xx)
	[ -n "$c0" ] || fail "no webhook 2xx counter in the metrics"
	for i in $(seq 1 20); do
		payment "ord-cn$i" 123456789 plan_1m "$(iso_now)" >"$T/cn$i.json"
		fire "$T/cn$i.json" "$HTTP/v1/payments/webhook"
	done
	landed
	c1=$(metric_2xx)
	[ "$((c1 - c0))" = 20 ] || fail "20 webhooks counted as $((c1 - c0))"
	w=$(children_of "$APP_PID" | head -n 1)
	kill -KILL "$w"
	wait_gone "$w" 5 || fail "worker $w survived SIGKILL"
	n=$((WAIT_S * 10))
	until [ "$(children_of "$APP_PID" | wc -l)" = 2 ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "no replacement worker"
		sleep 0.1
	done
	c2=$(metric_2xx)
	[ "$c2" -ge "$c1" ] || fail "the counter went back from $c1 to $c2" \
		"when a worker died"
}

# wal_frames DB: "mxFrame nBackfill" from DB's wal-index (the -shm file):
# the frames in the WAL and how many of them a checkpoint copied.
wal_frames() {
	python3 - "$1-shm" <<'PY'
import struct, sys
with open(sys.argv[1], "rb") as f:
    d = f.read(100)
print(struct.unpack_from("=I", d, 16)[0], struct.unpack_from("=I", d, 96)[0])
PY
}

# The checkpoint asked for when the writer falls idle runs only once the
# load is over (writer.c: CKPT_QUIET_MS, 100 ms, without a commit), not at
# every pause between two groups, where each cost two fdatasync calls.
# 300 awards back to back on one kept connection: the quiet checkpoints
# counted meanwhile are at most one per 100 ms they took (at every pause
# it was one per award); the WAL passed 1000 pages (a "pages" checkpoint);
# and once they stop, a quiet checkpoint runs and the whole WAL is in the
# database (nBackfill reaches mxFrame), when the WAL ended the load past
# those 1000 pages (one that restarted meanwhile is not asked to).
it checkpoint_once_load_is_over
t_checkpoint_once_load_is_over() {
	local q0 q1 p1 t0 t1 mx nb n
	WORKERS=1
	start_stack
	seed_contest c1
	seed_plans
	seed_referral 123456789 111111111
	ckpt() {
		admin_get /v1/admin/metrics
		awk -v k="award_writer_checkpoints_total{reason=\"$1\"}" \
			'$1 == k { print $2 }' <<<"$BODY"
	}
	q0=$(ckpt quiet)
	[ -n "$q0" ] || fail "no award_writer_checkpoints_total in the metrics"
	kept_orders ord-q 300
	t0=$(now_ms)
	curl -s -m 300 "${KEPT_ARGS[@]}" >"$T/q.codes"
	t1=$(now_ms)
	q1=$(ckpt quiet)
	p1=$(ckpt pages)
	read -r mx nb < <(wal_frames "$DB")
	[ "$(grep -c '^200$' "$T/q.codes")" = 300 ] ||
		fail "of 300 awards, $(grep -c '^200$' "$T/q.codes") answered 200"
	[ "$p1" -ge 1 ] || fail "300 awards asked for no checkpoint by pages"
	[ $((q1 - q0)) -le $(((t1 - t0) / 100 + 1)) ] ||
		fail "$((q1 - q0)) quiet checkpoints in $((t1 - t0)) ms of" \
			"awards back to back"
	[ "$mx" -ge 1000 ] || return 0
	n=$((WAIT_S * 10))
	# Greater than before the load, not than q1: that one may have run
	# already when q1 was read (100 ms after the last commit).
	until [ "$(ckpt quiet)" -gt "$q0" ] && read -r mx nb < <(wal_frames "$DB") &&
		[ "$nb" = "$mx" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "no checkpoint copied the WAL once the" \
			"load was over (mxFrame $mx, nBackfill $nb)"
		sleep 0.1
	done
}

# ckpt_bound: the worker's count of its own checkpoints at the WAL's bound
# (award_writer_checkpoints_total{reason="bound"}), from the metrics.
ckpt_bound() {
	admin_get /v1/admin/metrics
	awk '$1 == "award_writer_checkpoints_total{reason=\"bound\"}" {
		print $2 }' <<<"$BODY"
}

# bound_grows TURNS [PREFIX]: whether ckpt_bound passes B0 within TURNS
# looks 0.1 s apart; BOUND_NOW is its last reading, BOUND_TURNS the looks
# taken. With PREFIX, an award of a new order PREFIX<turn> goes before
# each look (the writer looks at the WAL after each group); without,
# nothing is sent.
bound_grows() {
	for BOUND_TURNS in $(seq 1 "$1"); do
		if [ -n "${2:-}" ]; then
			webhook "$(payment "$2$BOUND_TURNS" 123456789 plan_1m \
				"$(iso_now)")"
			check_status 200
		fi
		BOUND_NOW=$(ckpt_bound)
		[ "$BOUND_NOW" -gt "$B0" ] && return 0
		sleep 0.1
	done
	return 1
}

# wal_seq: the WAL header's checkpoint sequence, which grows by one each
# time the WAL starts again from its beginning (SQLite's WAL format).
wal_seq() {
	od -An -tu1 -j12 -N4 "$DB-wal" |
		awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }'
}

# wal_stack_with_pages N: one worker, a contest and plans, B0 the bound
# checkpoints so far, then N pages of about a page each written into the
# service database's WAL from another connection with its own
# autocheckpoint off; FRAMES the frames in the WAL then.
wal_stack_with_pages() {
	WORKERS=1
	start_stack
	seed_contest c1
	seed_plans
	B0=$(ckpt_bound)
	[ -n "$B0" ] || fail "no bound checkpoint counter in the metrics"
	sqlite3 -cmd '.timeout 5000' "$DB" "PRAGMA wal_autocheckpoint = 0;
		CREATE TABLE test_wal_pages(b BLOB);
		WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k
		  WHERE i < $1)
		INSERT INTO test_wal_pages SELECT randomblob(3000) FROM k;" ||
		fail "could not write the pages"
	read -r FRAMES _ < <(wal_frames "$DB")
}

# The WAL stays bounded (issue 14): past 4 000 pages the writer asks the
# checkpointer, then checkpoints on its own connection between two groups
# once a checkpoint begun past the bound has run, and the WAL starts
# again from its beginning. The pages come from another connection here
# (5 000 of them, with its own autocheckpoint off), so that no load of
# 1 500 awards without a pause is needed; the writer's next commits see
# them as theirs.
it wal_bound_restarts_the_wal
t_wal_bound_restarts_the_wal() {
	local k seq0
	wal_stack_with_pages 5000
	[ "$FRAMES" -ge 4000 ] && [ "$FRAMES" -lt 8000 ] ||
		fail "the WAL holds $FRAMES frames, not between the bound and twice it"
	seq0=$(wal_seq)
	# One award a turn: the writer looks after each group.
	bound_grows 100 ord-wal || fail "no checkpoint at the bound after" \
		"$BOUND_TURNS awards (bound $BOUND_NOW)"
	# A later commit starts the WAL again from its beginning: the next
	# one, unless a reader (the metrics above) still held its snapshot.
	for k in $(seq 1 20); do
		webhook "$(payment "ord-wal-after$k" 123456789 plan_1m \
			"$(iso_now)")"
		check_status 200
		[ "$(wal_seq)" -gt "$seq0" ] && break
		sleep 0.1
	done
	[ "$(wal_seq)" -gt "$seq0" ] ||
		fail "the WAL did not start again (checkpoint sequence $seq0)"
	check_sql "SELECT count(*) FROM ticket_ledger WHERE order_id LIKE
		'ord-wal%'" $((BOUND_TURNS + k))
}

# Past twice the bound the writer does not wait for the checkpointer: its
# own checkpoint runs after the very group that saw the WAL that long,
# before the checkpointer asked at that moment (36 MB to copy and sync)
# could have finished; no further award is sent.
it wal_twice_bound_restarts_at_once
t_wal_twice_bound_restarts_at_once() {
	wal_stack_with_pages 9000
	[ "$FRAMES" -ge 8000 ] ||
		fail "the WAL holds $FRAMES frames, not twice the bound"
	webhook "$(payment ord-wal-over 123456789 plan_1m "$(iso_now)")"
	check_status 200
	# No award more: waiting is all this one does.
	bound_grows 50 || fail "no checkpoint at twice the bound after the" \
		"award (bound $BOUND_NOW)"
}
