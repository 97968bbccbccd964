/*
 * Unit tests for common/refund.c (SPEC.md §4 "Refunds") on real SQLite
 * files: full and partial refunds, each refund counted once, REFUND rows
 * once per award row, refunds of payments never awarded, the interplay with
 * the retry queue, concurrent deliveries and legacy rows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "award.h"
#include "job.h"
#include "refund.h"
#include "retryq.h"
#include "testutil.h"

#define BUYER		1001LL
#define REFERRER	2002LL
#define T_ORDER		"2026-11-27T10:51:18.139Z"
#define AMOUNT		19900LL		/* 199.00 RUB */

static struct tu_env env;

static void
seed(void)
{
	tu_plan(&env, "p30", 3);
	tu_referral(&env, BUYER, REFERRER, "2026-11-10T12:00:00.000Z");
	tu_contest(&env, "c1", "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z",
	    30, 1);
}

/* Award order o1 with payment pay-1 of 199.00. */
static void
award_o1(void)
{
	struct award_req	req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	out;

	tu_req_pay(&req, "pay-1", AMOUNT);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_AWARDED,
	    "fixture award: %s", award_result_name(out.result));
}

static void
setup_plain(void)
{
	tu_init(&env, 0);
	tu_open(&env);
	seed();
}

static void
setup(void)
{
	setup_plain();
	award_o1();
}

static void
setup_sep(void)
{
	tu_init(&env, 1);
	tu_open(&env);
	seed();
	award_o1();
}

static void
setup_sep_plain(void)
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

static enum refund_result
refund(const char *refund_id, const char *payment_id, int64_t amount,
    struct refund_out *out)
{
	struct refund_req req = tu_refund(refund_id, payment_id, amount);

	return refund_apply(env.ctx, &req, out);
}

static void
expect_refund(const char *refund_id, const char *payment_id, int64_t amount,
    enum refund_result want)
{
	struct refund_out	out;
	enum refund_result	r = refund(refund_id, payment_id, amount, &out);

	cr_assert_eq(r, want, "refund %s of %lld: got %s (%s), want %s",
	    refund_id, (long long)amount, refund_result_name(r), out.error,
	    refund_result_name(want));
	cr_assert_eq(out.result, r);
}

static int64_t
refund_rows(void)
{
	return tu_int(&env, "SELECT count(*) FROM ticket_ledger"
	    " WHERE reason = 'REFUND'");
}

static int64_t
tickets_of(int64_t owner)
{
	return tu_int(&env, "SELECT coalesce(sum(delta), 0) FROM"
	    " ticket_ledger WHERE contest_id = 'c1' AND referrer_id = %lld",
	    (long long)owner);
}

static int64_t
refunded_minor(void)
{
	return tu_int(&env, "SELECT refunded_minor FROM payments"
	    " WHERE payment_id = 'pay-1'");
}

Test(refund, full_refund_reverses_both_rows, .init = setup,
    .fini = teardown)
{
	struct refund_out	out;

	env.cfg.now_ms = tu_ms("2026-11-28T09:00:00.250Z");
	cr_assert_eq(refund("r1", "pay-1", AMOUNT, &out), REFUND_REVERSED,
	    "got %s: %s", refund_result_name(out.result), out.error);
	cr_assert_eq(out.reversed_rows, 2);
	cr_assert_str_eq(out.order_id, "o1");
	tu_assert_ledger(&env, "REFUND:SELF_PURCHASE:o1", "c1", BUYER, BUYER,
	    "o1", -3, "REFUND");
	tu_assert_ledger(&env, "REFUND:INVITEE_PAYMENT:o1", "c1", REFERRER,
	    BUYER, "o1", -3, "REFUND");
	cr_assert_eq(refund_rows(), 2);
	cr_assert_eq(tickets_of(BUYER), 0);
	cr_assert_eq(tickets_of(REFERRER), 0);
	/* Append-only: the award rows are still there, unchanged. */
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "c1", BUYER, BUYER, "o1",
	    3, "SELF_PURCHASE");
	tu_assert_ledger(&env, "INVITEE_PAYMENT:o1", "c1", REFERRER, BUYER,
	    "o1", 3, "INVITEE_PAYMENT");
	tu_assert_str(tu_str(&env, "SELECT group_concat(DISTINCT created_at)"
	    " FROM ticket_ledger WHERE reason = 'REFUND'"),
	    "2026-11-28T09:00:00.250Z", "REFUND created_at");
	cr_assert_eq(refunded_minor(), AMOUNT);
}

Test(refund, same_refund_again_duplicate_nothing_more, .init = setup,
    .fini = teardown)
{
	expect_refund("r1", "pay-1", AMOUNT, REFUND_REVERSED);
	expect_refund("r1", "pay-1", AMOUNT, REFUND_DUPLICATE);
	expect_refund("r1", "pay-1", AMOUNT, REFUND_DUPLICATE);
	cr_assert_eq(refund_rows(), 2);
	cr_assert_eq(refunded_minor(), AMOUNT, "a duplicate was counted");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM refunds"), 1);
	cr_assert_eq(tickets_of(BUYER), 0);
}

/*
 * With two files the service database commits first. A crash before the
 * bot database commits leaves the refund counted and the rows unreversed;
 * the redelivery must repair that, once.
 */
Test(refund, duplicate_repairs_a_lost_reversal, .init = setup_sep,
    .fini = teardown)
{
	struct refund_out out;

	expect_refund("r1", "pay-1", AMOUNT, REFUND_REVERSED);
	tu_exec_file(tu_bot_path(&env), "DELETE FROM ticket_ledger"
	    " WHERE reason = 'REFUND'");
	cr_assert_eq(refund("r1", "pay-1", AMOUNT, &out), REFUND_DUPLICATE);
	cr_assert_eq(out.reversed_rows, 2);
	cr_assert_eq(refund_rows(), 2);
	cr_assert_eq(tickets_of(BUYER), 0);
	cr_assert_eq(tickets_of(REFERRER), 0);
	cr_assert_eq(refunded_minor(), AMOUNT, "counted twice");
	expect_refund("r1", "pay-1", AMOUNT, REFUND_DUPLICATE);
	cr_assert_eq(refund_rows(), 2);
}

