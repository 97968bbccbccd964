# award — the alert rules' unit tests (tests/alerts, promtool test rules),
# run with the integration suite so that `make test` runs them: every rule
# of docs/alerts.yml fires in its situation and stays silent outside it.

it alert_rules
t_alert_rules() {
	local out
	out=$(bash "$ROOT/tests/alerts/run.sh" 2>&1) ||
		fail "tests/alerts: $(grep -v '^ *$' <<<"$out" | tail -n 12)"
}
