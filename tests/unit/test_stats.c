/*
 * Unit tests for common/stats.c (SPEC.md §5 admin and bot views): the
 * retry-queue stats, the leaderboard, a user's tickets, metrics and the
 * dashboard, on real SQLite files. Integers must come out exact (telegram
 * ids up to 2^53-1), and text from the database escaped for its output.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>

#include "../../fcgi/dashboard.h"
#include "../../fcgi/metrics.h"
#include "job.h"
#include "retryq.h"
#include "stats.h"
#include "testutil.h"
#include "totals.h"

#define BIG	9007199254740991LL	/* 2^53 - 1 */

static struct tu_env env;

static void
setup(void)
{
	tu_init(&env, 0);
	tu_open(&env);
	env.cfg.now_ms = tu_ms("2026-11-27T12:00:00.000Z");
	tu_contest(&env, "c1", "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z",
	    30, 1);
	tu_contest(&env, "old", "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z",
	    30, 1);
}

static void
teardown(void)
{
	tu_fini(&env);
}

/*
 * A stats tree printed and parsed again: integers are written as raw text
 * (jsonw.h), so only the printed form has their values.
 */
static cJSON *
reparse(cJSON *o)
{
	char	*s = cJSON_PrintUnformatted(o);
	cJSON	*r;

	cJSON_Delete(o);
	cr_assert_not_null(s);
	r = cJSON_Parse(s);
	free(s);
	cr_assert_not_null(r);
	return r;
}

/* The tree as JSON text; frees the tree. */
static char *
text(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	cr_assert_not_null(s);
	return s;
}

static void
ledger(const char *id, const char *contest, int64_t owner, int64_t delta)
{
	tu_ledger(&env, id, contest, owner, owner, id, delta, "SELF_PURCHASE",
	    "2026-11-27T10:00:00.000Z");
}

Test(stats, user_tickets_exact_for_largest_telegram_id, .init = setup,
    .fini = teardown)
{
	cJSON	*o = NULL;
	char	*s;

	ledger("a", "c1", BIG, 12);
	cr_assert_eq(stats_user_tickets(env.ctx, BIG, "c1", &o), STATS_OK);
	s = text(o);
	cr_assert_str_eq(s, "{\"telegram_id\":9007199254740991,"
	    "\"contest_id\":\"c1\",\"tickets\":12}");
	free(s);
}

Test(stats, user_tickets_current_contest_and_sum, .init = setup,
    .fini = teardown)
{
	cJSON	*o = NULL;
	char	*s;

	ledger("a", "c1", 7, 5);
	ledger("b", "c1", 7, -2);
	ledger("c", "old", 7, 100);
	cr_assert_eq(stats_user_tickets(env.ctx, 7, NULL, &o), STATS_OK);
	s = text(o);
	cr_assert_str_eq(s, "{\"telegram_id\":7,\"contest_id\":\"c1\","
	    "\"tickets\":3}");
	free(s);
}

Test(stats, user_tickets_unknown_contest_or_none_running, .init = setup,
    .fini = teardown)
{
	cJSON *o = NULL;

	cr_assert_eq(stats_user_tickets(env.ctx, 7, "nope", &o),
	    STATS_NO_CONTEST);
	cr_assert_null(o);
	env.cfg.now_ms = tu_ms("2027-06-01T00:00:00.000Z");
	cr_assert_eq(stats_user_tickets(env.ctx, 7, NULL, &o),
	    STATS_NO_CONTEST);
	cr_assert_null(o);
}

Test(stats, leaderboard_order_limit_and_zero_owners, .init = setup,
    .fini = teardown)
{
	cJSON	*o = NULL;
	char	*s;

	ledger("a", "c1", 10, 3);
	ledger("b", "c1", 20, 9);
	ledger("c", "c1", 30, 3);
	ledger("d", "c1", 40, 4);
	ledger("e", "c1", 40, -4);	/* refunded in full: no tickets */
	ledger("f", "old", 50, 99);	/* another contest */
	cr_assert_eq(stats_leaderboard(env.ctx, "c1", 20, &o), STATS_OK);
	s = text(o);
	cr_assert_str_eq(s, "{\"contest_id\":\"c1\",\"items\":["
	    "{\"telegram_id\":20,\"tickets\":9},"
	    "{\"telegram_id\":10,\"tickets\":3},"
	    "{\"telegram_id\":30,\"tickets\":3}]}");
	free(s);
	cr_assert_eq(stats_leaderboard(env.ctx, "c1", 1, &o), STATS_OK);
	s = text(o);
	cr_assert_str_eq(s, "{\"contest_id\":\"c1\",\"items\":["
	    "{\"telegram_id\":20,\"tickets\":9}]}");
	free(s);
	cr_assert_eq(stats_leaderboard(env.ctx, "nope", 20, &o),
	    STATS_NO_CONTEST);
	cr_assert_null(o);
}