Test(refund, partial_then_completing_refunds, .init = setup,
    .fini = teardown)
{
	/* 10.00 + 125.02 + 63.98 = 199.00 */
	expect_refund("r1", "pay-1", 1000, REFUND_PARTIAL);
	cr_assert_eq(refund_rows(), 0, "a partial refund reversed rows");
	cr_assert_eq(refunded_minor(), 1000);
	cr_assert_eq(tickets_of(BUYER), 3);
	expect_refund("r2", "pay-1", 12502, REFUND_PARTIAL);
	cr_assert_eq(refund_rows(), 0, "a partial refund reversed rows");
	cr_assert_eq(refunded_minor(), 13502);
	expect_refund("r2", "pay-1", 12502, REFUND_DUPLICATE);
	cr_assert_eq(refunded_minor(), 13502);
	expect_refund("r3", "pay-1", 6398, REFUND_REVERSED);
	cr_assert_eq(refunded_minor(), AMOUNT);
	cr_assert_eq(refund_rows(), 2);
	cr_assert_eq(tickets_of(BUYER), 0);
	cr_assert_eq(tickets_of(REFERRER), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM refunds"), 3);
}

Test(refund, more_refunds_after_full_reverse_nothing_more, .init = setup,
    .fini = teardown)
{
	expect_refund("r1", "pay-1", AMOUNT, REFUND_REVERSED);
	/* A second, distinct refund id over the full amount. */
	refund("r2", "pay-1", 100, &(struct refund_out){ 0 });
	cr_assert_eq(refund_rows(), 2);
	cr_assert_eq(tickets_of(BUYER), 0);
	cr_assert_eq(tickets_of(REFERRER), 0);
}

/* ---- refunds before their payment (SPEC §4 "Refunds") ---- */

static enum award_result
pay_o1(struct award_out *out)
{
	struct award_req req = tu_req("o1", BUYER, "p30", T_ORDER);

	tu_req_pay(&req, "pay-1", AMOUNT);
	return award_apply(env.ctx, &req, out);
}

static enum refund_result
refund_cur(const char *refund_id, int64_t amount, const char *currency,
    struct refund_out *out)
{
	struct refund_req req = tu_refund(refund_id, "pay-1", amount);

	snprintf(req.currency, sizeof(req.currency), "%s", currency);
	return refund_apply(env.ctx, &req, out);
}

static char *
refund_row(const char *refund_id)
{
	return tu_str(&env, "SELECT payment_id || '|' || amount_minor || '|'"
	    " || coalesce(currency, 'null') || '|' || status FROM refunds"
	    " WHERE refund_id = %Q", refund_id);
}

Test(refund, unknown_payment_refund_recorded_once_pending,
    .init = setup, .fini = teardown)
{
	char before[256], *s;

	s = tu_str(&env, "SELECT refunded_minor || updated_at FROM payments");
	snprintf(before, sizeof(before), "%s", s != NULL ? s : "");
	free(s);
	expect_refund("r1", "pay-unknown", AMOUNT, REFUND_UNKNOWN_PAYMENT);
	expect_refund("r1", "pay-unknown", AMOUNT, REFUND_UNKNOWN_PAYMENT);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM refunds"), 1);
	tu_assert_str(refund_row("r1"), "pay-unknown|19900|RUB|pending",
	    "recorded refund");
	cr_assert_eq(refund_rows(), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments"), 1);
	tu_assert_str(tu_str(&env, "SELECT refunded_minor || updated_at FROM"
	    " payments"), before, "payments row");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 0);
}

Test(refund, full_refund_before_payment_payment_not_eligible_refunded,
    .init = setup_plain, .fini = teardown)
{
	struct award_out out;

	expect_refund("r1", "pay-1", AMOUNT, REFUND_UNKNOWN_PAYMENT);
	cr_assert_eq(pay_o1(&out), AWARD_NOT_ELIGIBLE, "got %s: %s",
	    award_result_name(out.result), out.error);
	tu_assert_str(out.reason ? strdup(out.reason) : NULL, "refunded",
	    "reason");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0,
	    "a payment refunded in full got tickets");
	cr_assert_eq(refunded_minor(), AMOUNT);
	tu_assert_str(refund_row("r1"), "pay-1|19900|RUB|counted",
	    "recorded refund");
	tu_assert_str(tu_str(&env, "SELECT outcome FROM payments"),
	    "not_eligible", "payment outcome");
	/* Redeliveries of either change nothing and count nothing twice. */
	cr_assert_eq(pay_o1(&out), AWARD_NOT_ELIGIBLE);
	expect_refund("r1", "pay-1", AMOUNT, REFUND_DUPLICATE);
	cr_assert_eq(refunded_minor(), AMOUNT, "counted twice");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
}

Test(refund, partial_refund_before_payment_then_completing_reverses,
    .init = setup_plain, .fini = teardown)
{
	struct award_out out;

	expect_refund("r1", "pay-1", 1000, REFUND_UNKNOWN_PAYMENT);
	cr_assert_eq(pay_o1(&out), AWARD_AWARDED, "got %s: %s",
	    award_result_name(out.result), out.error);
	cr_assert_eq(refunded_minor(), 1000, "the early refund not counted");
	cr_assert_eq(tickets_of(BUYER), 3);
	cr_assert_eq(tickets_of(REFERRER), 3);
	/* Redelivered payment: the early refund is not counted again. */
	cr_assert_eq(pay_o1(&out), AWARD_DUPLICATE);
	cr_assert_eq(refunded_minor(), 1000, "the early refund counted twice");
	expect_refund("r2", "pay-1", AMOUNT - 1000, REFUND_REVERSED);
	cr_assert_eq(refunded_minor(), AMOUNT);
	cr_assert_eq(refund_rows(), 2);
	cr_assert_eq(tickets_of(BUYER), 0);
	cr_assert_eq(tickets_of(REFERRER), 0);
}

