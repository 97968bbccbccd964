/*
 * Unit tests for common/retryq.c (SPEC.md §6) on real SQLite files: the
 * backoff, recording failures, due times through retry runs with a fixed
 * clock, dead rows, the admin re-queue, ordering and limits, retry_runs,
 * the due query's index, the run lock, and a locked bot database.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "award.h"
#include "job.h"
#include "retryq.h"
#include "testutil.h"

#define BUYER		1001LL
#define T_ORDER		"2026-11-27T10:51:18.139Z"
#define MIN		60000LL
#define HOUR		(60 * MIN)

static struct tu_env	env;
static int64_t		t0;

static void
seed(void)
{
	tu_plan(&env, "p30", 3);
	tu_contest(&env, "c1", "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z",
	    30, 1);
	t0 = tu_ms("2026-11-27T12:00:00.000Z");
	env.cfg.now_ms = t0;
}

static void
setup(void)
{
	tu_init(&env, 0);
	tu_open(&env);
	seed();
}

static void
setup_sep(void)
{
	tu_init(&env, 1);
	env.cfg.busy_timeout_ms = 100;
	tu_open(&env);
	seed();
}

static void
teardown(void)
{
	tu_fini(&env);
}

/* award_submit an order whose plan has no row: it is queued. */
static void
queue_failing(const char *order, const char *plan)
{
	struct award_req	req = tu_req(order, BUYER, plan, T_ORDER);
	struct award_out	out;
	enum job_outcome	r;

	r = job_award(env.ctx, &req, NULL, &out);
	cr_assert_eq(r, JOB_QUEUED, "order %s: got %s", order,
	    job_outcome_name(r, award_result_name(out.result)));
}

static int64_t
col_int(const char *col, const char *order)
{
	return tu_int(&env, "SELECT %s FROM failed_awards WHERE order_id = %Q",
	    col, order);
}

static char *
col_str(const char *col, const char *order)
{
	return tu_str(&env, "SELECT %s FROM failed_awards WHERE order_id = %Q",
	    col, order);
}

static void
run(int force, int limit, struct retry_run *r)
{
	cr_assert_eq(job_retry_run(env.ctx, force, limit, r), 0,
	    "retryq_run failed");
}

/* The row's next attempt is exactly delay after now, in both columns. */
static void
expect_due(const char *order, int64_t now, int64_t delay)
{
	char buf[ATIME_BUFSZ];

	cr_assert_eq(col_int("next_attempt_ms", order), now + delay,
	    "next_attempt_ms - now = %lld ms, want %lld ms",
	    (long long)(col_int("next_attempt_ms", order) - now),
	    (long long)delay);
	tu_assert_str(col_str("next_attempt_at", order),
	    tu_iso(now + delay, buf), "next_attempt_at");
}

/* ---- the backoff ---- */

Test(retryq, backoff_5_10_20_40_80_160_320_min_then_6h)
{
	static const int64_t want[] = { 5, 10, 20, 40, 80, 160, 320 };

	for (int n = 1; n <= 7; n++)
		cr_assert_eq(retryq_backoff_ms(n), want[n - 1] * MIN,
		    "n = %d: %lld ms", n, (long long)retryq_backoff_ms(n));
	for (int n = 8; n <= 100; n++)
		cr_assert_eq(retryq_backoff_ms(n), 6 * HOUR, "n = %d: %lld ms",
		    n, (long long)retryq_backoff_ms(n));
	cr_assert_eq(retryq_backoff_ms(1000), 6 * HOUR);
}

/* ---- recording failures ---- */

