#!/usr/bin/env bash
# What AWARD_SYNCHRONOUS=NORMAL buys over FULL (docs/durability.md): the
# webhook through the shipped nginx config, service and bot databases in
# separate files, new orders, wrk at CONNS connections, FULL and NORMAL
# alternated ROUNDS times on fresh databases so that the machine's drift
# hits both alike. Prints each run and the ratio NORMAL / FULL of the
# medians. Only ratios within one run mean anything on a shared machine.
#
# Usage: AWARD_BIN_DIR=build bash tests/bench/sync_cost.sh [seconds] [rounds] [conns]
BENCH=sync_cost
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DUR=${1:-5}
ROUNDS=${2:-3}
CONNS=${3:-32}

bench_need wrk
bench_start

# one SYNC ROUND: fresh databases, the stack, a warm-up, one wrk run;
# appends "SYNC ROUND req/s p99" to $T/res. (Not run in $(...): the
# responder and nginx it starts would hold that pipe open.)
one() {
	local out=$T/wrk.txt
	bench_fresh
	WORKERS=1
	APP_ENV=(AWARD_LOG_LEVEL=warn "AWARD_BOT_DB=$BOT"
		"AWARD_SYNCHRONOUS=$1" AWARD_UNSAFE_NORMAL=1)
	start_stack
	bench_seed "$BOT"
	bench_warm "$HTTP/v1/payments/webhook" "w$1$2"
	RUN=$1$2 wrk -t2 -c"$CONNS" -d"${DUR}s" --latency \
		-s "$HERE/webhook.lua" "$HTTP/v1/payments/webhook" >"$out" 2>&1
	grep -q 'Non-2xx' "$out" && fail "$1: non-2xx answers: $(grep Non-2xx "$out")"
	awk -v s="$1" -v n="$2" '/^Requests\/sec:/ { r = $2 }
		$1 == "99%" { p = $2 } END { print s, n, r, p }' "$out" >>"$T/res"
}

echo "sync    round   req/s   p99   ($CONNS connections, ${DUR}s each, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
: >"$T/res"
for r in $(seq "$ROUNDS"); do
	for s in FULL NORMAL; do
		one "$s" "$r"
		tail -n 1 "$T/res" | awk '{ printf "%-7s %5s %7.0f %6s\n",
			$1, $2, $3, $4 }'
	done
done
awk '{ v[$1, ++n[$1]] = $3 }
	function med(s,   i, j, t, a, k) {
		k = n[s]
		for (i = 1; i <= k; i++) a[i] = v[s, i]
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	END { f = med("FULL"); m = med("NORMAL")
		printf "median req/s: FULL %.0f, NORMAL %.0f, NORMAL / FULL %.2f\n",
		    f, m, m / f }' "$T/res"