Test(refund, two_partial_refunds_before_payment_add_up_to_full,
    .init = setup_plain, .fini = teardown)
{
	struct award_out out;

	expect_refund("r1", "pay-1", 9900, REFUND_UNKNOWN_PAYMENT);
	expect_refund("r2", "pay-1", 10000, REFUND_UNKNOWN_PAYMENT);
	expect_refund("r-other", "pay-2", AMOUNT, REFUND_UNKNOWN_PAYMENT);
	cr_assert_eq(pay_o1(&out), AWARD_NOT_ELIGIBLE);
	cr_assert_eq(refunded_minor(), AMOUNT);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
	tu_assert_str(refund_row("r-other"), "pay-2|19900|RUB|pending",
	    "another payment's refund");
}

Test(refund, full_refund_before_payment_of_unknown_plan_not_queued,
    .init = setup_plain, .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p-new", T_ORDER);
	struct award_out	out;

	expect_refund("r1", "pay-1", AMOUNT, REFUND_UNKNOWN_PAYMENT);
	tu_req_pay(&req, "pay-1", AMOUNT);
	cr_assert_eq(job_award(env.ctx, &req, NULL, &out), JOB_DONE);
	cr_assert_eq(out.result, AWARD_NOT_ELIGIBLE, "got %s",
	    award_result_name(out.result));
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 0);
}

/*
 * The bot database is locked: the award is queued in a transaction that
 * writes only the service database, and that one counts the early refund,
 * so the retry awards nothing.
 */
Test(refund, full_refund_before_queued_payment_retry_awards_nothing,
    .init = setup_sep_plain, .fini = teardown, .timeout = 30)
{
	struct award_req	 req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	 out;
	struct retry_run	 run;
	sqlite3			*lock;
	enum job_outcome	 r;

	expect_refund("r1", "pay-1", AMOUNT, REFUND_UNKNOWN_PAYMENT);
	tu_close(&env);
	env.cfg.busy_timeout_ms = 100;
	tu_open(&env);
	tu_req_pay(&req, "pay-1", AMOUNT);
	lock = tu_lock(tu_bot_path(&env));
	r = job_award(env.ctx, &req, NULL, &out);
	tu_unlock(lock);
	cr_assert_eq(r, JOB_QUEUED, "got %s", job_outcome_name(r,
	    award_result_name(out.result)));
	cr_assert_eq(refunded_minor(), AMOUNT, "the queued payment did not "
	    "count the early refund");
	tu_assert_str(refund_row("r1"), "pay-1|19900|RUB|counted", "refund");
	cr_assert_eq(job_retry_run(env.ctx, 1, 100, &run), 0);
	cr_assert_eq(run.not_eligible, 1);
	tu_assert_str(tu_str(&env, "SELECT status || '|' || outcome FROM"
	    " failed_awards"), "done|not_eligible", "queued row");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
}

/*
 * The responder's writer runs jobs in one transaction, a savepoint each
 * (job_run_group): an early refund's row must survive its savepoint and
 * count for the payment later in the same group; in the other order the
 * refund reverses the award. A currency mismatch in the group is queued.
 */
Test(refund, refund_and_payment_in_one_group_either_order,
    .init = setup_plain, .fini = teardown)
{
	struct job	 jobs[5], *p[5];

	memset(jobs, 0, sizeof(jobs));
	jobs[0].kind = JOB_REFUND;
	jobs[0].refund = tu_refund("r1", "pay-1", AMOUNT);
	jobs[1].kind = JOB_AWARD;
	jobs[1].award = tu_req("o1", BUYER, "p30", T_ORDER);
	tu_req_pay(&jobs[1].award, "pay-1", AMOUNT);
	jobs[2].kind = JOB_AWARD;
	jobs[2].award = tu_req("o2", BUYER, "p30", T_ORDER);
	tu_req_pay(&jobs[2].award, "pay-2", AMOUNT);
	jobs[3].kind = JOB_REFUND;
	jobs[3].refund = tu_refund("r2", "pay-2", AMOUNT);
	jobs[4].kind = JOB_REFUND;
	jobs[4].refund = tu_refund("r3", "pay-2", 100);
	snprintf(jobs[4].refund.currency, sizeof(jobs[4].refund.currency),
	    "USD");
	for (int i = 0; i < 5; i++)
		p[i] = &jobs[i];
	job_run_group(env.ctx, p, 5, NULL);
	cr_assert_eq(jobs[0].rout.result, REFUND_UNKNOWN_PAYMENT);
	cr_assert_eq(jobs[1].aout.result, AWARD_NOT_ELIGIBLE, "got %s",
	    award_result_name(jobs[1].aout.result));
	cr_assert_eq(jobs[2].aout.result, AWARD_AWARDED);
	cr_assert_eq(jobs[3].rout.result, REFUND_REVERSED);
	cr_assert_eq(jobs[4].outcome, JOB_QUEUED);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"
	    " WHERE order_id = 'o1'"), 0);
	cr_assert_eq(tu_int(&env, "SELECT sum(delta) FROM ticket_ledger"
	    " WHERE order_id = 'o2'"), 0);
	tu_assert_str(tu_str(&env, "SELECT group_concat(refund_id || ':' ||"
	    " status, ' ') FROM (SELECT * FROM refunds ORDER BY refund_id)"),
	    "r1:counted r2:counted", "refunds");
	tu_assert_str(tu_str(&env, "SELECT kind || '|' || refund_id FROM"
	    " failed_awards"), "refund|r3", "queued");
}

/* ---- currency (SPEC §4 "Refunds") ---- */

Test(refund, currency_mismatch_failed_nothing_reversed, .init = setup,
    .fini = teardown)
{
	struct refund_out out;

	cr_assert_eq(refund_cur("r1", AMOUNT, "USD", &out), REFUND_FAILED,
	    "got %s", refund_result_name(out.result));
	cr_assert_not_null(strstr(out.error, "currency"), "error: %s",
	    out.error);
	cr_assert_not_null(strstr(out.error, "USD"), "error: %s", out.error);
	cr_assert_eq(out.reversed_rows, 0);
	cr_assert_eq(refund_rows(), 0, "a USD refund reversed a RUB payment");
	cr_assert_eq(refunded_minor(), 0, "a USD refund was counted");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM refunds"), 0);
	cr_assert_eq(tickets_of(BUYER), 3);
	cr_assert_eq(tickets_of(REFERRER), 3);
}