Test(retryq, record_twice_one_row_attempts_2, .init = setup,
    .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p30", T_ORDER);
	char			buf[ATIME_BUFSZ];

	cr_assert_eq(job_queue_award(env.ctx, &req, "first error"), 0);
	cr_assert_eq(col_int("attempts", "o1"), 1);
	expect_due("o1", t0, 5 * MIN);
	tu_assert_str(col_str("status", "o1"), "pending", "status");

	env.cfg.now_ms = t0 + 7 * MIN;
	cr_assert_eq(job_queue_award(env.ctx, &req, "second error"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 1);
	cr_assert_eq(col_int("attempts", "o1"), 2);
	expect_due("o1", t0 + 7 * MIN, 10 * MIN);
	tu_assert_str(col_str("last_error", "o1"), "second error",
	    "last_error");
	tu_assert_str(col_str("last_attempt_at", "o1"),
	    tu_iso(t0 + 7 * MIN, buf), "last_attempt_at");
	tu_assert_str(col_str("created_at", "o1"), tu_iso(t0, buf),
	    "created_at");
	tu_assert_str(col_str("status", "o1"), "pending", "status");
}

Test(retryq, submit_failure_times_iso_ms_z, .init = setup, .fini = teardown)
{
	char want[256], a[ATIME_BUFSZ], b[ATIME_BUFSZ];

	env.cfg.now_ms = t0 + 123;
	queue_failing("o1", "p-missing");
	snprintf(want, sizeof(want), "%s|%s|%s|%s|%s", tu_iso(t0 + 123, a), a,
	    a, tu_iso(t0 + 123 + 5 * MIN, b), T_ORDER);
	tu_assert_str(tu_str(&env, "SELECT created_at || '|' || updated_at"
	    " || '|' || last_attempt_at || '|' || next_attempt_at || '|' ||"
	    " order_created_at FROM failed_awards"), want,
	    "failed_awards times");
}

/* ---- due times through runs ---- */

Test(retryq, due_after_1_2_3_failures, .init = setup, .fini = teardown)
{
	struct retry_run	r;
	int64_t			now;

	queue_failing("o1", "p-missing");
	cr_assert_eq(col_int("attempts", "o1"), 1);
	expect_due("o1", t0, 5 * MIN);

	/* 1 ms early: not picked, untouched. */
	env.cfg.now_ms = t0 + 5 * MIN - 1;
	run(0, 100, &r);
	cr_assert_eq(r.picked, 0);
	cr_assert_eq(col_int("attempts", "o1"), 1);

	now = env.cfg.now_ms = t0 + 5 * MIN;
	run(0, 100, &r);
	cr_assert_eq(r.picked, 1);
	cr_assert_eq(r.failed, 1);
	cr_assert_eq(col_int("attempts", "o1"), 2);
	expect_due("o1", now, 10 * MIN);
	tu_assert_contains(col_str("last_error", "o1"), "p-missing",
	    "last_error");

	now = env.cfg.now_ms = now + 10 * MIN;
	run(0, 100, &r);
	cr_assert_eq(r.failed, 1);
	cr_assert_eq(col_int("attempts", "o1"), 3);
	expect_due("o1", now, 20 * MIN);

	now = env.cfg.now_ms = now + 20 * MIN;
	run(0, 100, &r);
	cr_assert_eq(col_int("attempts", "o1"), 4);
	expect_due("o1", now, 40 * MIN);
	tu_assert_str(col_str("status", "o1"), "pending", "status");
}

Test(retryq, due_capped_at_6h, .init = setup, .fini = teardown)
{
	struct retry_run	r;
	int64_t			now = t0, want;

	env.cfg.retry_max_attempts = 20;
	queue_failing("o1", "p-missing");
	for (int a = 2; a <= 10; a++) {
		now = env.cfg.now_ms = col_int("next_attempt_ms", "o1");
		run(0, 100, &r);
		cr_assert_eq(r.picked, 1, "attempt %d not picked when due", a);
		cr_assert_eq(col_int("attempts", "o1"), a);
		want = a >= 8 ? 6 * HOUR : (5 * MIN) << (a - 1);
		expect_due("o1", now, want);
	}
	tu_assert_str(col_str("status", "o1"), "pending", "status");
}

/* ---- dead rows ---- */

Test(retryq, max_attempts_dead_never_deleted, .init = setup,
    .fini = teardown)
{
	struct retry_run r;

	env.cfg.retry_max_attempts = 3;
	queue_failing("o1", "p-missing");
	env.cfg.now_ms = col_int("next_attempt_ms", "o1");
	run(0, 100, &r);
	cr_assert_eq(r.failed, 1);
	cr_assert_eq(r.dead, 0);
	tu_assert_str(col_str("status", "o1"), "pending", "after attempt 2");
	env.cfg.now_ms = col_int("next_attempt_ms", "o1");
	run(0, 100, &r);
	cr_assert_eq(r.dead, 1);
	cr_assert_eq(r.failed, 0);
	tu_assert_str(col_str("status", "o1"), "dead", "after attempt 3");
	cr_assert_eq(col_int("attempts", "o1"), 3);
	/* Dead rows are not taken again, not even forced, and stay. */
	env.cfg.now_ms += 48 * HOUR;
	run(1, 100, &r);
	cr_assert_eq(r.picked, 0);
	run(0, 100, &r);
	cr_assert_eq(r.picked, 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 1);
	tu_assert_str(col_str("status", "o1"), "dead", "later");
}

Test(retryq, max_attempts_reached_by_redelivery_dead, .init = setup,
    .fini = teardown)
{
	env.cfg.retry_max_attempts = 3;
	queue_failing("o1", "p-missing");
	queue_failing("o1", "p-missing");
	tu_assert_str(col_str("status", "o1"), "pending", "attempt 2");
	queue_failing("o1", "p-missing");
	tu_assert_str(col_str("status", "o1"), "dead", "attempt 3");
	cr_assert_eq(col_int("attempts", "o1"), 3);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 1);
}

