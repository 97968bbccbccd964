/*
 * Unit tests for common/retain.c (SPEC.md §6 "Retention") with real rows
 * and a fixed clock: old retry_runs and reconcile_runs rows go, done rows
 * go by when they became done, in batches; dead rows (acknowledged or
 * not), pending rows, payments and the ledger stay. Also the schema
 * version 3 upgrade that adds failed_awards.done_ms to an older file.
 */
#include <stdint.h>
#include <stdio.h>

#include <criterion/criterion.h>

#include "db.h"
#include "job.h"
#include "retain.h"
#include "retryq.h"
#include "testutil.h"

#define BUYER		1001LL
#define T_ORDER		"2026-11-27T10:51:18.139Z"
#define DAY		86400000LL

static struct tu_env	env;
static int64_t		t0;

static void
setup(void)
{
	tu_init(&env, 0);
	tu_open(&env);
	tu_plan(&env, "p30", 3);
	tu_contest(&env, "c1", "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z",
	    30, 1);
	t0 = tu_ms("2026-11-27T12:00:00.000Z");
	env.cfg.now_ms = t0;
}

static void
setup_sep(void)
{
	tu_init(&env, 1);
	tu_open(&env);
	tu_plan(&env, "p30", 3);
	t0 = tu_ms("2026-11-27T12:00:00.000Z");
	env.cfg.now_ms = t0;
}

static void
teardown(void)
{
	tu_fini(&env);
}

/* Queue order (its plan has no row), as the webhook would. */
static void
queue_failing(const char *order, const char *plan)
{
	struct award_req	req = tu_req(order, BUYER, plan, T_ORDER);
	struct award_out	out;

	cr_assert_eq(job_award(env.ctx, &req, NULL, &out), JOB_QUEUED,
	    "order %s not queued", order);
}

static void
retain(struct retain_counts *k)
{
	char err[256];

	cr_assert_eq(retain_run(env.ctx, env.cfg.now_ms, k, err, sizeof(err)),
	    0, "retain_run: %s", err);
}

static void
run_row(int64_t started_ms)
{
	char buf[ATIME_BUFSZ];

	tu_exec(&env, "INSERT INTO retry_runs(started_at, duration_ms, picked,"
	    " awarded, duplicate, not_eligible, refunds, failed, dead, forced)"
	    " VALUES (%Q, 1, 0, 0, 0, 0, 0, 0, 0, 0)", tu_iso(started_ms, buf));
}

Test(retain, old_retry_runs_go_young_stay, .init = setup, .fini = teardown)
{
	struct retain_counts k;

	run_row(t0 - 91 * DAY);
	run_row(t0 - 90 * DAY - 1);
	run_row(t0 - 90 * DAY + 1000);
	run_row(t0 - DAY);
	retain(&k);
	cr_assert_eq(k.retry_runs, 2);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM retry_runs"), 2);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM retry_runs WHERE"
	    " started_at < '2026-08-29'"), 0, "an old row is left");
	/* A second pass finds nothing more. */
	retain(&k);
	cr_assert_eq(k.retry_runs, 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM retry_runs"), 2);
}

Test(retain, runs_setting_is_honoured, .init = setup, .fini = teardown)
{
	struct retain_counts k;

	env.cfg.retain_runs_days = 7;
	run_row(t0 - 8 * DAY);
	run_row(t0 - 6 * DAY);
	retain(&k);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM retry_runs"), 1);
}

Test(retain, many_rows_go_in_batches, .init = setup, .fini = teardown)
{
	struct retain_counts k;

	tu_exec(&env, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
	    " FROM n WHERE i < %d) INSERT INTO retry_runs(started_at,"
	    " duration_ms, picked, awarded, duplicate, not_eligible, refunds,"
	    " failed, dead, forced) SELECT '2026-01-01T00:00:00.000Z', 1, 0, 0,"
	    " 0, 0, 0, 0, 0, 0 FROM n", 2 * RETAIN_BATCH + 7);
	run_row(t0);
	retain(&k);
	cr_assert_eq(k.retry_runs, 2 * RETAIN_BATCH + 7);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM retry_runs"), 1);
}