Test(refund, currency_mismatch_submit_queued_kind_refund, .init = setup,
    .fini = teardown)
{
	struct refund_req	req = tu_refund("r1", "pay-1", AMOUNT);
	struct refund_out	out;
	struct retry_run	run;

	snprintf(req.currency, sizeof(req.currency), "USD");
	cr_assert_eq(job_refund(env.ctx, &req, NULL, &out), JOB_QUEUED);
	tu_assert_str(tu_str(&env, "SELECT kind || '|' || status || '|' ||"
	    " refund_id || '|' || payment_id || '|' || currency FROM"
	    " failed_awards"), "refund|pending|r1|pay-1|USD", "queued refund");
	tu_assert_contains(tu_str(&env, "SELECT last_error FROM"
	    " failed_awards"), "currency", "last_error");
	/* The retry fails the same way: still nothing reversed. */
	cr_assert_eq(job_retry_run(env.ctx, 1, 100, &run), 0);
	cr_assert_eq(run.failed, 1);
	tu_assert_str(tu_str(&env, "SELECT status || '|' || attempts FROM"
	    " failed_awards"), "pending|2", "retried refund");
	cr_assert_eq(refund_rows(), 0);
	cr_assert_eq(refunded_minor(), 0);
	cr_assert_eq(tickets_of(BUYER), 3);
}

Test(refund, same_currency_refund_still_reverses, .init = setup,
    .fini = teardown)
{
	struct refund_out out;

	cr_assert_eq(refund_cur("r1", AMOUNT, "RUB", &out), REFUND_REVERSED);
	cr_assert_eq(refund_rows(), 2);
}

Test(refund, refund_without_currency_not_compared, .init = setup,
    .fini = teardown)
{
	struct refund_out out;

	cr_assert_eq(refund_cur("r1", AMOUNT, "", &out), REFUND_REVERSED,
	    "got %s: %s", refund_result_name(out.result), out.error);
	cr_assert_eq(refund_rows(), 2);
}

Test(refund, other_currency_refund_before_payment_never_counted,
    .init = setup_plain, .fini = teardown)
{
	struct award_out	out;
	struct refund_out	rout;

	cr_assert_eq(refund_cur("r-usd", AMOUNT, "USD", &rout),
	    REFUND_UNKNOWN_PAYMENT);
	cr_assert_eq(pay_o1(&out), AWARD_AWARDED, "a USD refund blocked a "
	    "RUB payment: %s", award_result_name(out.result));
	cr_assert_eq(refunded_minor(), 0, "a USD refund was counted");
	tu_assert_str(refund_row("r-usd"), "pay-1|19900|USD|mismatch",
	    "the USD refund");
	cr_assert_eq(tickets_of(BUYER), 3);
	/* Its redelivery now meets the payment: a failure, nothing reversed. */
	cr_assert_eq(refund_cur("r-usd", AMOUNT, "USD", &rout), REFUND_FAILED);
	cr_assert_eq(refund_rows(), 0);
	/* A RUB refund still completes it. */
	cr_assert_eq(refund_cur("r-rub", AMOUNT, "RUB", &rout),
	    REFUND_REVERSED);
	cr_assert_eq(tickets_of(BUYER), 0);
	cr_assert_eq(tickets_of(REFERRER), 0);
}

Test(refund, same_and_other_currency_before_payment_only_same_counts,
    .init = setup_plain, .fini = teardown)
{
	struct award_out	out;
	struct refund_out	rout;

	cr_assert_eq(refund_cur("r-usd", 100, "USD", &rout),
	    REFUND_UNKNOWN_PAYMENT);
	cr_assert_eq(refund_cur("r-rub", AMOUNT, "RUB", &rout),
	    REFUND_UNKNOWN_PAYMENT);
	cr_assert_eq(pay_o1(&out), AWARD_NOT_ELIGIBLE);
	cr_assert_eq(refunded_minor(), AMOUNT);
	tu_assert_str(refund_row("r-usd"), "pay-1|100|USD|mismatch", "USD");
	tu_assert_str(refund_row("r-rub"), "pay-1|19900|RUB|counted", "RUB");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
}

Test(refund, refund_of_unawarded_payment_counted_then_award_refunded,
    .init = setup_plain, .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	out;

	/* Seen but not awarded: no contest running. */
	tu_exec(&env, "UPDATE contests SET is_active = 0");
	tu_req_pay(&req, "pay-1", AMOUNT);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_NOT_ELIGIBLE);
	expect_refund("r1", "pay-1", AMOUNT, REFUND_UNKNOWN_PAYMENT);
	cr_assert_eq(refunded_minor(), AMOUNT, "the refund was not counted");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM refunds"), 1);
	cr_assert_eq(refund_rows(), 0);
	/* The contest is switched on: the refunded order still gets nothing. */
	tu_exec(&env, "UPDATE contests SET is_active = 1");
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_NOT_ELIGIBLE,
	    "got %s", award_result_name(out.result));
	tu_assert_str(out.reason ? strdup(out.reason) : NULL, "refunded",
	    "reason");
	/* Also when the bot sends it without the payment id. */
	req.payment_id[0] = '\0';
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_NOT_ELIGIBLE);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
}

Test(refund, refund_before_queued_retry_marks_done_awards_nothing,
    .init = setup_plain, .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p-new", T_ORDER);
	struct award_out	out;
	struct retry_run	run;

	tu_req_pay(&req, "pay-1", AMOUNT);
	cr_assert_eq(job_award(env.ctx, &req, NULL, &out), JOB_QUEUED);
	expect_refund("r1", "pay-1", AMOUNT, REFUND_UNKNOWN_PAYMENT);
	cr_assert_eq(refunded_minor(), AMOUNT);
	tu_plan(&env, "p-new", 5);	/* the retry could now award it */
	cr_assert_eq(job_retry_run(env.ctx, 1, 100, &run), 0);
	cr_assert_eq(run.picked, 1);
	cr_assert_eq(run.awarded, 0);
	cr_assert_eq(run.not_eligible, 1);
	tu_assert_str(tu_str(&env, "SELECT status || '|' || outcome FROM"
	    " failed_awards"), "done|not_eligible", "queued row");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
}