Test(retryq, max_attempts_1_first_failure_dead, .init = setup,
    .fini = teardown)
{
	env.cfg.retry_max_attempts = 1;
	queue_failing("o1", "p-missing");
	tu_assert_str(col_str("status", "o1"), "dead", "status");
	cr_assert_eq(col_int("attempts", "o1"), 1);
}

/* ---- admin re-queue ---- */

Test(retryq, requeue_dead_to_pending_due_now, .init = setup,
    .fini = teardown)
{
	struct retry_run	r;
	int64_t			id, now;

	env.cfg.retry_max_attempts = 2;
	queue_failing("o1", "p-missing");
	env.cfg.now_ms = col_int("next_attempt_ms", "o1");
	run(0, 100, &r);
	tu_assert_str(col_str("status", "o1"), "dead", "status");
	id = col_int("id", "o1");

	now = env.cfg.now_ms = t0 + 3 * HOUR;
	cr_assert_eq(retryq_requeue(env.ctx, id, "token"), RETRYQ_REQUEUED);
	tu_assert_str(col_str("status", "o1"), "pending", "after requeue");
	cr_assert_eq(col_int("next_attempt_ms", "o1"), now);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 1);
	/* Due now: an ordinary run picks it; with the plan it is awarded. */
	tu_plan(&env, "p-missing", 2);
	run(0, 100, &r);
	cr_assert_eq(r.picked, 1);
	cr_assert_eq(r.awarded, 1);
	tu_assert_str(col_str("status || '|' || outcome", "o1"),
	    "done|awarded", "after the run");
}

Test(retryq, requeue_pending_due_now, .init = setup, .fini = teardown)
{
	int64_t id;

	queue_failing("o1", "p-missing");
	id = col_int("id", "o1");
	env.cfg.now_ms = t0 + MIN;
	cr_assert_eq(retryq_requeue(env.ctx, id, "token"), RETRYQ_REQUEUED);
	cr_assert_eq(col_int("next_attempt_ms", "o1"), t0 + MIN);
	tu_assert_str(col_str("status", "o1"), "pending", "status");
}

Test(retryq, requeue_unknown_id_not_found, .init = setup, .fini = teardown)
{
	queue_failing("o1", "p-missing");
	cr_assert_eq(retryq_requeue(env.ctx, 424242, "token"), RETRYQ_NOT_FOUND);
	cr_assert_eq(retryq_requeue(env.ctx, -1, "token"), RETRYQ_NOT_FOUND);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 1);
}

Test(retryq, requeue_done_is_done, .init = setup, .fini = teardown)
{
	struct retry_run	r;
	int64_t			id;

	queue_failing("o1", "p-missing");
	tu_plan(&env, "p-missing", 2);
	run(1, 100, &r);
	tu_assert_str(col_str("status", "o1"), "done", "status");
	id = col_int("id", "o1");
	cr_assert_eq(retryq_requeue(env.ctx, id, "token"), RETRYQ_IS_DONE);
	tu_assert_str(col_str("status || '|' || outcome", "o1"),
	    "done|awarded", "row after a refused requeue");
}

/* ---- runs ---- */

Test(retryq, plan_added_run_awards_and_marks_done, .init = setup,
    .fini = teardown)
{
	struct retry_run r;

	queue_failing("o1", "p-new");
	tu_plan(&env, "p-new", 4);
	env.cfg.now_ms = t0 + 5 * MIN;
	run(0, 100, &r);
	cr_assert_eq(r.picked, 1);
	cr_assert_eq(r.awarded, 1);
	cr_assert_eq(r.failed, 0);
	tu_assert_str(col_str("status || '|' || outcome || '|' || attempts",
	    "o1"), "done|awarded|1", "queued row");
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "c1", BUYER, BUYER, "o1",
	    4, "SELF_PURCHASE");
	/* Done rows are not taken again. */
	run(1, 100, &r);
	cr_assert_eq(r.picked, 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 1);
}

