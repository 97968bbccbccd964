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

#include "job.h"
#include "retryq.h"
#include "stats.h"
#include "testutil.h"

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
	cr_assert_eq(stats_user_tickets(env.ctx, BIG, "c1", &o), 0);
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
	cr_assert_eq(stats_user_tickets(env.ctx, 7, NULL, &o), 0);
	s = text(o);
	cr_assert_str_eq(s, "{\"telegram_id\":7,\"contest_id\":\"c1\","
	    "\"tickets\":3}");
	free(s);
}

Test(stats, user_tickets_unknown_contest_or_none_running, .init = setup,
    .fini = teardown)
{
	cJSON *o = NULL;

	cr_assert_eq(stats_user_tickets(env.ctx, 7, "nope", &o), 1);
	cr_assert_null(o);
	env.cfg.now_ms = tu_ms("2027-06-01T00:00:00.000Z");
	cr_assert_eq(stats_user_tickets(env.ctx, 7, NULL, &o), 1);
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
	cr_assert_eq(stats_leaderboard(env.ctx, "c1", 20, &o), 0);
	s = text(o);
	cr_assert_str_eq(s, "{\"contest_id\":\"c1\",\"items\":["
	    "{\"telegram_id\":20,\"tickets\":9},"
	    "{\"telegram_id\":10,\"tickets\":3},"
	    "{\"telegram_id\":30,\"tickets\":3}]}");
	free(s);
	cr_assert_eq(stats_leaderboard(env.ctx, "c1", 1, &o), 0);
	s = text(o);
	cr_assert_str_eq(s, "{\"contest_id\":\"c1\",\"items\":["
	    "{\"telegram_id\":20,\"tickets\":9}]}");
	free(s);
	cr_assert_eq(stats_leaderboard(env.ctx, "nope", 20, &o), 1);
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

Test(stats, metrics_lines, .init = setup, .fini = teardown)
{
	char *m;

	queue("o1", 1);
	ledger("a", "c1", 7, 5);
	ledger("b", "c1", 8, 2);
	m = stats_metrics(env.ctx);
	cr_assert_not_null(m);
	cr_assert_not_null(strstr(m,
	    "award_failed_awards{status=\"pending\"} 1\n"), "%s", m);
	cr_assert_not_null(strstr(m,
	    "award_ledger_rows{reason=\"SELF_PURCHASE\"} 2\n"), "%s", m);
	cr_assert_not_null(strstr(m,
	    "award_ledger_tickets{reason=\"SELF_PURCHASE\"} 7\n"), "%s", m);
	cr_assert_not_null(strstr(m, "# TYPE award_failed_awards gauge\n"));
	free(m);
}

Test(stats, dashboard_escapes_database_text, .init = setup,
    .fini = teardown)
{
	char *h;

	queue("o1", 1);
	tu_exec(&env, "UPDATE failed_awards SET last_error ="
	    " '<script>alert(1)</script>'");
	h = stats_dashboard(env.ctx);
	cr_assert_not_null(h);
	cr_assert_null(strstr(h, "<script>"), "unescaped: %s", h);
	cr_assert_not_null(strstr(h, "&lt;script&gt;"));
	free(h);
}

Test(stats, health_ok, .init = setup, .fini = teardown)
{
	cr_assert_eq(stats_health(env.ctx), 0);
}