Test(refund, refund_of_award_without_amount_partial, .init = setup_plain,
    .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	out;

	/* A payment id but no amount: nothing to compare with. */
	snprintf(req.payment_id, sizeof(req.payment_id), "pay-1");
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_AWARDED);
	expect_refund("r1", "pay-1", AMOUNT, REFUND_PARTIAL);
	cr_assert_eq(refund_rows(), 0);
}

Test(refund, order_awarded_by_bot_then_webhook_payment_refunded,
    .init = setup_plain, .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	out;

	/* The bot's /v1/awards first (no payment id), then the webhook. */
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_AWARDED);
	tu_req_pay(&req, "pay-1", AMOUNT);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_DUPLICATE);
	expect_refund("r1", "pay-1", AMOUNT, REFUND_REVERSED);
	cr_assert_eq(refund_rows(), 2);
	cr_assert_eq(tickets_of(BUYER), 0);
	cr_assert_eq(tickets_of(REFERRER), 0);
}

/* ---- concurrency ---- */

struct race {
	const struct tu_env	*e;
	struct refund_req	 req;
};

static int
race_refund(int idx, void *p)
{
	struct race		*a = p;
	struct award_ctx	*ctx;
	struct refund_out	 out;
	char			 err[256];

	(void)idx;
	if ((ctx = award_ctx_open(&a->e->cfg, &tu_role_all,
	    err, sizeof(err))) == NULL)
		return 90;
	tu_race_go();
	job_refund(ctx, &a->req, NULL, &out);
	award_ctx_close(ctx);
	return (int)out.result;
}

static void
race_same_refund(int n)
{
	struct race	a;
	int		codes[TU_RACE_MAX], reversed = 0;

	a.e = &env;
	a.req = tu_refund("r1", "pay-1", AMOUNT);
	tu_close(&env);
	tu_race(n, race_refund, &a, codes);
	for (int i = 0; i < n; i++) {
		cr_assert(codes[i] == REFUND_REVERSED ||
		    codes[i] == REFUND_DUPLICATE, "process %d ended %d (%s)",
		    i, codes[i], codes[i] < REFUND__MAX ?
		    refund_result_name((enum refund_result)codes[i]) : "-");
		reversed += codes[i] == REFUND_REVERSED;
	}
	cr_assert_eq(reversed, 1, "%d processes answered reversed", reversed);
	cr_assert_eq(refund_rows(), 2);
	cr_assert_eq(refunded_minor(), AMOUNT);
	cr_assert_eq(tickets_of(BUYER), 0);
	cr_assert_eq(tickets_of(REFERRER), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 0);
}

Test(refund, concurrent_same_refund_one_set_of_rows, .init = setup,
    .fini = teardown, .timeout = 60)
{
	race_same_refund(6);
}

Test(refund, concurrent_same_refund_one_set_separate_bot_db,
    .init = setup_sep, .fini = teardown, .timeout = 60)
{
	race_same_refund(6);
}

static int
race_distinct_refunds(int idx, void *p)
{
	struct race		*a = p;
	struct award_ctx	*ctx;
	struct refund_out	 out;
	struct refund_req	 req = a->req;
	char			 err[256];

	if ((ctx = award_ctx_open(&a->e->cfg, &tu_role_all,
	    err, sizeof(err))) == NULL)
		return 90;
	snprintf(req.refund_id, sizeof(req.refund_id), "r-%d", idx);
	tu_race_go();
	job_refund(ctx, &req, NULL, &out);
	award_ctx_close(ctx);
	return (int)out.result;
}

Test(refund, concurrent_full_refunds_distinct_ids_reverse_once,
    .init = setup, .fini = teardown, .timeout = 60)
{
	struct race	a;
	int		codes[TU_RACE_MAX];

	a.e = &env;
	a.req = tu_refund("-", "pay-1", AMOUNT);
	tu_close(&env);
	tu_race(4, race_distinct_refunds, &a, codes);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(codes[i], REFUND_REVERSED, "process %d: %d", i,
		    codes[i]);
	cr_assert_eq(refund_rows(), 2);
	cr_assert_eq(tickets_of(BUYER), 0);
	cr_assert_eq(refunded_minor(), 4 * AMOUNT);
}

/*
 * Payment and full refund of one order delivered at once, whichever runs
 * first: no refunded payment keeps tickets. Child 2k pays order k, child
 * 2k+1 refunds it.
 */
static int
race_pay_refund(int idx, void *p)
{
	const struct tu_env	*e = p;
	struct award_ctx	*ctx;
	char			 err[256], order[32], pay[32], rid[32];
	int			 k = idx / 2, rc;

	snprintf(order, sizeof(order), "o-%d", k);
	snprintf(pay, sizeof(pay), "pay-%d", k);
	snprintf(rid, sizeof(rid), "r-%d", k);
	if ((ctx = award_ctx_open(&e->cfg, &tu_role_all,
	    err, sizeof(err))) == NULL)
		return 90;
	tu_race_go();
	if (idx % 2 == 0) {
		struct award_req req = tu_req(order, BUYER + k, "p30", T_ORDER);
		struct award_out out;

		tu_req_pay(&req, pay, AMOUNT);
		job_award(ctx, &req, NULL, &out);
		rc = (int)out.result;
	} else {
		struct refund_req req = tu_refund(rid, pay, AMOUNT);
		struct refund_out out;

		job_refund(ctx, &req, NULL, &out);
		rc = 10 + (int)out.result;
	}
	award_ctx_close(ctx);
	return rc;
}