Test(retryq, run_not_due_not_picked_force_picks, .init = setup,
    .fini = teardown)
{
	struct retry_run r;

	queue_failing("o1", "p-new");
	tu_plan(&env, "p-new", 4);
	env.cfg.now_ms = t0 + MIN;
	run(0, 100, &r);
	cr_assert_eq(r.picked, 0);
	tu_assert_str(col_str("status", "o1"), "pending", "not due");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
	run(1, 100, &r);
	cr_assert_eq(r.picked, 1);
	cr_assert_eq(r.forced, 1);
	cr_assert_eq(r.awarded, 1);
	tu_assert_str(col_str("status", "o1"), "done", "forced");
}

Test(retryq, run_oldest_due_first_with_limit, .init = setup,
    .fini = teardown)
{
	struct retry_run r;

	/* Due t0+7, t0+5, t0+6 min; then two due at t0+8 (id order). */
	env.cfg.now_ms = t0 + 2 * MIN;
	queue_failing("oA", "p-new");
	env.cfg.now_ms = t0;
	queue_failing("oB", "p-new");
	env.cfg.now_ms = t0 + MIN;
	queue_failing("oC", "p-new");
	env.cfg.now_ms = t0 + 3 * MIN;
	queue_failing("oD", "p-new");
	queue_failing("oE", "p-new");
	tu_plan(&env, "p-new", 1);

	env.cfg.now_ms = t0 + 20 * MIN;
	run(0, 1, &r);
	cr_assert_eq(r.picked, 1);
	tu_assert_str(tu_str(&env, "SELECT group_concat(order_id) FROM"
	    " failed_awards WHERE status = 'done'"), "oB", "1st run");
	run(0, 1, &r);
	tu_assert_str(tu_str(&env, "SELECT group_concat(order_id) FROM"
	    " (SELECT order_id FROM failed_awards WHERE status = 'done'"
	    " ORDER BY order_id)"), "oB,oC", "2nd run");
	run(0, 2, &r);
	cr_assert_eq(r.picked, 2);
	tu_assert_str(tu_str(&env, "SELECT group_concat(order_id) FROM"
	    " (SELECT order_id FROM failed_awards WHERE status = 'done'"
	    " ORDER BY order_id)"), "oA,oB,oC,oD", "3rd run");
	run(0, 100, &r);
	cr_assert_eq(r.picked, 1);
	tu_assert_str(col_str("status", "oE"), "done", "last");
}

Test(retryq, each_run_adds_retry_runs_row_with_counts, .init = setup,
    .fini = teardown)
{
	struct award_req	req;
	struct award_out	out;
	struct retry_run	r;
	char			want[256], buf[ATIME_BUFSZ];

	/* Empty run: still a row. */
	run(0, 100, &r);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM retry_runs"), 1);
	tu_assert_str(tu_str(&env, "SELECT picked || '|' || awarded || '|' ||"
	    " forced || '|' || started_at FROM retry_runs"),
	    "0|0|0|2026-11-27T12:00:00.000Z", "empty run");

	/* One of each: awarded, duplicate, not_eligible, failed. */
	queue_failing("o-aw", "p-new");
	req = tu_req("o-dup", BUYER, "p30", T_ORDER);
	cr_assert_eq(job_queue_award(env.ctx, &req, "x"), 0);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_AWARDED);
	req = tu_req("o-ne", BUYER, "p30", "2027-01-01T00:00:00Z");
	cr_assert_eq(job_queue_award(env.ctx, &req, "x"), 0);
	queue_failing("o-fail", "p-missing");
	tu_plan(&env, "p-new", 1);

	env.cfg.now_ms = t0 + HOUR;
	run(0, 100, &r);
	cr_assert_eq(r.picked, 4);
	cr_assert_eq(r.awarded, 1);
	cr_assert_eq(r.duplicate, 1);
	cr_assert_eq(r.not_eligible, 1);
	cr_assert_eq(r.failed, 1);
	cr_assert_eq(r.dead, 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM retry_runs"), 2);
	snprintf(want, sizeof(want), "4|1|1|1|0|1|0|0|%s",
	    tu_iso(t0 + HOUR, buf));
	tu_assert_str(tu_str(&env, "SELECT picked || '|' || awarded || '|' ||"
	    " duplicate || '|' || not_eligible || '|' || refunds || '|' ||"
	    " failed || '|' || dead || '|' || forced || '|' || started_at"
	    " FROM retry_runs ORDER BY id DESC LIMIT 1"), want,
	    "retry_runs row (picked|awarded|duplicate|not_eligible|refunds|"
	    "failed|dead|forced|started_at)");
	tu_assert_str(col_str("status || '|' || outcome", "o-dup"),
	    "done|duplicate", "o-dup");
	tu_assert_str(col_str("status || '|' || outcome", "o-ne"),
	    "done|not_eligible", "o-ne");
	tu_assert_str(col_str("status", "o-fail"), "pending", "o-fail");
	cr_assert_geq(tu_int(&env, "SELECT duration_ms FROM retry_runs"
	    " ORDER BY id DESC LIMIT 1"), 0);
}