/* Queue a failing award (unknown plan) for order at the current clock. */
static void
queue(const char *order, int64_t tg)
{
	struct award_req req = tu_req(order, tg, "p-missing",
	    "2026-11-27T10:00:00.000Z");

	cr_assert_eq(job_queue_award(env.ctx, &req, "no plan <p>"), 0);
}

Test(stats, retry_stats_shape_and_newest_first, .init = setup,
    .fini = teardown)
{
	cJSON		*o, *items, *it;
	char		*s;

	queue("o1", 1);
	queue("o2", BIG);
	tu_exec(&env, "UPDATE failed_awards SET status = 'dead'"
	    " WHERE order_id = 'o1'");
	ledger("a", "c1", 7, 5);
	o = stats_retry(env.ctx, 100);
	cr_assert_not_null(o);
	s = cJSON_PrintUnformatted(o);
	/* tgId exact in the printed text. */
	cr_assert_not_null(strstr(s, "\"tgId\":9007199254740991"), "%s", s);
	free(s);
	o = reparse(o);
	cr_assert_eq(cJSON_GetObjectItem(o, "queueSize")->valueint, 1);
	items = cJSON_GetObjectItem(o, "items");
	cr_assert_eq(cJSON_GetArraySize(items), 1);
	it = cJSON_GetArrayItem(items, 0);
	cr_assert_str_eq(cJSON_GetObjectItem(it, "orderId")->valuestring,
	    "o2");
	cr_assert_str_eq(cJSON_GetObjectItem(it, "planId")->valuestring,
	    "p-missing");
	cr_assert_str_eq(cJSON_GetObjectItem(it, "orderCreatedAt")->
	    valuestring, "2026-11-27T10:00:00.000Z");
	cr_assert_eq(cJSON_GetObjectItem(it, "attemptCount")->valueint, 1);
	cr_assert_str_eq(cJSON_GetObjectItem(it, "lastAttemptAt")->
	    valuestring, "2026-11-27T12:00:00.000Z");
	cr_assert_str_eq(cJSON_GetObjectItem(it, "error")->valuestring,
	    "no plan <p>");
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "dead")), 1);
	cr_assert_not_null(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(o, "dead"), 0), "id"));
	cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "counts"),
	    "dead")->valueint, 1);
	it = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "ledger"),
	    "SELF_PURCHASE");
	cr_assert_eq(cJSON_GetObjectItem(it, "tickets")->valueint, 5);
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "lastRun")));
	cJSON_Delete(o);
}

Test(stats, retry_stats_limit_and_last_run, .init = setup, .fini = teardown)
{
	struct retry_run	 run;
	cJSON			*o;

	queue("o1", 1);
	queue("o2", 2);
	queue("o3", 3);
	cr_assert_eq(job_retry_run(env.ctx, 0, 10, &run), 0);
	o = reparse(stats_retry(env.ctx, 2));
	cr_assert_eq(cJSON_GetObjectItem(o, "queueSize")->valueint, 3);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "items")), 2);
	cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(o, "items"), 0), "orderId")->valuestring,
	    "o3");
	cr_assert(cJSON_IsObject(cJSON_GetObjectItem(o, "lastRun")));
	cJSON_Delete(o);
}

static char *
metrics_text(void)
{
	struct stats_summary	 s;
	char			*m;

	cr_assert_eq(stats_summary(env.ctx, &s), 0);
	m = metrics_render(&s, NULL);
	cr_assert_not_null(m);
	return m;
}