static void
race_pay_refund_pairs(void)
{
	int codes[TU_RACE_MAX], n = TU_RACE_MAX;

	tu_close(&env);
	tu_race(n, race_pay_refund, &env, codes);
	for (int i = 0; i < n; i += 2) {
		cr_assert(codes[i] == AWARD_AWARDED ||
		    codes[i] == AWARD_NOT_ELIGIBLE, "payment %d ended %d",
		    i / 2, codes[i]);
		cr_assert(codes[i + 1] == 10 + REFUND_REVERSED ||
		    codes[i + 1] == 10 + REFUND_UNKNOWN_PAYMENT,
		    "refund %d ended %d", i / 2, codes[i + 1]);
		/* Refund first: not awarded; payment first: reversed. */
		cr_assert_eq(codes[i] == AWARD_AWARDED,
		    codes[i + 1] == 10 + REFUND_REVERSED, "pair %d: %d/%d",
		    i / 2, codes[i], codes[i + 1]);
	}
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM (SELECT order_id"
	    " FROM ticket_ledger GROUP BY order_id HAVING sum(delta) != 0)"),
	    0, "a refunded payment kept its tickets");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments WHERE"
	    " refunded_minor != amount_minor"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments"), n / 2);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM refunds WHERE"
	    " status != 'counted'"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 0);
}

Test(refund, concurrent_payment_and_refund_pairs_keep_no_tickets,
    .init = setup_plain, .fini = teardown, .timeout = 60)
{
	race_pay_refund_pairs();
}

Test(refund, concurrent_payment_and_refund_pairs_separate_bot_db,
    .init = setup_sep_plain, .fini = teardown, .timeout = 60)
{
	race_pay_refund_pairs();
}

/* ---- legacy rows ---- */

Test(refund, legacy_duplicate_rows_each_reversed_once, .init = setup_plain,
    .fini = teardown)
{
	struct award_req	req = tu_req("o9", BUYER, "p30", T_ORDER);
	struct award_out	out;
	struct refund_out	rout;

	tu_ledger(&env, "legacy-a", "c1", BUYER, BUYER, "o9", 3,
	    "SELF_PURCHASE", "2026-11-20 08:00:00");
	tu_ledger(&env, "legacy-b", "c1", BUYER, BUYER, "o9", 3,
	    "SELF_PURCHASE", "2026-11-20 08:00:01");
	tu_ledger(&env, "legacy-c", "c1", REFERRER, BUYER, "o9", 3,
	    "INVITEE_PAYMENT", "2026-11-20 08:00:00");
	tu_req_pay(&req, "pay-9", 5000);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_DUPLICATE);
	cr_assert_eq(refund_apply(env.ctx, &(struct refund_req){
	    .refund_id = "r9", .payment_id = "pay-9", .amount_minor = 5000 },
	    &rout), REFUND_REVERSED, "got %s",
	    refund_result_name(rout.result));
	cr_assert_eq(rout.reversed_rows, 3);
	tu_assert_ledger(&env, "REFUND:legacy-a", "c1", BUYER, BUYER, "o9",
	    -3, "REFUND");
	tu_assert_ledger(&env, "REFUND:legacy-b", "c1", BUYER, BUYER, "o9",
	    -3, "REFUND");
	tu_assert_ledger(&env, "REFUND:legacy-c", "c1", REFERRER, BUYER, "o9",
	    -3, "REFUND");
	/* Another refund id for the same payment: nothing reversed twice. */
	refund_apply(env.ctx, &(struct refund_req){ .refund_id = "r9b",
	    .payment_id = "pay-9", .amount_minor = 1 }, &rout);
	cr_assert_eq(refund_rows(), 3);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"
	    " WHERE id LIKE 'legacy-%%'"), 3, "legacy rows changed");
	cr_assert_eq(tu_int(&env, "SELECT sum(delta) FROM ticket_ledger"
	    " WHERE order_id = 'o9'"), 0);
}

/* ---- queueing ---- */

Test(refund, bot_db_locked_refund_queued_then_retried, .init = setup_sep,
    .fini = teardown, .timeout = 30)
{
	struct refund_req	 req = tu_refund("r1", "pay-1", AMOUNT);
	struct refund_out	 out;
	struct retry_run	 run;
	sqlite3			*lock;
	enum job_outcome	 r;

	tu_close(&env);
	env.cfg.busy_timeout_ms = 100;
	tu_open(&env);
	lock = tu_lock(tu_bot_path(&env));
	r = job_refund(env.ctx, &req, NULL, &out);
	tu_unlock(lock);
	cr_assert_eq(r, JOB_QUEUED, "got %s: %s", job_outcome_name(r,
	    refund_result_name(out.result)), out.error);
	tu_assert_str(tu_str_file(env.cfg.db_path, "SELECT kind || '|' ||"
	    " status || '|' || attempts || '|' || refund_id || '|' ||"
	    " payment_id || '|' || amount_minor FROM failed_awards"),
	    "refund|pending|1|r1|pay-1|19900", "queued refund");
	cr_assert_eq(refund_rows(), 0);
	cr_assert_eq(refunded_minor(), 0, "a failed refund was counted");

	cr_assert_eq(job_retry_run(env.ctx, 1, 100, &run), 0);
	cr_assert_eq(run.refunds, 1);
	tu_assert_str(tu_str(&env, "SELECT status || '|' || outcome FROM"
	    " failed_awards"), "done|reversed", "retried refund");
	cr_assert_eq(refund_rows(), 2);
	cr_assert_eq(refunded_minor(), AMOUNT);
}

/*
 * ---- the payment's amount learned after its refunds (issue 18 finding 6,
 * SPEC §4 "Refunds": the rows are reversed whichever of the amount and the
 * refunds becomes known last) ----
 */

/* Order o1, payment pay-1, without amount or currency (the bot's call). */
static enum award_result
pay_o1_no_amount(struct award_out *out)
{
	struct award_req req = tu_req("o1", BUYER, "p30", T_ORDER);

	snprintf(req.payment_id, sizeof(req.payment_id), "pay-1");
	return award_apply(env.ctx, &req, out);
}

/* Order o1, pay-1 of amount in currency cur ("" for a bare amount). */
static enum award_result
pay_o1_amount(int64_t amount, const char *cur, struct award_out *out)
{
	struct award_req req = tu_req("o1", BUYER, "p30", T_ORDER);

	tu_req_pay(&req, "pay-1", amount);
	snprintf(req.currency, sizeof(req.currency), "%s", cur);
	return award_apply(env.ctx, &req, out);
}