/* ---- the due query's plan ---- */

/*
 * RQ_DUE and RQ_DUE_ALL, copied from common/retryq.c: keep them in step.
 * Without INDEXED BY, SQLite 3.40 on a database without ANALYZE statistics
 * picks failed_awards_status (status=?) and sorts every pending row in a
 * temp B-tree.
 */
static const char due_sql[] =
	"SELECT id FROM main.failed_awards INDEXED BY failed_awards_due"
	" WHERE status = 'pending'"
	" AND next_attempt_ms <= ?1 ORDER BY next_attempt_ms, id LIMIT ?2";
static const char due_all_sql[] =
	"SELECT id FROM main.failed_awards INDEXED BY failed_awards_due"
	" WHERE status = 'pending' ORDER BY next_attempt_ms, id LIMIT ?2";

/* The EXPLAIN QUERY PLAN details of sql, joined by " ; ". */
static void
query_plan(const char *q, char *buf, size_t bufsz)
{
	sqlite3_stmt	*st = NULL;
	char		*sql;
	int		 rc;

	sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", q);
	cr_assert_not_null(sql);
	rc = sqlite3_prepare_v2(env.ctx->db, sql, -1, &st, NULL);
	sqlite3_free(sql);
	cr_assert_eq(rc, SQLITE_OK, "%s", sqlite3_errmsg(env.ctx->db));
	sqlite3_bind_int64(st, 1, t0);
	sqlite3_bind_int(st, 2, 1000);
	buf[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);

		if (buf[0] != '\0')
			strncat(buf, " ; ", bufsz - strlen(buf) - 1);
		strncat(buf, d ? d : "", bufsz - strlen(buf) - 1);
	}
	sqlite3_finalize(st);
}

static void
expect_plan_uses_due_index(const char *q)
{
	char plan[1024];

	query_plan(q, plan, sizeof(plan));
	cr_assert_not_null(strstr(plan, "failed_awards_due"),
	    "query plan does not use failed_awards_due: %s", plan);
	cr_assert(strstr(plan, "SCAN failed_awards") == NULL ||
	    strstr(plan, "SCAN failed_awards USING") != NULL,
	    "full scan: %s", plan);
	cr_assert(strstr(plan, "SCAN main.failed_awards") == NULL ||
	    strstr(plan, "SCAN main.failed_awards USING") != NULL,
	    "full scan: %s", plan);
	cr_assert_null(strstr(plan, "TEMP B-TREE"),
	    "the query sorts: %s", plan);
}

static void
expect_due_plan_uses_index(void)
{
	expect_plan_uses_due_index(due_sql);
}

/*
 * The library's own prepared due statements (found on the context's
 * connection by their text), so a stale copy above cannot hide a change.
 */
Test(retryq, library_due_statements_use_index, .init = setup,
    .fini = teardown)
{
	sqlite3_stmt	*st = NULL;
	char		 found[2][2048];
	int		 n = 0;

	while ((st = sqlite3_next_stmt(env.ctx->db, st)) != NULL) {
		const char *q = sqlite3_sql(st);

		if (q == NULL || strstr(q, "failed_awards") == NULL ||
		    strncmp(q, "SELECT id FROM", 14) != 0 ||
		    strstr(q, "ORDER BY next_attempt_ms") == NULL)
			continue;
		cr_assert_lt(n, 2, "more than two due statements");
		cr_assert_lt(strlen(q), sizeof(found[0]));
		snprintf(found[n++], sizeof(found[0]), "%s", q);
	}
	cr_assert_eq(n, 2, "due and --force statements not found (%d)", n);
	for (int i = 0; i < n; i++)
		expect_plan_uses_due_index(found[i]);
}