Test(stats, metrics_lines, .init = setup, .fini = teardown)
{
	char *m;

	queue("o1", 1);
	ledger("a", "c1", 7, 5);
	ledger("b", "c1", 8, 2);
	m = metrics_text();
	cr_assert_not_null(strstr(m,
	    "award_failed_awards{status=\"pending\"} 1\n"), "%s", m);
	cr_assert_not_null(strstr(m,
	    "award_ledger_rows{reason=\"SELF_PURCHASE\"} 2\n"), "%s", m);
	cr_assert_not_null(strstr(m,
	    "award_ledger_tickets{reason=\"SELF_PURCHASE\"} 7\n"), "%s", m);
	cr_assert_not_null(strstr(m, "# TYPE award_failed_awards gauge\n"));
	/*
	 * Pending and no run ever: stale; the run timestamp is declared
	 * (SPEC.md §5 names it) but has no sample.
	 */
	cr_assert_not_null(strstr(m, "award_retry_stale 1\n"), "%s", m);
	cr_assert_not_null(strstr(m, "# TYPE award_retry_last_run_timestamp_"
	    "seconds gauge\n"), "%s", m);
	cr_assert_null(strstr(m, "\naward_retry_last_run_timestamp_seconds "));
	free(m);
}

Test(stats, metrics_label_values_escaped, .init = setup, .fini = teardown)
{
	char *m;

	tu_ledger(&env, "x", "c1", 1, 1, "x", 1, "odd\"reason\\\n",
	    "2026-11-27T10:00:00.000Z");
	m = metrics_text();
	cr_assert_not_null(strstr(m,
	    "award_ledger_rows{reason=\"odd\\\"reason\\\\\\n\"} 1\n"), "%s", m);
	free(m);
}

Test(stats, metrics_last_run_end_time, .init = setup, .fini = teardown)
{
	char *m;

	tu_exec(&env, "INSERT INTO retry_runs(started_at, duration_ms, picked,"
	    " awarded, duplicate, not_eligible, refunds, failed, dead, forced,"
	    " stopped) VALUES ('2026-11-27T11:50:00.000Z', 1500, 3, 2, 0, 0,"
	    " 0, 1, 0, 0, 'busy: database is locked')");
	m = metrics_text();
	/* 11:50:01.500Z */
	cr_assert_not_null(strstr(m, "award_retry_last_run_timestamp_seconds "
	    "1795780201.500\n"), "%s", m);
	cr_assert_not_null(strstr(m,
	    "award_retry_last_run_duration_seconds 1.500\n"), "%s", m);
	cr_assert_not_null(strstr(m, "award_retry_last_run_stopped 1\n"));
	cr_assert_not_null(strstr(m, "award_retry_runs_total 1\n"));
	free(m);
}

Test(stats, dashboard_escapes_database_text, .init = setup,
    .fini = teardown)
{
	char *h;

	queue("o1", 1);
	tu_exec(&env, "UPDATE failed_awards SET last_error ="
	    " '<script>alert(1)</script>'");
	tu_contest(&env, "<script>c</script>", "2026-11-02T00:00:00Z",
	    "2026-11-30T23:59:59Z", 30, 1);
	h = dashboard_render(env.ctx);
	cr_assert_not_null(h);
	cr_assert_null(strstr(h, "<script"), "unescaped: %s", h);
	cr_assert_not_null(strstr(h, "&lt;script&gt;alert(1)"));
	cr_assert_not_null(strstr(h, "&lt;script&gt;c&lt;/script&gt;"));
	free(h);
}

Test(stats, dashboard_retry_form_and_dead_row_without_next_attempt,
    .init = setup, .fini = teardown)
{
	char	*h, form[160];
	int64_t	 id;

	queue("o1", 1);
	queue("o2", 2);
	id = tu_int(&env, "SELECT id FROM failed_awards WHERE order_id = 'o1'");
	tu_exec(&env, "UPDATE failed_awards SET status = 'dead' WHERE id ="
	    " %lld", (long long)id);
	h = dashboard_render(env.ctx);
	cr_assert_not_null(h);
	snprintf(form, sizeof(form), "<form method=\"post\" action=\""
	    "/v1/admin/failed-awards/%lld/retry\">", (long long)id);
	cr_assert_not_null(strstr(h, form), "%s", h);
	cr_assert_not_null(strstr(h, "none (dead)"));
	cr_assert_not_null(strstr(h, "id=\"retry-stale\""));
	cr_assert_not_null(strstr(h, "rows 1–1 of 1"));
	free(h);
}