static void
expect_refunded(enum award_result r, const struct award_out *out,
    int64_t reversed)
{
	cr_assert_eq(r, AWARD_NOT_ELIGIBLE, "got %s: %s",
	    award_result_name(r), out->error);
	tu_assert_str(out->reason ? strdup(out->reason) : NULL, "refunded",
	    "reason");
	cr_assert_eq(out->reversed_rows, reversed, "reversed %lld rows, want "
	    "%lld", (long long)out->reversed_rows, (long long)reversed);
}

/* Both award rows of o1 reversed exactly once; nobody keeps a ticket. */
static void
expect_o1_reversed(void)
{
	cr_assert_eq(refund_rows(), 2, "REFUND rows: %lld",
	    (long long)refund_rows());
	tu_assert_ledger(&env, "REFUND:SELF_PURCHASE:o1", "c1", BUYER, BUYER,
	    "o1", -3, "REFUND");
	tu_assert_ledger(&env, "REFUND:INVITEE_PAYMENT:o1", "c1", REFERRER,
	    BUYER, "o1", -3, "REFUND");
	cr_assert_eq(tickets_of(BUYER), 0);
	cr_assert_eq(tickets_of(REFERRER), 0);
}

/* The sequence, then every redelivery of it. */
static void
late_amount_sequence(void)
{
	struct award_out out;

	cr_assert_eq(pay_o1_no_amount(&out), AWARD_AWARDED);
	cr_assert_eq(tickets_of(BUYER) + tickets_of(REFERRER), 6);
	expect_refund("r1", "pay-1", AMOUNT, REFUND_PARTIAL);
	cr_assert_eq(refund_rows(), 0, "reversed before the amount was known");
	expect_refunded(pay_o1(&out), &out, 2);
	expect_o1_reversed();
	tu_assert_str(tu_str(&env, "SELECT amount_minor || '|' ||"
	    " refunded_minor || '|' || outcome FROM payments"),
	    "19900|19900|awarded", "payments row");
	/* Redeliveries of all three add nothing. */
	expect_refunded(pay_o1(&out), &out, 0);
	expect_refunded(pay_o1_no_amount(&out), &out, 0);
	expect_refund("r1", "pay-1", AMOUNT, REFUND_DUPLICATE);
	cr_assert_eq(refunded_minor(), AMOUNT, "counted twice");
	expect_o1_reversed();
}

Test(refund, late_amount_after_full_refund_reverses_rows,
    .init = setup_plain, .fini = teardown)
{
	late_amount_sequence();
}

Test(refund, late_amount_after_full_refund_reverses_rows_separate_bot_db,
    .init = setup_sep_plain, .fini = teardown)
{
	late_amount_sequence();
}

Test(refund, late_amount_partial_refunds_adding_up_reverse,
    .init = setup_plain, .fini = teardown)
{
	struct award_out out;

	cr_assert_eq(pay_o1_no_amount(&out), AWARD_AWARDED);
	expect_refund("r1", "pay-1", 100, REFUND_PARTIAL);
	expect_refund("r2", "pay-1", AMOUNT - 100, REFUND_PARTIAL);
	expect_refunded(pay_o1(&out), &out, 2);
	expect_o1_reversed();
}

Test(refund, late_amount_refunds_short_keep_tickets_until_complete,
    .init = setup_plain, .fini = teardown)
{
	struct award_out out;

	cr_assert_eq(pay_o1_no_amount(&out), AWARD_AWARDED);
	expect_refund("r1", "pay-1", 100, REFUND_PARTIAL);
	cr_assert_eq(pay_o1(&out), AWARD_DUPLICATE, "got %s",
	    award_result_name(out.result));
	cr_assert_eq(out.reversed_rows, 0);
	cr_assert_eq(tickets_of(BUYER), 3, "a partial refund took tickets");
	cr_assert_eq(tickets_of(REFERRER), 3);
	/* The amount is known now: the completing refund reverses. */
	expect_refund("r2", "pay-1", AMOUNT - 100, REFUND_REVERSED);
	expect_o1_reversed();
}

Test(refund, late_bare_amount_without_currency_reverses,
    .init = setup_plain, .fini = teardown)
{
	struct award_out out;

	/* /v1/awards again, now with "amount":"199.00" and no currency. */
	cr_assert_eq(pay_o1_no_amount(&out), AWARD_AWARDED);
	expect_refund("r1", "pay-1", AMOUNT, REFUND_PARTIAL);
	expect_refunded(pay_o1_amount(AMOUNT, "", &out), &out, 2);
	expect_o1_reversed();
}

Test(refund, refund_before_payment_award_without_amount_then_amount,
    .init = setup_plain, .fini = teardown)
{
	struct award_out out;

	/* The refund first, then the bot without amount: nothing to compare. */
	expect_refund("r1", "pay-1", AMOUNT, REFUND_UNKNOWN_PAYMENT);
	cr_assert_eq(pay_o1_no_amount(&out), AWARD_AWARDED, "got %s",
	    award_result_name(out.result));
	tu_assert_str(refund_row("r1"), "pay-1|19900|RUB|counted", "refund");
	/* The webhook brings the amount: the counted refund reaches it. */
	expect_refunded(pay_o1(&out), &out, 2);
	expect_o1_reversed();
}

Test(refund, bot_award_without_payment_id_refund_then_webhook_reverses,
    .init = setup_plain, .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	out;

	/* /v1/awards without payment_id, the refund, then the webhook. */
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_AWARDED);
	expect_refund("r1", "pay-1", AMOUNT, REFUND_UNKNOWN_PAYMENT);
	expect_refunded(pay_o1(&out), &out, 2);
	expect_o1_reversed();
	/* The bot's redelivery without payment_id: still nothing back. */
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_NOT_ELIGIBLE);
	expect_o1_reversed();
}