Test(retryq, force_query_uses_index, .init = setup, .fini = teardown)
{
	expect_plan_uses_due_index(due_all_sql);
}

Test(retryq, due_query_uses_index, .init = setup, .fini = teardown)
{
	expect_due_plan_uses_index();
}

Test(retryq, due_query_uses_index_on_big_analyzed_table, .init = setup,
    .fini = teardown)
{
	/* 5000 done rows, 20 pending, statistics gathered. */
	tu_exec(&env, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
	    " SELECT i + 1 FROM n WHERE i < 5020)"
	    " INSERT INTO failed_awards(kind, status, attempts, order_id,"
	    " telegram_id, plan_id, order_created_at, created_at, updated_at,"
	    " last_attempt_at, next_attempt_at, next_attempt_ms)"
	    " SELECT 'award', CASE WHEN i <= 5000 THEN 'done' ELSE 'pending'"
	    " END, 1, 'o' || i, 1, 'p', %Q, %Q, %Q, %Q, %Q, %lld + i FROM n;"
	    " ANALYZE;", T_ORDER, T_ORDER, T_ORDER, T_ORDER, T_ORDER,
	    (long long)t0);
	tu_close(&env);		/* a new connection reads the statistics */
	tu_open(&env);
	expect_due_plan_uses_index();
}

/* ---- the run lock ---- */

Test(retryq, lock_second_holder_gets_minus_2, .init = setup,
    .fini = teardown)
{
	char	err[256] = "";
	int	fd1, fd2, fd3;

	fd1 = retryq_lock(env.cfg.db_path, err, sizeof(err));
	cr_assert_geq(fd1, 0, "first lock: %d %s", fd1, err);
	fd2 = retryq_lock(env.cfg.db_path, err, sizeof(err));
	cr_assert_eq(fd2, -2, "second lock while held: %d %s", fd2, err);
	close(fd1);
	fd3 = retryq_lock(env.cfg.db_path, err, sizeof(err));
	cr_assert_geq(fd3, 0, "lock after release: %d %s", fd3, err);
	close(fd3);
}

static int
child_lock(int idx, void *arg)
{
	const char	*path = arg;
	char		 err[256];
	int		 fd;

	(void)idx;
	tu_race_go();
	fd = retryq_lock(path, err, sizeof(err));
	return fd == -2 ? 0 : fd >= 0 ? 1 : 2;
}

Test(retryq, lock_held_by_another_process_minus_2, .init = setup,
    .fini = teardown)
{
	char	err[256] = "";
	int	fd, codes[TU_RACE_MAX];

	fd = retryq_lock(env.cfg.db_path, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	tu_race(2, child_lock, env.cfg.db_path, codes);
	cr_assert_eq(codes[0], 0, "child 0 got the lock (%d)", codes[0]);
	cr_assert_eq(codes[1], 0, "child 1 got the lock (%d)", codes[1]);
	close(fd);
	tu_race(1, child_lock, env.cfg.db_path, codes);
	cr_assert_eq(codes[0], 1, "lock not free after release (%d)",
	    codes[0]);
}

/* ---- a locked bot database during a run ---- */

/*
 * SPEC §6: an outage is not the row's fault. The run stops at the first
 * row, counts no attempt, records why in retry_runs and reports failure.
 */
Test(retryq, bot_db_locked_stops_run_no_attempt_counted,
    .init = setup_sep, .fini = teardown, .timeout = 30)
{
	struct retry_run	 r;
	sqlite3			*lock;

	queue_failing("o1", "p-new");
	queue_failing("o2", "p-new");
	tu_plan(&env, "p-new", 2);
	env.cfg.now_ms = t0 + 5 * MIN;

	lock = tu_lock(tu_bot_path(&env));
	cr_assert_eq(job_retry_run(env.ctx, 0, 100, &r), -1,
	    "an outage must fail the run (exit 1)");
	tu_unlock(lock);
	cr_assert_eq(r.picked, 0);
	cr_assert_eq(r.failed, 0);
	cr_assert_eq(r.dead, 0);
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT count(*) FROM"
	    " failed_awards WHERE status = 'pending' AND attempts = 1"), 2,
	    "the outage consumed an attempt");
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT count(*) FROM"
	    " retry_runs"), 1);
	tu_assert_contains(tu_str_file(env.cfg.db_path, "SELECT stopped"
	    " FROM retry_runs"), "locked", "retry_runs.stopped");
	cr_assert_eq(tu_int_file(tu_bot_path(&env), "SELECT count(*) FROM"
	    " ticket_ledger"), 0);

	env.cfg.now_ms += 10 * MIN;
	run(0, 100, &r);
	cr_assert_eq(r.picked, 2);
	cr_assert_eq(r.awarded, 2);
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT count(*) FROM"
	    " failed_awards WHERE status = 'done' AND outcome = 'awarded'"),
	    2);
	cr_assert_eq(tu_int_file(tu_bot_path(&env), "SELECT count(*) FROM"
	    " ticket_ledger WHERE reason = 'SELF_PURCHASE'"), 2);
}

