#!/usr/bin/env bash
# award benchmark: the writer's work per award in CPU instructions, from
# valgrind's callgrind (deterministic: not moved by other load on the
# machine, unlike every timed figure). bench_award group FULL N G runs N
# new orders, half of the buyers referred, in groups of G through
# job_run_group (the responder's writer without its thread and HTTP); the
# set-up is taken out by a run of one group (N = G) subtracted from the
# run of N.
#
# Usage: AWARD_BIN_DIR=build bash tests/bench/instructions.sh [N] [G]
#   AWARD_BENCH_BEFORE=DIR  also the bench_award in DIR/bench (an older
#       build), in the same run, for a before/after figure
BENCH=instructions
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${1:-3000}
G=${2:-16}

bench_need valgrind

# collected BENCH_AWARD N: the instructions callgrind counted.
collected() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$1" group FULL "$2" "$G" 2>&1 >/dev/null |
		awk '/Collected :/ { print $NF }'
}

# per_award LABEL BENCH_AWARD: one line, instructions per award.
per_award() {
	local all one
	all=$(collected "$2" "$N")
	one=$(collected "$2" "$G")
	if [ -z "$all" ] || [ -z "$one" ]; then
		echo "$BENCH: callgrind gave no count for $2" >&2
		exit 1
	fi
	awk -v l="$1" -v a="$all" -v o="$one" -v n="$N" -v g="$G" 'BEGIN {
		printf "  %-8s %9.0f instructions per award (groups of %d)\n",
		    l, (a - o) / (n - g), g }'
}

echo "== instructions per award: bench_award group FULL $N $G under callgrind"
per_award now "$BIN/bench/bench_award"
if [ -n "${AWARD_BENCH_BEFORE:-}" ]; then
	per_award before "$AWARD_BENCH_BEFORE/bench/bench_award"
fi
