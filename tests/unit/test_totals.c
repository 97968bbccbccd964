/*
 * Unit tests for common/totals.c and the rule that a read never writes
 * (SPEC.md §5): the admin views answer from the committed totals plus the
 * rows past the watermark, on a connection of roles_reader, without a
 * write and without waiting for a write lock another process holds; the
 * writer's upkeep (totals_step, totals_sync) folds in short chunks and
 * never waits for that lock.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>

#include "../../fcgi/dashboard.h"
#include "../../fcgi/metrics.h"
#include "roles.h"
#include "stats.h"
#include "testutil.h"
#include "totals.h"

/* Ledger rows seeded: more than the writer leaves to the reads. */
#define ROWS	(TOTALS_FOLD_MIN + 2 * TOTALS_STEP_CHUNK + 7)
/* A read that waited for the lock would wait this long (SPEC.md §5). */
#define LONG_BUSY_MS	30000

static struct tu_env env;

static void
setup(void)
{
	tu_init(&env, 0);
	env.cfg.busy_timeout_ms = LONG_BUSY_MS;
	tu_open(&env);
	env.cfg.now_ms = tu_ms("2026-11-27T12:00:00.000Z");
	tu_contest(&env, "c1", "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z",
	    30, 1);
	tu_exec(&env, "WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1"
	    " FROM i WHERE k < %d) INSERT INTO ticket_ledger(id, contest_id,"
	    " referrer_id, referred_id, order_id, delta, reason, created_at)"
	    " SELECT 'l' || k, 'c1', 1 + k %% 17, 1, 'o' || k, 1 + k %% 3,"
	    " 'SELF_PURCHASE', '2026-11-27T11:00:00.000Z' FROM i", ROWS);
	tu_exec(&env, "INSERT INTO payments(payment_id, order_id, telegram_id,"
	    " plan_id, amount_minor, currency, order_created_at, outcome,"
	    " created_at, updated_at) VALUES"
	    " ('p1', 'o1', 1, 'x', 100, 'RUB', 't', 'awarded', 't', 't'),"
	    " ('p2', 'o2', 1, 'x', 100, 'RUB', 't', 'queued', 't', 't')");
	/* A 0.00 payment refunded in full: counted refunded, as by the
	 * triggers (a refund at least, reaching the amount). */
	tu_exec(&env, "INSERT INTO payments(payment_id, order_id, telegram_id,"
	    " plan_id, amount_minor, currency, order_created_at, outcome,"
	    " refunded_minor, created_at, updated_at) VALUES"
	    " ('p3', 'o3', 1, 'x', 0, 'RUB', 't', 'awarded', 100, 't', 't')");
	/* Rows made before the triggers counted: the fill is still due. */
	tu_exec(&env, "DELETE FROM totals_ready");
	tu_exec(&env, "DELETE FROM payment_totals");
}

static void
teardown(void)
{
	tu_fini(&env);
}

static int64_t
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A connection of the service's read pool. */
static struct award_ctx *
reader(void)
{
	struct award_ctx	*rd;
	char			 err[CONFIG_ERR_MAX];

	rd = award_ctx_open(&env.cfg, &roles_reader, err, sizeof(err));
	cr_assert_not_null(rd, "reader: %s", err);
	return rd;
}

static int
top_one(void *arg, int64_t owner, int64_t tickets)
{
	(void)owner;
	*(int64_t *)arg = tickets;
	return 0;
}

/* Every admin and bot view once on rd; asserts the ledger numbers exact. */
static void
read_everything(struct award_ctx *rd)
{
	struct stats_summary	 s;
	cJSON			*o = NULL;
	char			*page, *m;
	int64_t			 top = -1;

	cr_assert_eq(stats_summary(rd, &s), 0);
	cr_assert_eq(s.nledger, 1);
	cr_assert_eq(s.ledger[0].rows, ROWS);
	cr_assert_eq(s.ledger[0].tickets, tu_int(&env,
	    "SELECT sum(delta) FROM ticket_ledger"));
	cr_assert_eq(s.payments_total, 3);
	cr_assert_not_null(o = stats_retry(rd, 10));
	cJSON_Delete(o);
	cr_assert_eq(stats_leaderboard(rd, "c1", 3, &o), STATS_OK);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "items")), 3);
	cJSON_Delete(o);
	cr_assert_eq(stats_top(rd, "c1", 1, top_one, &top), STATS_OK);
	cr_assert_eq(top, tu_int(&env, "SELECT sum(delta) AS t FROM"
	    " ticket_ledger GROUP BY referrer_id ORDER BY t DESC LIMIT 1"));
	cr_assert_eq(stats_user_tickets(rd, 2, "c1", &o), STATS_OK);
	cJSON_Delete(o);
	cr_assert_not_null(page = dashboard_render(rd));
	free(page);
	cr_assert_not_null(m = metrics_render(&s, NULL));
	free(m);
	cr_assert_eq(stats_health(rd), 0);
}