/* Another connection's write lock, released when the writer first waits. */
struct holder {
	sqlite3	*db;
	int	 waits;
};

static int
release_on_second_wait(void *arg, int n)
{
	struct holder *h = arg;

	(void)n;
	/* The award's BEGIN IMMEDIATE gives up at once: a failure to save. */
	if (h->waits++ == 0)
		return 0;
	if (h->db != NULL) {
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(h->db);
		h->db = NULL;
	}
	return 1;
}

/*
 * A failure saved alone waits for the service database's write lock as any
 * writer does (SPEC.md §4: a failure is saved and answered 200 queued).
 * Its transaction used to read first and then write: held by another
 * connection meanwhile (another worker's group waiting for a locked bot
 * database), the write was refused at once, without the busy wait, and
 * the notification was answered 503. Here the other connection lets go
 * when the save first waits: before, the save never waited.
 */
Test(retryq, failure_save_waits_for_the_service_lock, .init = setup,
    .fini = teardown)
{
	struct holder		 h = { tu_conn(&env), 0 };
	struct award_req	 req = tu_req("o-lock", BUYER, "p30", T_ORDER);
	struct award_out	 out;
	enum job_outcome	 r;

	/* With a payment id, the save's first step used to be a read. */
	tu_req_pay(&req, "pay-o-lock", 29900);
	cr_assert_eq(sqlite3_exec(h.db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_busy_handler(env.ctx->db, release_on_second_wait, &h);
	r = job_award(env.ctx, &req, NULL, &out);
	sqlite3_busy_timeout(env.ctx->db, 10000);
	if (h.db != NULL) {
		sqlite3_exec(h.db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(h.db);
	}
	cr_assert_eq(r, JOB_QUEUED, "got %s after %d waits",
	    job_outcome_name(r, award_result_name(out.result)), h.waits);
	cr_assert_eq(h.waits, 2);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"
	    " WHERE order_id = 'o-lock' AND status = 'pending'"), 1);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
}

/*
 * The run commits in groups of up to JOB_GROUP_MAX rows with a savepoint
 * each (SPEC.md §6): across group boundaries, one row's failure never
 * undoes another's success.
 */
Test(retryq, grouped_run_one_failure_undoes_nothing, .init = setup,
    .fini = teardown, .timeout = 60)
{
	struct retry_run	r;
	char			order[32];
	int			n = JOB_GROUP_MAX + 50;

	for (int i = 0; i < n; i++) {
		snprintf(order, sizeof(order), "g%d", i);
		queue_failing(order, i == JOB_GROUP_MAX - 1 ||
		    i == JOB_GROUP_MAX ? "p-never" : "p-later");
	}
	tu_plan(&env, "p-later", 1);
	env.cfg.now_ms = t0 + 5 * MIN;
	run(0, 10000, &r);
	cr_assert_eq(r.picked, n);
	cr_assert_eq(r.awarded, n - 2);
	cr_assert_eq(r.failed, 2);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards WHERE"
	    " status = 'done' AND outcome = 'awarded'"), n - 2);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger WHERE"
	    " reason = 'SELF_PURCHASE'"), n - 2);
	cr_assert_eq(col_int("attempts", "g255"), 2);
	tu_assert_str(col_str("status", "g256"), "pending", "g256 status");
	tu_assert_str(col_str("outcome", "g257"), "awarded", "g257 outcome");
}

/* ---- acknowledging dead rows (SPEC.md §5 .../ack) ---- */

