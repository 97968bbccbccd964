/*
 * Group commit (job.c, SPEC.md §2): many jobs in one transaction, a
 * savepoint each. What a caller observes: each job's result, and that the
 * rows behind every "committed" result are in the database and no others
 * are. Failures inside a group, a transaction SQLite ends itself, a COMMIT
 * that fails, a database that fills up, and a bot database that is locked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "job.h"
#include "testutil.h"

#define BUYER		123456789LL
#define REFERRER	111111111LL
#define T_ORDER		"2026-11-27T10:51:17.000Z"
#define NJOBS		64

static struct tu_env	env;
static struct job	jobs[NJOBS];
static struct job	*ptrs[NJOBS];

static void
seed(void)
{
	tu_plan(&env, "p30", 3);
	tu_referral(&env, BUYER, REFERRER, "2026-11-10T12:00:00.000Z");
	tu_contest(&env, "c1", "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z",
	    30, 1);
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
	tu_open(&env);
	seed();
}

static void
teardown(void)
{
	tu_fini(&env);
}

/* jobs[i] an award of order "<prefix><i>" for plan (payment id too). */
static void
award_job(int i, const char *prefix, const char *plan)
{
	char order[64], pay[64];

	snprintf(order, sizeof(order), "%s%d", prefix, i);
	snprintf(pay, sizeof(pay), "pay-%s%d", prefix, i);
	memset(&jobs[i], 0, sizeof(jobs[i]));
	jobs[i].kind = JOB_AWARD;
	jobs[i].award = tu_req(order, BUYER, plan, T_ORDER);
	tu_req_pay(&jobs[i].award, pay, 19900);
	ptrs[i] = &jobs[i];
}

static int64_t
self_rows(const char *order)
{
	return tu_int(&env, "SELECT count(*) FROM ticket_ledger WHERE"
	    " order_id = %Q AND reason = 'SELF_PURCHASE'", order);
}

static int64_t
queued_rows(const char *order)
{
	return tu_int_file(env.cfg.db_path, "SELECT count(*) FROM"
	    " failed_awards WHERE order_id = %Q AND status = 'pending'", order);
}

/*
 * Every job's answer matches the database: awarded or duplicate -> its
 * SELF_PURCHASE row is there once; queued -> its failed_awards row;
 * unavailable -> neither.
 */
static void
assert_answers_match_rows(int n)
{
	for (int i = 0; i < n; i++) {
		const char *o = jobs[i].award.order_id;

		switch (jobs[i].outcome) {
		case JOB_DONE:
			cr_assert(jobs[i].aout.result == AWARD_AWARDED ||
			    jobs[i].aout.result == AWARD_DUPLICATE,
			    "job %d: unexpected result %s", i,
			    award_result_name(jobs[i].aout.result));
			cr_assert_eq(self_rows(o), 1, "job %d (%s) answered %s "
			    "without its ledger row", i, o,
			    award_result_name(jobs[i].aout.result));
			break;
		case JOB_QUEUED:
			cr_assert_eq(queued_rows(o), 1, "job %d (%s) answered "
			    "queued without a failed_awards row", i, o);
			cr_assert_eq(self_rows(o), 0);
			break;
		case JOB_UNAVAILABLE:
			cr_assert_eq(self_rows(o), 0);
			cr_assert_eq(queued_rows(o), 0);
			break;
		default:
			cr_assert_fail("job %d: unexpected outcome %d", i,
			    (int)jobs[i].outcome);
		}
	}
}

/* The words of SPEC.md §3: the rules' own when done, the layer's if not. */
Test(job, outcome_names_are_the_wire_words)
{
	cr_assert_str_eq(job_outcome_name(JOB_DONE, "awarded"), "awarded");
	cr_assert_str_eq(job_outcome_name(JOB_DONE, "reversed"), "reversed");
	cr_assert_str_eq(job_outcome_name(JOB_QUEUED, "failed"), "queued");
	cr_assert_str_eq(job_outcome_name(JOB_UNAVAILABLE, "failed"),
	    "unavailable");
	cr_assert_str_eq(job_outcome_name(JOB_OUTCOME__MAX, "x"), "unknown");
}

