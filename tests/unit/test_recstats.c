/*
 * Unit tests for common/recstats.c (SPEC.md §11 "Admin") and for the
 * verification paths of common/job.c and retryrun.c that need no API: a stale flag at
 * the 3 h edge with a fixed clock, the last run, the recovered total that
 * outlives retention, the metrics text; an unconfirmed job queued with
 * nothing applied, and a row to verify when the API is not configured.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>

#include "job.h"
#include "recstats.h"
#include "retryq.h"
#include "testutil.h"

#define NOW	"2026-11-27T12:00:00.000Z"

static struct tu_env env;

static void
setup(void)
{
	tu_init(&env, 0);
	tu_open(&env);
	env.cfg.now_ms = tu_ms(NOW);
	snprintf(env.cfg.yk_shop_id, sizeof(env.cfg.yk_shop_id), "123456");
	snprintf(env.cfg.yk_secret_key, sizeof(env.cfg.yk_secret_key),
	    "test_secret_key_0123456789abcdefghij");
}

static void
teardown(void)
{
	tu_fini(&env);
}

/* tu_assert_contains() of a copy: it frees what it is given. */
static void
has(const char *s, const char *needle, const char *what)
{
	tu_assert_contains(strdup(s), needle, what);
}

/* A reconcile_runs row that ended at finished, awarding awarded. */
static void
run_row(const char *finished, int awarded, const char *stopped)
{
	tu_exec(&env, "INSERT INTO reconcile_runs(started_at, finished_at,"
	    " since, fetched_payments, fetched_refunds, known, skipped,"
	    " awarded, duplicate, not_eligible, queued, reversed, partial,"
	    " unknown_payment, api_requests, stopped) VALUES ('%s', '%s',"
	    " '2026-11-24T12:00:00.000Z', 10, 2, 4, 1, %d, 0, 0, 0, 1, 0, 0,"
	    " 2, %s)", finished, finished, awarded, stopped);
}

static struct recstats
read_now(void)
{
	struct recstats rs;

	cr_assert_eq(recstats_read(env.ctx, &rs), 0);
	return rs;
}

TestSuite(recstats, .init = setup, .fini = teardown);

Test(recstats, no_run_configured_is_stale_and_null)
{
	struct recstats	 rs = read_now();
	cJSON		*o = recstats_json(&rs);
	char		*s = cJSON_PrintUnformatted(o);

	cr_assert(rs.stale);
	has(s, "\"lastRun\":null", "json");
	has(s, "\"lastRunAgeSeconds\":null", "json");
	has(s, "\"stale\":true", "json");
	free(s);
	cJSON_Delete(o);
}

Test(recstats, no_run_not_configured_is_not_stale)
{
	env.cfg.yk_secret_key[0] = '\0';
	cr_assert_not(read_now().stale);
}

Test(recstats, stale_edge_three_hours)
{
	run_row("2026-11-27T09:00:00.000Z", 0, "NULL");	/* now - 3 h */
	cr_assert_not(read_now().stale, "a run exactly 3 h ago is recent");
	env.cfg.now_ms += 1000;
	cr_assert(read_now().stale, "3 h and 1 s ago is stale");
	cr_assert_eq(read_now().last_run_age_s, 3 * 3600 + 1);
}

Test(recstats, stopped_run_is_last_but_not_fresh)
{
	struct recstats	 rs;
	cJSON		*o;
	char		*s;

	run_row("2026-11-27T08:00:00.000Z", 5, "NULL");
	run_row("2026-11-27T11:59:00.000Z", 2, "'api_unavailable'");
	rs = read_now();
	cr_assert(rs.stale, "only a completed run makes it fresh");
	cr_assert_eq(rs.last_run_age_s, 60);
	cr_assert(rs.last.stopped);
	o = recstats_json(&rs);
	s = cJSON_PrintUnformatted(o);
	has(s, "\"stopped\":\"api_unavailable\"", "json");
	has(s, "\"awarded\":2", "json");
	has(s, "\"recoveredTotal\":7", "json");
	free(s);
	cJSON_Delete(o);
}

Test(recstats, recovered_total_outlives_retention)
{
	char *p;

	run_row("2026-11-27T10:00:00.000Z", 5, "NULL");
	run_row("2026-11-27T11:00:00.000Z", 2, "NULL");
	tu_exec(&env, "DELETE FROM reconcile_runs");
	cr_assert_eq(read_now().recovered_total, 7);
	run_row("2026-11-27T11:30:00.000Z", 1, "NULL");
	struct recstats rs = read_now();

	p = recstats_prom(&rs);
	has(p, "\naward_reconcile_recovered_total 8\n", "prom");
	has(p, "\naward_reconcile_last_run_timestamp_seconds "
	    "1795779000.000\n", "prom");
	has(p, "# TYPE award_reconcile_recovered_total "
	    "counter\n", "prom");
	free(p);
}

Test(recstats, unverified_award_is_queued_not_applied)
{
	struct award_req	 r = tu_req("ord-u", 77, "plan_1m",
				    "2026-11-27T10:00:00Z");
	struct job		 j = { .kind = JOB_AWARD };
	struct job		*jp = &j;

	tu_contest(&env, "c1", "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z",
	    30, 1);
	tu_plan(&env, "plan_1m", 1);
	tu_req_pay(&r, "pay-u", 19900);
	r.verify = 1;
	j.award = r;
	job_run_group(env.ctx, &jp, 1, NULL);
	cr_assert_eq(j.outcome, JOB_QUEUED);
	cr_assert_eq(j.aout.result, AWARD_FAILED, "the rules never ran");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments"), 0);
	cr_assert_eq(tu_int(&env, "SELECT verify FROM failed_awards"), 1);
	/* A later failure of the same order, verified, keeps the mark. */
	r.verify = 0;
	cr_assert_eq(job_queue_award(env.ctx, &r, "db"), 0);
	cr_assert_eq(tu_int(&env, "SELECT verify FROM failed_awards"), 1);
}

Test(recstats, verify_row_without_api_fails_as_attempt)
{
	struct award_req	 r = tu_req("ord-v", 78, "plan_1m",
				    "2026-11-27T10:00:00Z");
	struct refund_req	 f = tu_refund("rf-v", "pay-v", 100);
	struct retry_run	 run;
	char			*e;

	tu_contest(&env, "c1", "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z",
	    30, 1);
	tu_plan(&env, "plan_1m", 1);
	tu_req_pay(&r, "pay-v", 19900);
	r.verify = 1;
	f.verify = 1;
	cr_assert_eq(job_queue_award(env.ctx, &r, JOB_UNVERIFIED_ERROR), 0);
	{
		/* A group queues an unconfirmed refund without applying it. */
		struct job	 jf = { .kind = JOB_REFUND, .refund = f };
		struct job	*jp = &jf;

		job_run_group(env.ctx, &jp, 1, NULL);
		cr_assert_eq(jf.outcome, JOB_QUEUED);
	}
	cr_assert_eq(job_retry_run(env.ctx, 1, 100, &run), 0);
	cr_assert_eq(run.failed, 2);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards WHERE"
	    " status = 'pending' AND attempts = 2"), 2);
	e = tu_str(&env, "SELECT last_error FROM failed_awards LIMIT 1");
	tu_assert_contains(e, "not configured", "last_error");
}