/* Queue o1 and make it dead; its id. */
static int64_t
dead_row(void)
{
	queue_failing("o1", "p-missing");
	tu_exec(&env, "UPDATE failed_awards SET status = 'dead'"
	    " WHERE order_id = 'o1'");
	return col_int("id", "o1");
}

Test(retryq, ack_dead_records_who_and_when, .init = setup,
    .fini = teardown)
{
	int64_t	id = dead_row();
	char	buf[ATIME_BUFSZ], want[64];

	env.cfg.now_ms = t0 + MIN;
	cr_assert_eq(retryq_ack(env.ctx, id, "alice"), RETRYQ_REQUEUED);
	snprintf(want, sizeof(want), "dead|alice|%s", tu_iso(t0 + MIN, buf));
	tu_assert_str(col_str("status || '|' || acked_by || '|' || acked_at",
	    "o1"), want, "the acknowledged row");
}

Test(retryq, ack_again_keeps_first_who_and_when, .init = setup,
    .fini = teardown)
{
	int64_t	id = dead_row();
	char	buf[ATIME_BUFSZ], want[64];

	env.cfg.now_ms = t0 + MIN;
	cr_assert_eq(retryq_ack(env.ctx, id, "alice"), RETRYQ_REQUEUED);
	env.cfg.now_ms = t0 + HOUR;
	cr_assert_eq(retryq_ack(env.ctx, id, "bob"), RETRYQ_REQUEUED);
	snprintf(want, sizeof(want), "alice|%s", tu_iso(t0 + MIN, buf));
	tu_assert_str(col_str("acked_by || '|' || acked_at", "o1"), want,
	    "after a second acknowledgement");
}

Test(retryq, ack_without_who_is_token, .init = setup, .fini = teardown)
{
	int64_t id = dead_row();

	cr_assert_eq(retryq_ack(env.ctx, id, NULL), RETRYQ_REQUEUED);
	tu_assert_str(col_str("acked_by", "o1"), "token", "acked_by");
}

Test(retryq, ack_pending_or_done_refused, .init = setup, .fini = teardown)
{
	struct retry_run	r;
	int64_t			id;

	queue_failing("o1", "p-missing");
	id = col_int("id", "o1");
	cr_assert_eq(retryq_ack(env.ctx, id, "alice"), RETRYQ_IS_DONE);
	cr_assert_eq(col_int("acked_at IS NULL", "o1"), 1);
	tu_plan(&env, "p-missing", 2);
	run(1, 100, &r);
	tu_assert_str(col_str("status", "o1"), "done", "status");
	cr_assert_eq(retryq_ack(env.ctx, id, "alice"), RETRYQ_IS_DONE);
	cr_assert_eq(col_int("acked_at IS NULL", "o1"), 1);
}

Test(retryq, ack_unknown_not_found, .init = setup, .fini = teardown)
{
	dead_row();
	cr_assert_eq(retryq_ack(env.ctx, 424242, "alice"), RETRYQ_NOT_FOUND);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"
	    " WHERE acked_at IS NOT NULL"), 0);
}

Test(retryq, requeue_clears_ack_and_records_who, .init = setup,
    .fini = teardown)
{
	int64_t	id = dead_row();
	char	buf[ATIME_BUFSZ], want[64];

	cr_assert_eq(retryq_ack(env.ctx, id, "alice"), RETRYQ_REQUEUED);
	env.cfg.now_ms = t0 + 2 * MIN;
	cr_assert_eq(retryq_requeue(env.ctx, id, "bob"), RETRYQ_REQUEUED);
	snprintf(want, sizeof(want), "pending|null|null|bob|%s",
	    tu_iso(t0 + 2 * MIN, buf));
	tu_assert_str(col_str("status || '|' || coalesce(acked_by, 'null')"
	    " || '|' || coalesce(acked_at, 'null') || '|' || requeued_by ||"
	    " '|' || requeued_at", "o1"), want, "after the requeue");
}

Test(retryq, new_failure_of_acked_order_clears_ack, .init = setup,
    .fini = teardown)
{
	int64_t id = dead_row();

	cr_assert_eq(retryq_ack(env.ctx, id, "alice"), RETRYQ_REQUEUED);
	/* The order is delivered again and fails again: pending anew. */
	queue_failing("o1", "p-missing");
	tu_assert_str(col_str("status || '|' || (acked_at IS NULL) || '|' ||"
	    " (acked_by IS NULL)", "o1"), "pending|1|1", "after a new failure");
}
