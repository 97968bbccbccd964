#!/usr/bin/env bash
# award — unit tests of the alert rules (docs/alerts.yml) with promtool.
# One file per rule, named after it (tests/alerts/<Alert>.test.yml): each
# shows the rule firing in its situation and silent outside it. Adding a
# rule means adding its file; this script fails when a rule has none.
# Usage: bash tests/alerts/run.sh
set -eu
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
command -v promtool >/dev/null || {
	echo "alerts: promtool missing (apt-get install -y prometheus)" >&2
	exit 1
}
promtool check rules "$ROOT/docs/alerts.yml"
missing=
for a in $(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' \
    "$ROOT/docs/alerts.yml"); do
	f=$HERE/$a.test.yml
	if [ ! -f "$f" ] || ! grep -q "alertname: $a\$" "$f" ||
	    ! grep -q 'exp_alerts: \[\]' "$f" ||
	    ! grep -q 'exp_labels' "$f"; then
		missing="$missing $a"
	fi
done
if [ -n "$missing" ]; then
	echo "alerts: rules without a test that fires and one that stays" \
	    "silent (tests/alerts/<name>.test.yml):$missing" >&2
	exit 1
fi
cd "$HERE"
promtool test rules ./*.test.yml