Test(retain, done_rows_go_by_when_they_became_done, .init = setup,
    .fini = teardown)
{
	struct retain_counts	k;
	struct retry_run	r;

	/* Queued at t0, done at t0 + 1 day (the plan appeared). */
	queue_failing("o-done", "p-new");
	queue_failing("o-pending", "p-missing");
	tu_plan(&env, "p-new", 2);
	env.cfg.now_ms = t0 + DAY;
	cr_assert_eq(job_retry_run(env.ctx, 1, 100, &r), 0);
	cr_assert_eq(tu_int(&env, "SELECT done_ms FROM failed_awards WHERE"
	    " order_id = 'o-done'"), t0 + DAY);

	/* 180 days after it was done, not after it was queued: kept. */
	env.cfg.now_ms = t0 + 180 * DAY + DAY / 2;
	retain(&k);
	cr_assert_eq(k.done, 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards WHERE"
	    " order_id = 'o-done'"), 1);

	env.cfg.now_ms = t0 + 181 * DAY + 1;
	retain(&k);
	cr_assert_eq(k.done, 1);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards WHERE"
	    " order_id = 'o-done'"), 0);
	/* Pending stays, the ledger and payments stay. */
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards WHERE"
	    " order_id = 'o-pending'"), 1);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger WHERE"
	    " order_id = 'o-done'"), 1);
	/* The queue totals follow the deletion (triggers). */
	cr_assert_eq(tu_int(&env, "SELECT coalesce(sum(rows), 0) FROM"
	    " queue_totals WHERE status = 'done'"), 0);
}

Test(retain, dead_rows_payments_ledger_are_never_deleted, .init = setup,
    .fini = teardown)
{
	struct retain_counts	k;
	struct retry_run	r;

	env.cfg.retry_max_attempts = 2;
	queue_failing("o-dead", "p-missing");
	env.cfg.now_ms = t0 + DAY;
	cr_assert_eq(job_retry_run(env.ctx, 1, 100, &r), 0);
	cr_assert_eq(r.dead, 1);
	tu_ledger(&env, "old-1", "c1", BUYER, BUYER, "o-old", 3,
	    "SELF_PURCHASE", "2020-01-01T00:00:00Z");
	tu_exec(&env, "INSERT INTO payments(payment_id, order_id, telegram_id,"
	    " plan_id, order_created_at, created_at, updated_at) VALUES"
	    " ('pay-old', 'o-old', 1, 'p30', '2020-01-01T00:00:00Z',"
	    " '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z')");
	env.cfg.now_ms = t0 + 3650 * DAY;
	retain(&k);
	cr_assert_eq(k.done, 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards WHERE"
	    " status = 'dead'"), 1);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger WHERE"
	    " id = 'old-1'"), 1);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments WHERE"
	    " payment_id = 'pay-old'"), 1);
}

Test(retain, reconcile_runs_old_go_recent_stay, .init = setup_sep,
    .fini = teardown)
{
	struct retain_counts k;

	tu_exec(&env, "INSERT INTO reconcile_runs(started_at, finished_at,"
	    " since, fetched_payments, fetched_refunds, known, skipped,"
	    " awarded, duplicate, not_eligible, queued, reversed, partial,"
	    " unknown_payment, api_requests) VALUES"
	    " ('2026-08-01T00:00:00.000Z', '2026-08-01T00:00:01.000Z',"
	    " '2026-07-29T00:00:00.000Z', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2),"
	    " ('2026-11-27T11:00:00.000Z', '2026-11-27T11:00:01.000Z',"
	    " '2026-11-24T11:00:00.000Z', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2)");
	retain(&k);
	cr_assert_eq(k.reconcile_runs, 1);
	tu_assert_str(tu_str(&env, "SELECT group_concat(started_at) FROM"
	    " reconcile_runs"), "2026-11-27T11:00:00.000Z", "kept");
}

Test(retain, upgrade_adds_done_ms_from_updated_at, .init = setup,
    .fini = teardown)
{
	struct retain_counts	k;
	struct retry_run	r;

	queue_failing("o-done", "p-new");
	tu_plan(&env, "p-new", 2);
	cr_assert_eq(job_retry_run(env.ctx, 1, 100, &r), 0);
	tu_close(&env);
	/* As a version 2 file was: no column, no index. */
	tu_exec(&env, "DROP INDEX failed_awards_done");
	tu_exec(&env, "ALTER TABLE failed_awards DROP COLUMN done_ms");
	tu_exec(&env, "UPDATE award_meta SET value = '2' WHERE key ="
	    " 'schema_version'");
	tu_open(&env);
	cr_assert_eq(tu_int(&env, "SELECT value FROM award_meta WHERE key ="
	    " 'schema_version'"), DB_SCHEMA_VERSION);
	cr_assert_eq(tu_int(&env, "SELECT done_ms FROM failed_awards WHERE"
	    " order_id = 'o-done'"), t0);
	env.cfg.now_ms = t0 + 181 * DAY;
	retain(&k);
	cr_assert_eq(k.done, 1);
}