Test(job, group_commits_every_job_once, .init = setup, .fini = teardown)
{
	struct job_group_stats st;

	for (int i = 0; i < 10; i++)
		award_job(i, "g", "p30");
	job_run_group(env.ctx, ptrs, 10, &st);
	cr_assert_eq(st.committed, 1);
	cr_assert_eq(st.jobs, 10);
	cr_assert_eq(st.fallback, 0);
	for (int i = 0; i < 10; i++) {
		cr_assert_eq(jobs[i].aout.result, AWARD_AWARDED, "job %d: %s", i,
		    award_result_name(jobs[i].aout.result));
		cr_assert_eq(jobs[i].aout.tickets, 3);
		cr_assert_eq(jobs[i].aout.referrer_tickets, 3);
	}
	cr_assert_eq(tu_int(&env, "SELECT count(*), sum(delta) FROM"
	    " ticket_ledger"), 20);
	cr_assert_eq(tu_int(&env, "SELECT sum(delta) FROM ticket_ledger"), 60);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments WHERE"
	    " outcome = 'awarded'"), 10);
}

Test(job, same_order_twice_in_one_group_awarded_once, .init = setup,
    .fini = teardown)
{
	award_job(0, "dup", "p30");
	award_job(1, "dup", "p30");
	strcpy(jobs[1].award.order_id, jobs[0].award.order_id);
	strcpy(jobs[1].award.payment_id, jobs[0].award.payment_id);
	job_run_group(env.ctx, ptrs, 2, NULL);
	cr_assert_eq(jobs[0].aout.result, AWARD_AWARDED);
	cr_assert_eq(jobs[1].aout.result, AWARD_DUPLICATE);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger WHERE"
	    " order_id = 'dup0'"), 2);
}

/*
 * job_run_group_more: jobs that arrive while a group runs (more()) join
 * it before its COMMIT, up to max. more() sees the first jobs' rows not
 * yet committed (another connection counts none), hands out ptrs[2..] in
 * MORE_STEP-sized steps, then none.
 */
#define MORE_STEP	2
struct more_feed {
	int	next, end, calls, seen_committed;
	size_t	max_asked[8];
};

static size_t
feed_more(void *arg, struct job **out, size_t max)
{
	struct more_feed	*f = arg;
	size_t			 k;

	if (f->calls < 8)
		f->max_asked[f->calls] = max;
	f->calls++;
	f->seen_committed += (int)tu_int_file(env.cfg.db_path, "SELECT"
	    " count(*) FROM payments");
	for (k = 0; k < max && k < MORE_STEP && f->next < f->end; k++)
		out[k] = ptrs[f->next++];
	return k;
}

/* A group of ptrs[0..2) that f may grow, up to max; its size. */
static size_t
run_more(struct job **g, struct more_feed *f, size_t max,
    struct job_group_stats *st)
{
	size_t n = 2;

	g[0] = ptrs[0];
	g[1] = ptrs[1];
	job_run_group_more(env.ctx, g, &n, max, feed_more, f, st);
	return n;
}

Test(job, arrivals_join_the_group_before_commit, .init = setup,
    .fini = teardown)
{
	struct job_group_stats	st;
	struct more_feed	f = { .next = 2, .end = 6 };
	struct job		*g[NJOBS];
	size_t			n;

	for (int i = 0; i < 6; i++)
		award_job(i, "m", "p30");
	n = run_more(g, &f, NJOBS, &st);
	cr_assert_eq(n, 6, "the group took %zu jobs", n);
	cr_assert_eq(st.jobs, 6);
	cr_assert_eq(st.committed, 1);
	cr_assert_eq(f.calls, 3, "more() asked %d times", f.calls);
	cr_assert_eq(f.seen_committed, 0, "a job committed before the group's"
	    " COMMIT");
	for (int i = 0; i < 6; i++) {
		cr_assert_eq(g[i], ptrs[i]);
		cr_assert_eq(jobs[i].aout.result, AWARD_AWARDED, "job %d: %s",
		    i, award_result_name(jobs[i].aout.result));
	}
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT count(*) FROM"
	    " payments WHERE outcome = 'awarded'"), 6);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 12);
}

Test(job, arrivals_stop_at_the_group_limit, .init = setup, .fini = teardown)
{
	struct job_group_stats	st;
	struct more_feed	f = { .next = 2, .end = 6 };
	struct job		*g[NJOBS];

	for (int i = 0; i < 6; i++)
		award_job(i, "l", "p30");
	cr_assert_eq(run_more(g, &f, 3, &st), 3);
	cr_assert_eq(f.calls, 1);
	cr_assert_eq(f.max_asked[0], 1);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments"), 3);
	cr_assert_eq(self_rows("l3"), 0, "a job past the limit ran");
}