/* A retry run that ended ago_min minutes before the clock. */
static void
run_ended(int64_t ago_min)
{
	char buf[ATIME_BUFSZ];

	tu_iso(env.cfg.now_ms - ago_min * 60000 - 2000, buf);
	tu_exec(&env, "INSERT INTO retry_runs(started_at, duration_ms, picked,"
	    " awarded, duplicate, not_eligible, refunds, failed, dead, forced)"
	    " VALUES ('%s', 2000, 0, 0, 0, 0, 0, 0, 0, 0)", buf);
}

static cJSON *
retry_json(void)
{
	cJSON *o = stats_retry(env.ctx, 100);

	cr_assert_not_null(o);
	return reparse(o);
}

Test(stats, retry_stale_no_run_ever_with_pending, .init = setup,
    .fini = teardown)
{
	cJSON *o = retry_json();

	/* Nothing pending: not stale, even with no run ever. */
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(o, "retryStale")));
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "lastRunAgeSeconds")));
	cJSON_Delete(o);
	queue("o1", 1);
	o = retry_json();
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(o, "retryStale")));
	cJSON_Delete(o);
}

Test(stats, retry_stale_after_16_min_not_after_14, .init = setup,
    .fini = teardown)
{
	cJSON *o;

	queue("o1", 1);
	run_ended(16);
	o = retry_json();
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(o, "retryStale")));
	cr_assert_eq(cJSON_GetObjectItem(o, "lastRunAgeSeconds")->valueint,
	    960);
	cJSON_Delete(o);
	run_ended(14);
	o = retry_json();
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(o, "retryStale")));
	cr_assert_eq(cJSON_GetObjectItem(o, "lastRunAgeSeconds")->valueint,
	    840);
	cJSON_Delete(o);
}

/* The ledger's totals straight from the ledger, as the truth to match. */
static int64_t
truth(const char *reason, const char *what)
{
	return tu_int(&env, "SELECT coalesce(%s, 0) FROM ticket_ledger"
	    " WHERE reason = '%s'", what, reason);
}

static void
assert_totals_match(void)
{
	struct stats_summary	s;
	int			seen = 0;

	cr_assert_eq(stats_summary(env.ctx, &s), 0);
	for (size_t i = 0; i < s.nledger; i++) {
		cr_assert_eq(s.ledger[i].rows, truth(s.ledger[i].name,
		    "count(*)"), "%s rows", s.ledger[i].name);
		cr_assert_eq(s.ledger[i].tickets, truth(s.ledger[i].name,
		    "sum(delta)"), "%s tickets", s.ledger[i].name);
		seen += (int)s.ledger[i].rows;
	}
	cr_assert_eq(seen, tu_int(&env, "SELECT count(*) FROM ticket_ledger"));
}

/* n ledger rows for owners 1..owners of contest c1, by SQL. */
static void
many(int n, int owners, const char *reason, int delta, const char *tag)
{
	tu_exec(&env, "WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1"
	    " FROM i WHERE k < %d) INSERT INTO ticket_ledger(id, contest_id,"
	    " referrer_id, referred_id, order_id, delta, reason, created_at)"
	    " SELECT '%s' || k, 'c1', 1 + k %% %d, 1, 'o%s' || k, %d, '%s',"
	    " '2026-11-27T11:00:00.000Z' FROM i", n, tag, owners, tag, delta,
	    reason);
}

Test(stats, totals_exact_before_and_after_folds, .init = setup,
    .fini = teardown)
{
	many(10, 3, "SELF_PURCHASE", 2, "a");
	assert_totals_match();		/* all on the fly */
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ledger_totals"), 0);
	many(TOTALS_FOLD_MIN + 5, 50, "INVITEE_PAYMENT", 3, "b");
	assert_totals_match();		/* still on the fly: reads never fold */
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ledger_totals"), 0);
	cr_assert_eq(totals_sync(env.ctx), 0);	/* the writer's upkeep */
	cr_assert_eq(tu_int(&env, "SELECT last_rowid FROM ledger_totals_state"),
	    tu_int(&env, "SELECT max(rowid) FROM ticket_ledger"));
	assert_totals_match();		/* folded */
	/* Legacy rows: random ids, duplicates of one order, a refund. */
	tu_ledger(&env, "9f1c-legacy-1", "c1", 7, 7, "old-1", 5,
	    "SELF_PURCHASE", "2025-01-01 10:00:00");
	tu_ledger(&env, "9f1c-legacy-2", "c1", 7, 7, "old-1", 5,
	    "SELF_PURCHASE", "2025-01-01 10:00:00");
	ledger("REFUND:x", "c1", 7, -5);
	assert_totals_match();		/* folded plus on the fly */
	cr_assert_eq(totals_fold(env.ctx), 0);
	cr_assert_eq(totals_fold(env.ctx), 0);	/* again: nothing twice */
	assert_totals_match();
}