Test(refund, late_amount_learned_by_queued_award_retry_reverses,
    .init = setup_sep_plain, .fini = teardown, .timeout = 30)
{
	struct award_out	 out;
	struct award_req	 req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct retry_run	 run;
	sqlite3			*lock;

	cr_assert_eq(pay_o1_no_amount(&out), AWARD_AWARDED);
	expect_refund("r1", "pay-1", AMOUNT, REFUND_PARTIAL);
	/* The webhook meets a locked bot database: queued, amount saved. */
	tu_close(&env);
	env.cfg.busy_timeout_ms = 100;
	tu_open(&env);
	tu_req_pay(&req, "pay-1", AMOUNT);
	lock = tu_lock(tu_bot_path(&env));
	cr_assert_eq(job_award(env.ctx, &req, NULL, &out), JOB_QUEUED,
	    "got %s: %s", award_result_name(out.result), out.error);
	tu_unlock(lock);
	cr_assert_eq(tu_int(&env, "SELECT amount_minor FROM payments"),
	    AMOUNT);
	cr_assert_eq(refund_rows(), 0);
	/* The retry run reverses the rows and ends the row done. */
	cr_assert_eq(job_retry_run(env.ctx, 1, 100, &run), 0);
	cr_assert_eq(run.not_eligible, 1);
	tu_assert_str(tu_str(&env, "SELECT status || '|' || outcome FROM"
	    " failed_awards"), "done|not_eligible", "queued row");
	expect_o1_reversed();
}

Test(refund, late_amount_in_one_group_with_its_refund,
    .init = setup_plain, .fini = teardown)
{
	struct award_out	 out;
	struct job		 jobs[2], *p[2];

	cr_assert_eq(pay_o1_no_amount(&out), AWARD_AWARDED);
	memset(jobs, 0, sizeof(jobs));
	jobs[0].kind = JOB_REFUND;
	jobs[0].refund = tu_refund("r1", "pay-1", AMOUNT);
	jobs[1].kind = JOB_AWARD;
	jobs[1].award = tu_req("o1", BUYER, "p30", T_ORDER);
	tu_req_pay(&jobs[1].award, "pay-1", AMOUNT);
	p[0] = &jobs[0];
	p[1] = &jobs[1];
	job_run_group(env.ctx, p, 2, NULL);
	cr_assert_eq(jobs[0].rout.result, REFUND_PARTIAL);
	expect_refunded(jobs[1].aout.result, &jobs[1].aout, 2);
	expect_o1_reversed();
}

Test(refund, late_currency_other_than_counted_refund_takes_it_back,
    .init = setup_plain, .fini = teardown)
{
	struct award_out	out;
	struct refund_out	rout;

	/* A USD refund counted while the payment's currency was unknown. */
	cr_assert_eq(pay_o1_no_amount(&out), AWARD_AWARDED);
	cr_assert_eq(refund_cur("r-usd", AMOUNT, "USD", &rout),
	    REFUND_PARTIAL);
	cr_assert_eq(refunded_minor(), AMOUNT);
	/* The payment is RUB: the USD refund never counted, tickets stay. */
	cr_assert_eq(pay_o1(&out), AWARD_DUPLICATE, "got %s (%s)",
	    award_result_name(out.result), out.reason ? out.reason : "");
	cr_assert_eq(refunded_minor(), 0, "a USD refund still counts");
	tu_assert_str(refund_row("r-usd"), "pay-1|19900|USD|mismatch",
	    "the USD refund");
	cr_assert_eq(tickets_of(BUYER), 3);
	cr_assert_eq(tickets_of(REFERRER), 3);
	/* Redelivered, it now meets a RUB payment: a failure. */
	cr_assert_eq(refund_cur("r-usd", AMOUNT, "USD", &rout), REFUND_FAILED);
	cr_assert_eq(refunded_minor(), 0);
	/* A RUB refund still completes it. */
	cr_assert_eq(refund_cur("r-rub", AMOUNT, "RUB", &rout),
	    REFUND_REVERSED);
	expect_o1_reversed();
}

Test(refund, late_currency_same_as_counted_refund_reverses,
    .init = setup_plain, .fini = teardown)
{
	struct award_out	out;
	struct refund_out	rout;

	cr_assert_eq(pay_o1_no_amount(&out), AWARD_AWARDED);
	cr_assert_eq(refund_cur("r-rub", AMOUNT, "RUB", &rout),
	    REFUND_PARTIAL);
	cr_assert_eq(refund_cur("r-none", 100, "", &rout), REFUND_PARTIAL);
	expect_refunded(pay_o1(&out), &out, 2);
	tu_assert_str(tu_str(&env, "SELECT group_concat(refund_id || ':' ||"
	    " status, ' ') FROM (SELECT * FROM refunds ORDER BY refund_id)"),
	    "r-none:counted r-rub:counted", "refunds");
	cr_assert_eq(refunded_minor(), AMOUNT + 100);
	expect_o1_reversed();
}

/* ---- a 0.00 payment (issue 18, minor) ---- */

Test(refund, zero_payment_refund_reverses, .init = setup_plain,
    .fini = teardown)
{
	struct award_out out;

	cr_assert_eq(pay_o1_amount(0, "RUB", &out), AWARD_AWARDED);
	expect_refund("r1", "pay-1", 1, REFUND_REVERSED);
	expect_o1_reversed();
	tu_assert_str(tu_str(&env, "SELECT payments || '|' || refunded FROM"
	    " payment_totals WHERE outcome = 'awarded'"), "1|1",
	    "payment totals");
}

Test(refund, zero_payment_without_refund_is_awarded_not_refunded,
    .init = setup_plain, .fini = teardown)
{
	struct award_out out;

	cr_assert_eq(pay_o1_amount(0, "RUB", &out), AWARD_AWARDED);
	cr_assert_eq(pay_o1_amount(0, "RUB", &out), AWARD_DUPLICATE);
	cr_assert_eq(tickets_of(BUYER), 3);
	cr_assert_eq(refund_rows(), 0);
	tu_assert_str(tu_str(&env, "SELECT payments || '|' || refunded FROM"
	    " payment_totals WHERE outcome = 'awarded'"), "1|0",
	    "payment totals");
}

Test(refund, zero_payment_refunded_before_it_arrives_not_awarded,
    .init = setup_plain, .fini = teardown)
{
	struct award_out out;

	expect_refund("r1", "pay-1", 1, REFUND_UNKNOWN_PAYMENT);
	expect_refunded(pay_o1_amount(0, "RUB", &out), &out, 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"), 0);
}