/* A job that joined fails: the group runs again carefully, with it. */
Test(job, failing_arrival_queued_others_commit, .init = setup,
    .fini = teardown)
{
	struct job_group_stats	st;
	struct more_feed	f = { .next = 2, .end = 4 };
	struct job		*g[NJOBS];

	award_job(0, "a", "p30");
	award_job(1, "a", "p30");
	award_job(2, "a", "no-such-plan");
	award_job(3, "a", "p30");
	cr_assert_eq(run_more(g, &f, NJOBS, &st), 4);
	cr_assert_eq(st.committed, 1);
	cr_assert_eq(jobs[2].outcome, JOB_QUEUED);
	cr_assert_eq(queued_rows("a2"), 1);
	for (int i = 0; i < 4; i++)
		if (i != 2)
			cr_assert_eq(jobs[i].aout.result, AWARD_AWARDED,
			    "job %d", i);
	assert_answers_match_rows(4);
}

/* One job fails (no plan_tickets row): it is queued, the others commit. */
Test(job, failing_job_queued_others_commit, .init = setup, .fini = teardown)
{
	struct job_group_stats st;

	award_job(0, "f", "p30");
	award_job(1, "f", "no-such-plan");
	award_job(2, "f", "p30");
	job_run_group(env.ctx, ptrs, 3, &st);
	cr_assert_eq(st.committed, 1);
	cr_assert_eq(st.fallback, 0);
	cr_assert_eq(jobs[0].aout.result, AWARD_AWARDED);
	cr_assert_eq(jobs[1].outcome, JOB_QUEUED);
	cr_assert_eq(jobs[2].aout.result, AWARD_AWARDED);
	tu_assert_contains(tu_str_file(env.cfg.db_path, "SELECT last_error"
	    " FROM failed_awards WHERE order_id = 'f1'"), "no-such-plan",
	    "last_error");
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT attempts FROM"
	    " failed_awards WHERE order_id = 'f1'"), 1);
	/* The failed job wrote nothing of its own beyond the queue row. */
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger WHERE"
	    " order_id = 'f1'"), 0);
	assert_answers_match_rows(3);
}

/*
 * A job that fails after writing (its SELF_PURCHASE row is in, then its
 * referral's bound_at cannot be read): nothing of it stays but its queue
 * row, whether the group ran with savepoints or was run again with them;
 * the next group, with no failure, awards each of its jobs once too.
 */
Test(job, job_failing_after_a_write_leaves_only_its_queue_row,
    .init = setup, .fini = teardown)
{
	award_job(0, "w", "p30");
	award_job(1, "w", "p30");
	award_job(2, "w", "p30");
	jobs[1].award.telegram_id = 777001;
	tu_exec(&env, "INSERT INTO user_referrals VALUES (777001, 42,"
	    " 'garbage')");
	job_run_group(env.ctx, ptrs, 3, NULL);
	cr_assert_eq(jobs[0].aout.result, AWARD_AWARDED);
	cr_assert_eq(jobs[1].outcome, JOB_QUEUED);
	cr_assert_eq(jobs[2].aout.result, AWARD_AWARDED);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger WHERE"
	    " order_id = 'w1'"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments WHERE"
	    " order_id = 'w1'"), 1, "the queued award's payment row");
	tu_assert_contains(tu_str_file(env.cfg.db_path, "SELECT last_error"
	    " FROM failed_awards WHERE order_id = 'w1'"), "bound_at",
	    "last_error");
	assert_answers_match_rows(3);
	for (int g = 0; g < 2; g++) {
		for (int i = 0; i < 3; i++)
			award_job(i, g == 0 ? "x" : "y", "p30");
		job_run_group(env.ctx, ptrs, 3, NULL);
		for (int i = 0; i < 3; i++)
			cr_assert_eq(jobs[i].aout.result, AWARD_AWARDED,
			    "group %d job %d", g, i);
	}
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger WHERE"
	    " reason = 'SELF_PURCHASE' AND (order_id LIKE 'x%%'"
	    " OR order_id LIKE 'y%%')"), 6);
}

/* Mixed kinds: an award, its refund and an admin requeue in one group. */
Test(job, award_refund_requeue_in_one_group, .init = setup_sep,
    .fini = teardown)
{
	struct job	r, q;
	struct job	*p[4];

	award_job(0, "m", "p30");
	award_job(1, "m", "no-such-plan");
	memset(&r, 0, sizeof(r));
	r.kind = JOB_REFUND;
	r.refund = tu_refund("rf-m0", "pay-m0", 19900);
	memset(&q, 0, sizeof(q));
	q.kind = JOB_REQUEUE;
	q.requeue_id = 999;
	p[0] = &jobs[0];
	p[1] = &jobs[1];
	p[2] = &r;
	p[3] = &q;
	job_run_group(env.ctx, p, 4, NULL);
	cr_assert_eq(jobs[0].aout.result, AWARD_AWARDED);
	cr_assert_eq(jobs[1].outcome, JOB_QUEUED);
	cr_assert_eq(r.rout.result, REFUND_REVERSED, "refund: %s",
	    refund_result_name(r.rout.result));
	cr_assert_eq(q.requeue, RETRYQ_NOT_FOUND);
	cr_assert_eq(tu_int(&env, "SELECT sum(delta) FROM ticket_ledger WHERE"
	    " order_id = 'm0'"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger WHERE"
	    " order_id = 'm0' AND reason = 'REFUND'"), 2);
}