static int
top_collect(void *arg, int64_t owner, int64_t tickets)
{
	char *s = arg;
	size_t n = strlen(s);

	snprintf(s + n, 4096 - n, "%lld:%lld,", (long long)owner,
	    (long long)tickets);
	return 0;
}

/* The top limit of c1 the slow way, in top_collect's format. */
static char *
top_truth(int limit)
{
	return tu_str(&env, "SELECT coalesce(group_concat(o || ':' || t, ',')"
	    " || ',', '') FROM (SELECT referrer_id AS o, sum(delta) AS t"
	    " FROM ticket_ledger WHERE contest_id = 'c1' GROUP BY referrer_id"
	    " HAVING t > 0 ORDER BY t DESC, referrer_id LIMIT %d)", limit);
}

static void
assert_top_matches(int limit)
{
	char buf[4096] = "", *want = top_truth(limit);

	cr_assert_eq(stats_top(env.ctx, "c1", limit, top_collect, buf),
	    STATS_OK);
	cr_assert_str_eq(buf, want);
	free(want);
}

Test(stats, leaderboard_from_totals_and_rows_past_watermark, .init = setup,
    .fini = teardown)
{
	many(3000, 40, "SELF_PURCHASE", 1, "a");
	cr_assert_eq(totals_fold(env.ctx), 0);
	assert_top_matches(10);
	/* Past the watermark: a new owner jumps in, a top owner drops. */
	ledger("n1", "c1", 999, 500);
	ledger("n2", "c1", 2, -60);
	ledger("n3", "c1", 5, -1000);
	assert_top_matches(10);
	assert_top_matches(1);
	assert_top_matches(1000);
	cr_assert_eq(totals_fold(env.ctx), 0);
	assert_top_matches(10);
}

Test(stats, fold_from_another_connection_counts_once, .init = setup,
    .fini = teardown)
{
	struct award_ctx	*other;
	char			 err[256];

	other = award_ctx_open(&env.cfg, &tu_role_all, err, sizeof(err));
	cr_assert_not_null(other, "%s", err);
	many(TOTALS_FOLD_CHUNK + 10, 7, "SELF_PURCHASE", 1, "a");
	cr_assert_eq(totals_fold(other), 0);
	cr_assert_eq(totals_fold(env.ctx), 0);
	many(100, 7, "SELF_PURCHASE", 1, "b");
	cr_assert_eq(totals_fold(env.ctx), 0);
	cr_assert_eq(totals_fold(other), 0);
	assert_totals_match();
	assert_top_matches(10);
	award_ctx_close(other);
}

struct race_arg {
	struct tu_env	*env;
};

static int
race_fold(int idx, void *arg)
{
	struct race_arg		*a = arg;
	struct award_ctx	*ctx;
	char			 err[256];
	int			 rc;

	(void)idx;
	if ((ctx = award_ctx_open(&a->env->cfg, &tu_role_all,
	    err, sizeof(err))) == NULL)
		return 2;
	tu_race_go();
	rc = totals_fold(ctx) == 0 ? 0 : 1;
	award_ctx_close(ctx);
	return rc;
}

Test(stats, folds_racing_in_processes_count_once, .init = setup,
    .fini = teardown)
{
	struct race_arg	a = { &env };
	int		codes[6];

	many(3 * TOTALS_FOLD_CHUNK + 17, 11, "SELF_PURCHASE", 2, "a");
	tu_close(&env);
	tu_race(6, race_fold, &a, codes);
	for (int i = 0; i < 6; i++)
		cr_assert_eq(codes[i], 0, "child %d: %d", i, codes[i]);
	tu_open(&env);
	cr_assert_eq(tu_int(&env, "SELECT rows FROM ledger_totals WHERE"
	    " reason = 'SELF_PURCHASE'"), 3 * TOTALS_FOLD_CHUNK + 17);
	assert_totals_match();
	assert_top_matches(20);
}