/* PRAGMA data_version of db: changes when another connection commits. */
static int64_t
data_version(sqlite3 *db)
{
	sqlite3_stmt	*st;
	int64_t		 v;

	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st,
	    NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

Test(totals, reads_never_write_the_database, .init = setup,
    .fini = teardown)
{
	struct award_ctx	*rd = reader();
	sqlite3			*watch = tu_conn(&env);
	int64_t			 v0;

	v0 = data_version(watch);
	read_everything(rd);
	read_everything(rd);
	cr_assert_eq(data_version(watch), v0,
	    "a read committed a change to the database");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ledger_totals"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM totals_ready"), 0);
	sqlite3_close(watch);
	award_ctx_close(rd);
}

Test(totals, admin_read_under_foreign_write_lock_prompt_and_exact,
    .init = setup, .fini = teardown)
{
	struct award_ctx	*rd = reader();
	struct timespec		 t0;
	sqlite3			*lock;
	int64_t			 took;

	lock = tu_lock(env.cfg.db_path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	read_everything(rd);
	took = ms_since(&t0);
	tu_unlock(lock);
	/* Waiting would take LONG_BUSY_MS; an idle machine answers in ms. */
	cr_assert_lt(took, LONG_BUSY_MS / 6, "the views took %lld ms under a "
	    "foreign write lock", (long long)took);
	award_ctx_close(rd);
}

Test(totals, writer_step_fills_then_folds_in_short_chunks, .init = setup,
    .fini = teardown)
{
	enum totals_result	rc;
	int			steps = 0;

	/* The fills first, one transaction each. */
	cr_assert_eq(totals_step(env.ctx, TOTALS_FOLD_MIN, 1), TOTALS_MORE);
	cr_assert_eq(tu_int(&env, "SELECT sum(payments) FROM payment_totals"),
	    3);
	cr_assert_eq(tu_int(&env, "SELECT sum(refunded) FROM payment_totals"),
	    1, "the fill's rule is not the triggers'");
	cr_assert_eq(totals_step(env.ctx, TOTALS_FOLD_MIN, 1), TOTALS_MORE);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM totals_ready"
	    " WHERE ready = 1"), 2);
	/* Then the fold, at most TOTALS_STEP_CHUNK rows a step. */
	cr_assert_eq(totals_step(env.ctx, TOTALS_FOLD_MIN, 1), TOTALS_MORE);
	cr_assert_eq(tu_int(&env, "SELECT last_rowid FROM ledger_totals_state"),
	    TOTALS_STEP_CHUNK);
	while ((rc = totals_step(env.ctx, 0, 1)) == TOTALS_MORE)
		cr_assert_lt(++steps, 10);
	cr_assert_eq(rc, TOTALS_DONE);
	cr_assert_eq(tu_int(&env, "SELECT last_rowid FROM ledger_totals_state"),
	    ROWS);
	cr_assert_eq(tu_int(&env, "SELECT rows FROM ledger_totals"), ROWS);
	/* A few rows past the watermark are left to the reads. */
	tu_ledger(&env, "late", "c1", 5, 5, "late", 1, "SELF_PURCHASE",
	    "2026-11-27T11:30:00.000Z");
	cr_assert_eq(totals_step(env.ctx, TOTALS_FOLD_MIN, 1), TOTALS_DONE);
	cr_assert_eq(tu_int(&env, "SELECT last_rowid FROM ledger_totals_state"),
	    ROWS);
}

Test(totals, writer_step_does_not_wait_for_a_foreign_lock, .init = setup,
    .fini = teardown)
{
	struct timespec	 t0;
	sqlite3		*lock;
	int64_t		 took;

	lock = tu_lock(env.cfg.db_path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(totals_step(env.ctx, TOTALS_FOLD_MIN, 1), TOTALS_BUSY);
	took = ms_since(&t0);
	tu_unlock(lock);
	/* Waiting would take LONG_BUSY_MS; a try takes no time at all. */
	cr_assert_lt(took, LONG_BUSY_MS / 2, "took %lld ms", (long long)took);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM totals_ready"), 0);
	/* The lock gone, the next step does the work, and the busy handler
	 * is back: totals_sync() waits for the lock as before. */
	cr_assert_eq(totals_sync(env.ctx), 0);
	cr_assert_eq(tu_int(&env, "SELECT last_rowid FROM ledger_totals_state"),
	    ROWS);
}