/*
 * A job whose statement makes SQLite roll the whole transaction back (a
 * trigger's RAISE(ROLLBACK), as SQLITE_FULL or IOERR may): no job of the
 * group may be answered from it; each runs again alone.
 */
Test(job, transaction_ended_by_sqlite_each_job_runs_alone, .init = setup,
    .fini = teardown)
{
	struct job_group_stats st;

	cr_assert_eq(sqlite3_exec(env.ctx->db, "CREATE TEMP TRIGGER boom"
	    " BEFORE INSERT ON main.ticket_ledger WHEN NEW.order_id = 'e1'"
	    " BEGIN SELECT RAISE(ROLLBACK, 'boom'); END", NULL, NULL, NULL),
	    SQLITE_OK);
	for (int i = 0; i < 3; i++)
		award_job(i, "e", "p30");
	job_run_group(env.ctx, ptrs, 3, &st);
	cr_assert_eq(st.committed, 0);
	cr_assert_eq(st.fallback, 3);
	cr_assert_eq(jobs[0].aout.result, AWARD_AWARDED);
	cr_assert_eq(jobs[1].outcome, JOB_QUEUED);
	cr_assert_eq(jobs[2].aout.result, AWARD_AWARDED);
	assert_answers_match_rows(3);
}

static int	fail_commits;

static int
commit_hook(void *arg)
{
	(void)arg;
	if (fail_commits > 0) {
		fail_commits--;
		return 1;	/* turns this COMMIT into a ROLLBACK */
	}
	return 0;
}

/* A COMMIT that fails commits nothing to answer for: each job again. */
Test(job, failed_commit_each_job_runs_alone, .init = setup, .fini = teardown)
{
	struct job_group_stats st;

	for (int i = 0; i < 5; i++)
		award_job(i, "c", "p30");
	fail_commits = 1;
	sqlite3_commit_hook(env.ctx->db, commit_hook, NULL);
	job_run_group(env.ctx, ptrs, 5, &st);
	sqlite3_commit_hook(env.ctx->db, NULL, NULL);
	cr_assert_eq(st.committed, 0);
	cr_assert_eq(st.fallback, 5);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(jobs[i].aout.result, AWARD_AWARDED, "job %d: %s",
		    i, award_result_name(jobs[i].aout.result));
	assert_answers_match_rows(5);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 10);
}

/*
 * The bot database fills up in the middle of a group (max_page_count):
 * no job is answered awarded without its rows; the rest are queued in the
 * service file; once there is space again the retry run awards them and
 * a redelivery of an awarded one is a duplicate.
 */
Test(job, bot_db_full_mid_group_nothing_answered_unsaved, .init = setup_sep,
    .fini = teardown)
{
	struct job_group_stats	st;
	struct retry_run	run;
	char			sql[128];
	int64_t			pages, awarded = 0, queued = 0;
	sqlite3			*bot;

	bot = tu_conn_file(tu_bot_path(&env));
	pages = tu_int_file(tu_bot_path(&env), "PRAGMA page_count");
	sqlite3_close(bot);
	snprintf(sql, sizeof(sql), "PRAGMA bot.max_page_count = %lld",
	    (long long)pages + 2);
	cr_assert_eq(sqlite3_exec(env.ctx->db, sql, NULL, NULL, NULL),
	    SQLITE_OK);
	for (int i = 0; i < NJOBS; i++)
		award_job(i, "full-order-with-a-long-id-to-fill-pages-", "p30");
	job_run_group(env.ctx, ptrs, NJOBS, &st);
	assert_answers_match_rows(NJOBS);
	for (int i = 0; i < NJOBS; i++) {
		awarded += jobs[i].aout.result == AWARD_AWARDED;
		queued += jobs[i].outcome == JOB_QUEUED;
	}
	cr_assert_gt(queued, 0, "the database never filled up");
	cr_assert_eq(awarded + queued, NJOBS);

	/* Space again: the retry run awards the queued ones. */
	cr_assert_eq(sqlite3_exec(env.ctx->db, "PRAGMA bot.max_page_count ="
	    " 1073741823", NULL, NULL, NULL), SQLITE_OK);
	env.cfg.now_ms = atime_now_ms() + 3600 * 1000;
	cr_assert_eq(job_retry_run(env.ctx, 1, 1000, &run), 0);
	cr_assert_eq(run.awarded, queued);
	for (int i = 0; i < NJOBS; i++)
		cr_assert_eq(self_rows(jobs[i].award.order_id), 1);
	/* A redelivery of any of them is a duplicate: nothing doubles. */
	job_run_group(env.ctx, ptrs, NJOBS, &st);
	for (int i = 0; i < NJOBS; i++)
		cr_assert_eq(jobs[i].aout.result, AWARD_DUPLICATE);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger WHERE"
	    " reason = 'SELF_PURCHASE'"), NJOBS);
}