Test(stats, payments_by_outcome_kept_by_triggers, .init = setup,
    .fini = teardown)
{
	struct stats_summary s;

	tu_exec(&env, "INSERT INTO payments(payment_id, order_id, telegram_id,"
	    " plan_id, amount_minor, currency, order_created_at, outcome,"
	    " created_at, updated_at) VALUES"
	    " ('p1', 'o1', 1, 'x', 100, 'RUB', 't', 'awarded', 't', 't'),"
	    " ('p2', 'o2', 1, 'x', 100, 'RUB', 't', NULL, 't', 't')");
	/* Made before the totals were filled: counted from the rows. */
	cr_assert_eq(stats_summary(env.ctx, &s), 0);
	cr_assert_eq(s.payments_total, 2);
	cr_assert_eq(totals_sync(env.ctx), 0);	/* the writer fills them */
	cr_assert_eq(tu_int(&env, "SELECT sum(payments) FROM payment_totals"),
	    2);
	tu_exec(&env, "UPDATE payments SET outcome = 'queued' WHERE"
	    " payment_id = 'p2'");
	tu_exec(&env, "UPDATE payments SET refunded_minor = 100 WHERE"
	    " payment_id = 'p1'");
	tu_exec(&env, "INSERT INTO payments(payment_id, order_id, telegram_id,"
	    " plan_id, order_created_at, outcome, created_at, updated_at)"
	    " VALUES ('p3', 'o3', 1, 'x', 't', 'awarded', 't', 't')");
	cr_assert_eq(stats_summary(env.ctx, &s), 0);
	cr_assert_eq(s.payments_total, 3);
	for (size_t i = 0; i < s.npayments; i++) {
		const struct stats_group *g = &s.payments[i];
		int64_t want = tu_int(&env, "SELECT count(*) FROM payments"
		    " WHERE coalesce(outcome, 'none') = '%s'", g->name);

		cr_assert_eq(g->rows, want, "%s", g->name);
		if (strcmp(g->name, "awarded") == 0)
			cr_assert_eq(g->tickets, 1);	/* p1 refunded */
	}
}

Test(stats, ledger_rows_in_last_24h, .init = setup, .fini = teardown)
{
	struct stats_summary s;

	ledger("new", "c1", 1, 1);				/* 10:00 today */
	tu_ledger(&env, "old", "c1", 2, 2, "old", 1, "SELF_PURCHASE",
	    "2026-11-25T10:00:00.000Z");
	cr_assert_eq(stats_summary(env.ctx, &s), 0);
	cr_assert_eq(s.nledger, 1);
	cr_assert_eq(s.ledger[0].rows, 2);
	cr_assert_eq(s.ledger[0].rows_24h, 1);
	cr_assert_eq(totals_fold(env.ctx), 0);
	cr_assert_eq(stats_summary(env.ctx, &s), 0);
	cr_assert_eq(s.ledger[0].rows_24h, 1);
}

Test(stats, health_ok, .init = setup, .fini = teardown)
{
	cr_assert_eq(stats_health(env.ctx), 0);
}

static void
setup_separate(void)
{
	tu_init(&env, 1);
	tu_open(&env);
	env.cfg.now_ms = tu_ms("2026-11-27T12:00:00.000Z");
	tu_contest(&env, "c1", "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z",
	    30, 1);
}

Test(stats, totals_exact_with_a_separate_bot_database,
    .init = setup_separate, .fini = teardown)
{
	many(TOTALS_FOLD_MIN + 20, 13, "SELF_PURCHASE", 2, "a");
	assert_totals_match();
	cr_assert_eq(totals_sync(env.ctx), 0);
	cr_assert_gt(tu_int(&env, "SELECT last_rowid FROM main.ledger_totals_state"),
	    0);
	many(30, 5, "REFUND", -1, "r");
	assert_totals_match();
	assert_top_matches(10);
}
