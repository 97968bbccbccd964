# award — the alert rules' unit tests (tests/alerts, promtool test rules),
# run with the integration suite so that `make test` runs them: every rule
# of docs/alerts.yml fires in its situation and stays silent outside it.

it alert_rules
t_alert_rules() {
	local out
	out=$(bash "$ROOT/tests/alerts/run.sh" 2>&1) ||
		fail "tests/alerts: $(grep -v '^ *$' <<<"$out" | tail -n 12)"
}

# grafana_names: every metric name the Grafana dashboard's queries use.
grafana_names() {
	python3 -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
names = set()
def walk(p):
    for t in p.get("targets", []):
        names.update(re.findall(r"\b(award_[a-z0-9_]+)\b", t["expr"]))
    for c in p.get("panels", []):
        walk(c)
for p in d["panels"]:
    walk(p)
print("\n".join(sorted(names)))
' "$ROOT/docs/grafana-award.json"
}

it grafana_metrics
t_grafana_metrics() {
	local names n missing=
	APP_ENV=("AWARD_CONFIG=")
	start_stack
	seed_contest c1
	seed_plans
	webhook "$(payment ord-g1 2002 plan_3m "$(iso_now)")"
	check_json '$.award' awarded
	webhook "$(payment ord-g2 2003 plan_none "$(iso_now)")"
	check_json '$.award' queued
	retry_ok AWARD_CONFIG=
	admin_get /v1/admin/metrics
	check_status 200
	names=$(grafana_names) || fail "docs/grafana-award.json unreadable"
	[ "$(wc -l <<<"$names")" -ge 15 ] ||
		fail "only $(wc -l <<<"$names") metric names in the dashboard"
	for n in $names; do
		grep -q "^$n[{ ]" <<<"$BODY" || missing="$missing $n"
	done
	[ -z "$missing" ] ||
		fail "the Grafana dashboard queries metrics the service does not export:$missing"
}