/*
 * One file, full: a job is queued only when its failed_awards row fit,
 * else it is unavailable (503) with nothing saved; none is answered
 * awarded without its rows.
 */
Test(job, one_file_full_unavailable_nothing_saved, .init = setup,
    .fini = teardown)
{
	char	sql[128];
	int	unavailable = 0, awarded = 0;

	snprintf(sql, sizeof(sql), "PRAGMA main.max_page_count = %lld",
	    (long long)tu_int(&env, "PRAGMA page_count"));
	cr_assert_eq(sqlite3_exec(env.ctx->db, sql, NULL, NULL, NULL),
	    SQLITE_OK);
	for (int i = 0; i < NJOBS; i++)
		award_job(i, "one-file-full-order-with-a-long-id-", "p30");
	job_run_group(env.ctx, ptrs, NJOBS, NULL);
	assert_answers_match_rows(NJOBS);
	for (int i = 0; i < NJOBS; i++) {
		unavailable += jobs[i].outcome == JOB_UNAVAILABLE;
		awarded += jobs[i].aout.result == AWARD_AWARDED;
	}
	cr_assert_lt(awarded, NJOBS, "the database never filled up");
	cr_assert_gt(unavailable, 0, "no job met a full database alone");
}

/*
 * BEGIN IMMEDIATE cannot take the bot database's lock: every job's
 * failure is saved in the service file alone (answered queued), nothing
 * is waited for twice, and nothing reaches the ledger.
 */
Test(job, bot_db_locked_group_queued_in_service_db, .init = setup_sep,
    .fini = teardown, .timeout = 30)
{
	struct job_group_stats	 st;
	sqlite3			*lock;

	env.cfg.busy_timeout_ms = 100;
	for (int i = 0; i < 4; i++)
		award_job(i, "l", "p30");
	lock = tu_lock(tu_bot_path(&env));
	job_run_group(env.ctx, ptrs, 4, &st);
	tu_unlock(lock);
	cr_assert_eq(st.committed, 0);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(jobs[i].outcome, JOB_QUEUED, "job %d: %s",
		    i, job_outcome_name(jobs[i].outcome,
		    award_result_name(jobs[i].aout.result)));
		tu_assert_contains(tu_str_file(env.cfg.db_path, "SELECT"
		    " last_error FROM failed_awards WHERE order_id = %Q",
		    jobs[i].award.order_id), "locked", "last_error");
	}
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
}

/*
 * One file, locked by another process: nothing can be saved. Every job is
 * unavailable (503, YooKassa delivers again), nothing is written, and the
 * group waits the busy timeout twice (BEGIN, the first failure's save),
 * not once per job.
 */
Test(job, one_file_locked_group_unavailable_without_waiting_per_job,
    .init = setup, .fini = teardown, .timeout = 30)
{
	struct job_group_stats	 st;
	sqlite3			*lock;
	int64_t			 t0;

	env.cfg.busy_timeout_ms = 300;
	for (int i = 0; i < 8; i++)
		award_job(i, "u", "p30");
	lock = tu_lock(env.cfg.db_path);
	t0 = atime_now_ms();
	job_run_group(env.ctx, ptrs, 8, &st);
	t0 = atime_now_ms() - t0;
	tu_unlock(lock);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(jobs[i].outcome, JOB_UNAVAILABLE, "job %d: %s",
		    i, job_outcome_name(jobs[i].outcome,
		    award_result_name(jobs[i].aout.result)));
	cr_assert_lt(t0, 4 * 300, "the group took %lld ms: a busy wait per job",
	    (long long)t0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 0);
}
