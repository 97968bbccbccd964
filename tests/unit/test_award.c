/*
 * Unit tests for common/award.c (SPEC.md §4 award rules, §3 data and time
 * values) on real SQLite files in a temp dir: the ledger rows, ref_events,
 * the payments row, contest and window boundaries, legacy rows, failures
 * and the queue, concurrent deliveries from several processes, and a
 * locked bot database.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "award.h"
#include "db.h"
#include "job.h"
#include "testutil.h"

#define BUYER		1001LL
#define REFERRER	2002LL
#define T_ORDER		"2026-11-27T10:51:18.139Z"
#define C1_START	"2026-11-01T00:00:00.000Z"
#define C1_END		"2026-11-30T23:59:59.999Z"
#define BOUND		"2026-11-10T12:00:00.000Z"

static struct tu_env env;

/* Context open, plan p30 = 3 tickets, BUYER referred by REFERRER. */
static void
setup_bare(void)
{
	tu_init(&env, 0);
	tu_open(&env);
	tu_plan(&env, "p30", 3);
	tu_plan(&env, "p0", 0);
	tu_referral(&env, BUYER, REFERRER, BOUND);
}

/* setup_bare plus contest c1 (November 2026, window 30, active). */
static void
setup(void)
{
	setup_bare();
	tu_contest(&env, "c1", C1_START, C1_END, 30, 1);
}

/* The same with the bot database in a file of its own. */
static void
setup_sep(void)
{
	tu_init(&env, 1);
	tu_open(&env);
	tu_plan(&env, "p30", 3);
	tu_referral(&env, BUYER, REFERRER, BOUND);
	tu_contest(&env, "c1", C1_START, C1_END, 30, 1);
}

/* Temp dir and config only: the test builds its databases first. */
static void
setup_none(void)
{
	tu_init(&env, 0);
}

static void
setup_none_sep(void)
{
	tu_init(&env, 1);
}

static void
teardown(void)
{
	tu_fini(&env);
}

static int64_t
ledger_count(void)
{
	return tu_int(&env, "SELECT count(*) FROM ticket_ledger");
}

static enum award_result
apply(const char *order, int64_t buyer, const char *plan, const char *when,
    struct award_out *out)
{
	struct award_req req = tu_req(order, buyer, plan, when);

	return award_apply(env.ctx, &req, out);
}

/* Award in c1 at T_ORDER; assert the result. */
static void
expect_result(const char *order, int64_t buyer, const char *plan,
    const char *when, enum award_result want, const char *reason)
{
	struct award_out out;
	enum award_result r = apply(order, buyer, plan, when, &out);

	cr_assert_eq(r, want, "order %s at %s: got %s (%s%s), want %s",
	    order, when, award_result_name(r), out.reason ? out.reason : "",
	    out.error, award_result_name(want));
	cr_assert_eq(out.result, r, "out.result differs from the return");
	if (reason != NULL)
		tu_assert_str(out.reason ? strdup(out.reason) : NULL, reason,
		    "out.reason");
}

/* ---- rule 4 and 5: the rows of an award ---- */

Test(award, awarded_self_purchase_row, .init = setup, .fini = teardown)
{
	struct award_out out;

	cr_assert_eq(apply("o1", BUYER, "p30", T_ORDER, &out), AWARD_AWARDED,
	    "error: %s", out.error);
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "c1", BUYER, BUYER, "o1",
	    3, "SELF_PURCHASE");
	cr_assert_eq(out.tickets, 3);
	cr_assert_str_eq(out.contest_id, "c1");
}

Test(award, awarded_invitee_payment_row_for_referrer, .init = setup,
    .fini = teardown)
{
	struct award_out out;

	cr_assert_eq(apply("o1", BUYER, "p30", T_ORDER, &out), AWARD_AWARDED,
	    "error: %s", out.error);
	tu_assert_ledger(&env, "INVITEE_PAYMENT:o1", "c1", REFERRER, BUYER,
	    "o1", 3, "INVITEE_PAYMENT");
	cr_assert_eq(out.referrer_tickets, 3);
	cr_assert_eq(out.referrer_id, REFERRER);
	cr_assert_eq(ledger_count(), 2);
	cr_assert_eq(tu_int(&env, "SELECT sum(delta) FROM ticket_ledger"
	    " WHERE contest_id = 'c1' AND referrer_id = %lld", REFERRER), 3);
	cr_assert_eq(tu_int(&env, "SELECT sum(delta) FROM ticket_ledger"
	    " WHERE contest_id = 'c1' AND referrer_id = %lld", BUYER), 3);
}

Test(award, no_referral_referrer_tickets_zero, .init = setup,
    .fini = teardown)
{
	struct award_out out;

	cr_assert_eq(apply("o1", 5005, "p30", T_ORDER, &out), AWARD_AWARDED);
	cr_assert_eq(out.tickets, 3);
	cr_assert_eq(out.referrer_tickets, 0);
	cr_assert_eq(out.referrer_id, 0);
	cr_assert_eq(ledger_count(), 1);
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "c1", 5005, 5005, "o1", 3,
	    "SELF_PURCHASE");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 0);
}

/* ---- rule 1: duplicates ---- */

Test(award, second_call_duplicate_no_new_rows, .init = setup,
    .fini = teardown)
{
	char before[1024], *s;

	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	s = tu_str(&env, "SELECT group_concat(id || delta || created_at)"
	    " FROM ticket_ledger");
	snprintf(before, sizeof(before), "%s", s != NULL ? s : "");
	free(s);
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_DUPLICATE, NULL);
	/* A different plan or time for the same order changes nothing. */
	expect_result("o1", BUYER, "p30", "2026-11-28T00:00:00Z",
	    AWARD_DUPLICATE, NULL);
	cr_assert_eq(ledger_count(), 2);
	tu_assert_str(tu_str(&env, "SELECT group_concat(id || delta ||"
	    " created_at) FROM ticket_ledger"), before,
	    "ledger after duplicates");
}

Test(award, legacy_random_id_row_is_duplicate_and_untouched, .init = setup,
    .fini = teardown)
{
	tu_ledger(&env, "7f3c9a12-legacy", "c1", BUYER, BUYER, "o1", 5,
	    "SELF_PURCHASE", "2026-11-20 08:00:00");
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_DUPLICATE, NULL);
	cr_assert_eq(ledger_count(), 1, "a row was added to a legacy order");
	tu_assert_ledger(&env, "7f3c9a12-legacy", "c1", BUYER, BUYER, "o1", 5,
	    "SELF_PURCHASE");
	tu_assert_str(tu_str(&env, "SELECT created_at FROM ticket_ledger"
	    " WHERE id = '7f3c9a12-legacy'"), "2026-11-20 08:00:00",
	    "legacy created_at");
}

Test(award, legacy_duplicate_rows_open_and_duplicate, .init = setup_none,
    .fini = teardown)
{
	/* Older code wrote the same order twice, with random ids. */
	tu_bot_tables(env.cfg.db_path);
	tu_exec_file(env.cfg.db_path,
	    "INSERT INTO contests VALUES ('c1', %Q, %Q, 30, 1);"
	    "INSERT INTO plan_tickets VALUES ('p30', 3);"
	    "INSERT INTO ticket_ledger VALUES"
	    " ('a1', 'c1', %lld, %lld, 'o1', 3, 'SELF_PURCHASE',"
	    "  '2026-11-20 08:00:00'),"
	    " ('a2', 'c1', %lld, %lld, 'o1', 3, 'SELF_PURCHASE',"
	    "  '2026-11-20 08:00:01')", C1_START, C1_END, BUYER, BUYER,
	    BUYER, BUYER);
	tu_open(&env);
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_DUPLICATE, NULL);
	cr_assert_eq(ledger_count(), 2);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"
	    " WHERE id IN ('a1', 'a2') AND delta = 3"), 2);
	/* Another order still awards on that database. */
	expect_result("o2", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	cr_assert_eq(ledger_count(), 3);
}

/* ---- rule 2: the contest ---- */

static void
boundary_contest(void)
{
	setup_bare();
	tu_contest(&env, "cb", "2026-11-10T00:00:00.000Z",
	    "2026-11-20T00:00:00.000Z", 0, 1);
}

Test(award, contest_start_inclusive, .init = boundary_contest,
    .fini = teardown)
{
	expect_result("o1", BUYER, "p30", "2026-11-10T00:00:00.000Z",
	    AWARD_AWARDED, NULL);
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "cb", BUYER, BUYER, "o1",
	    3, "SELF_PURCHASE");
}

Test(award, contest_end_inclusive, .init = boundary_contest,
    .fini = teardown)
{
	expect_result("o1", BUYER, "p30", "2026-11-20T00:00:00.000Z",
	    AWARD_AWARDED, NULL);
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "cb", BUYER, BUYER, "o1",
	    3, "SELF_PURCHASE");
}

Test(award, one_ms_before_start_no_contest, .init = boundary_contest,
    .fini = teardown)
{
	expect_result("o1", BUYER, "p30", "2026-11-09T23:59:59.999Z",
	    AWARD_NOT_ELIGIBLE, "no_contest");
	cr_assert_eq(ledger_count(), 0);
}

Test(award, one_ms_after_end_no_contest, .init = boundary_contest,
    .fini = teardown)
{
	expect_result("o1", BUYER, "p30", "2026-11-20T00:00:00.001Z",
	    AWARD_NOT_ELIGIBLE, "no_contest");
	cr_assert_eq(ledger_count(), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 0);
}

Test(award, inactive_contest_ignored, .init = setup_bare, .fini = teardown)
{
	tu_contest(&env, "off", C1_START, C1_END, 30, 0);
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_NOT_ELIGIBLE,
	    "no_contest");
	cr_assert_eq(ledger_count(), 0);
}

Test(award, inactive_contest_not_chosen_over_active, .init = setup,
    .fini = teardown)
{
	/* Starts later than c1, so it would win if is_active were ignored. */
	tu_contest(&env, "off", "2026-11-20T00:00:00.000Z", C1_END, 30, 0);
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "c1", BUYER, BUYER, "o1",
	    3, "SELF_PURCHASE");
}

Test(award, overlapping_contests_latest_start_wins, .init = setup_bare,
    .fini = teardown)
{
	/*
	 * "a" starts 02:00Z but its text sorts after "b" (03:00Z): only an
	 * instant comparison picks "b".
	 */
	tu_contest(&env, "b", "2026-11-01T03:00:00Z", C1_END, 30, 1);
	tu_contest(&env, "a", "2026-11-01T05:00:00+03:00", C1_END, 30, 1);
	tu_contest(&env, "old", "2026-10-01 00:00:00", C1_END, 30, 1);
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "b", BUYER, BUYER, "o1", 3,
	    "SELF_PURCHASE");
	tu_assert_ledger(&env, "INVITEE_PAYMENT:o1", "b", REFERRER, BUYER,
	    "o1", 3, "INVITEE_PAYMENT");
}

/*
 * Two contests that start at the same instant (written differently): the
 * greatest id wins, whichever row the bot inserted first, so that every
 * entry point picks the same one.
 */
Test(award, same_start_greatest_id_wins, .init = setup_bare,
    .fini = teardown)
{
	tu_contest(&env, "m", "2026-11-01T03:00:00Z", C1_END, 30, 1);
	tu_contest(&env, "z", "2026-11-01T06:00:00+03:00", C1_END, 30, 1);
	tu_contest(&env, "a", "2026-11-01 03:00:00", C1_END, 30, 1);
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "z", BUYER, BUYER, "o1", 3,
	    "SELF_PURCHASE");
}

Test(award, contest_offset_and_sqlite_format_compared_as_instants,
    .init = setup_bare, .fini = teardown)
{
	/*
	 * 09:00Z .. 10:00Z. As strings, "2026-11-27T09:30..." sorts before
	 * "2026-11-27T12:00:00+03:00" and after "2026-11-27 10:00:00", so a
	 * string comparison finds no contest.
	 */
	tu_contest(&env, "msk", "2026-11-27T12:00:00+03:00",
	    "2026-11-27 10:00:00", 30, 1);
	expect_result("o1", BUYER, "p30", "2026-11-27T09:30:00.000Z",
	    AWARD_AWARDED, NULL);
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "msk", BUYER, BUYER, "o1",
	    3, "SELF_PURCHASE");
	/* The end, given without a zone, is 10:00Z: inclusive, then out. */
	expect_result("o2", BUYER, "p30", "2026-11-27T10:00:00.000Z",
	    AWARD_AWARDED, NULL);
	expect_result("o3", BUYER, "p30", "2026-11-27T10:00:00.001Z",
	    AWARD_NOT_ELIGIBLE, "no_contest");
}

Test(award, contest_offset_start_not_yet_started, .init = setup_bare,
    .fini = teardown)
{
	/* Starts 11:00Z; as text "T08:00..." sorts before "T09:30...". */
	tu_contest(&env, "west", "2026-11-27T08:00:00-03:00",
	    "2026-11-28T00:00:00Z", 30, 1);
	expect_result("o1", BUYER, "p30", "2026-11-27T09:30:00.000Z",
	    AWARD_NOT_ELIGIBLE, "no_contest");
	expect_result("o2", BUYER, "p30", "2026-11-27T11:00:00.000Z",
	    AWARD_AWARDED, NULL);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"
	    " WHERE order_id = 'o1'"), 0);
}

/* ---- rule 3: tickets of the plan ---- */

Test(award, unknown_plan_fails_nothing_written, .init = setup,
    .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p-missing", T_ORDER);
	struct award_out	out;

	tu_req_pay(&req, "pay-1", 19900);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_FAILED);
	cr_assert_neq(out.error[0], '\0', "FAILED without an error text");
	cr_assert_not_null(strstr(out.error, "p-missing"),
	    "error does not name the plan: %s", out.error);
	cr_assert_eq(ledger_count(), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 0,
	    "award_apply must not queue");
}

Test(award, unknown_plan_submit_queued_pending_attempt_1, .init = setup,
    .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p-missing", T_ORDER);
	struct award_out	out;

	cr_assert_eq(job_award(env.ctx, &req, "req-1", &out), JOB_QUEUED);
	cr_assert_eq(out.result, AWARD_FAILED);
	cr_assert_eq(ledger_count(), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 1);
	tu_assert_str(tu_str(&env, "SELECT kind || '|' || status || '|' ||"
	    " attempts || '|' || order_id || '|' || telegram_id || '|' ||"
	    " plan_id || '|' || order_created_at FROM failed_awards"),
	    "award|pending|1|o1|1001|p-missing|" T_ORDER,
	    "failed_awards row");
	tu_assert_contains(tu_str(&env, "SELECT last_error FROM"
	    " failed_awards"), "p-missing", "last_error");
	tu_assert_str(tu_str(&env, "SELECT last_error FROM failed_awards"),
	    out.error, "last_error vs out.error");
}

Test(award, zero_ticket_plan_not_eligible_no_tickets, .init = setup,
    .fini = teardown)
{
	expect_result("o1", BUYER, "p0", T_ORDER, AWARD_NOT_ELIGIBLE,
	    "no_tickets");
	cr_assert_eq(ledger_count(), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 0);
}

/* ---- rule 5: the referrer ---- */

Test(award, self_referral_only_self_purchase, .init = setup,
    .fini = teardown)
{
	struct award_out out;

	tu_referral(&env, 3003, 3003, BOUND);
	cr_assert_eq(apply("o1", 3003, "p30", T_ORDER, &out), AWARD_AWARDED);
	cr_assert_eq(ledger_count(), 1);
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "c1", 3003, 3003, "o1", 3,
	    "SELF_PURCHASE");
	cr_assert_eq(out.referrer_tickets, 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 0);
}

Test(award, bound_after_order_no_invitee, .init = setup, .fini = teardown)
{
	tu_referral(&env, 3003, REFERRER, "2026-11-27T10:51:18.140Z");
	expect_result("o1", 3003, "p30", T_ORDER, AWARD_AWARDED, NULL);
	cr_assert_eq(ledger_count(), 1);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"
	    " WHERE reason = 'INVITEE_PAYMENT'"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 0);
}

Test(award, bound_equal_order_time_qualifies, .init = setup,
    .fini = teardown)
{
	tu_referral(&env, 3003, REFERRER, T_ORDER);
	expect_result("o1", 3003, "p30", T_ORDER, AWARD_AWARDED, NULL);
	tu_assert_ledger(&env, "INVITEE_PAYMENT:o1", "c1", REFERRER, 3003,
	    "o1", 3, "INVITEE_PAYMENT");
}

Test(award, window_exact_end_qualifies, .init = setup, .fini = teardown)
{
	/* c1's window is 30 days: bound + 30 d == the order time. */
	tu_referral(&env, 3003, REFERRER, "2026-10-28T10:51:18.139Z");
	expect_result("o1", 3003, "p30", T_ORDER, AWARD_AWARDED, NULL);
	tu_assert_ledger(&env, "INVITEE_PAYMENT:o1", "c1", REFERRER, 3003,
	    "o1", 3, "INVITEE_PAYMENT");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events WHERE"
	    " status = 'qualified' AND referred_id = 3003"), 1);
}

Test(award, window_plus_one_ms_not_qualified, .init = setup,
    .fini = teardown)
{
	tu_referral(&env, 3003, REFERRER, "2026-10-28T10:51:18.138Z");
	expect_result("o1", 3003, "p30", T_ORDER, AWARD_AWARDED, NULL);
	cr_assert_eq(ledger_count(), 1);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"
	    " WHERE reason = 'INVITEE_PAYMENT'"), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 0);
}

Test(award, window_zero_no_limit, .init = setup_bare, .fini = teardown)
{
	tu_contest(&env, "w0", C1_START, C1_END, 0, 1);
	tu_referral(&env, 3003, REFERRER, "2019-01-01T00:00:00.000Z");
	expect_result("o1", 3003, "p30", T_ORDER, AWARD_AWARDED, NULL);
	tu_assert_ledger(&env, "INVITEE_PAYMENT:o1", "w0", REFERRER, 3003,
	    "o1", 3, "INVITEE_PAYMENT");
}

Test(award, window_negative_no_limit, .init = setup_bare, .fini = teardown)
{
	tu_contest(&env, "wneg", C1_START, C1_END, -5, 1);
	tu_referral(&env, 3003, REFERRER, "2019-01-01T00:00:00.000Z");
	expect_result("o1", 3003, "p30", T_ORDER, AWARD_AWARDED, NULL);
	tu_assert_ledger(&env, "INVITEE_PAYMENT:o1", "wneg", REFERRER, 3003,
	    "o1", 3, "INVITEE_PAYMENT");
}

/* ---- rule 5: ref_events ---- */

Test(award, ref_event_created_qualified_when_missing, .init = setup,
    .fini = teardown)
{
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 1);
	tu_assert_str(tu_str(&env, "SELECT contest_id || '|' || referrer_id"
	    " || '|' || referred_id || '|' || status || '|' || qualified_at"
	    " FROM ref_events"), "c1|2002|1001|qualified|" T_ORDER,
	    "ref_events row");
	tu_assert_str(tu_str(&env, "SELECT bound_at FROM ref_events"), BOUND,
	    "ref_events.bound_at");
}

Test(award, ref_event_bound_at_is_the_referrals_own, .init = setup,
    .fini = teardown)
{
	/* SPEC §4 step 5: the row is created with the referral's bound_at. */
	tu_referral(&env, 3003, REFERRER, "2026-11-10 12:00:00");
	expect_result("o1", 3003, "p30", T_ORDER, AWARD_AWARDED, NULL);
	tu_assert_str(tu_str(&env, "SELECT bound_at FROM ref_events"
	    " WHERE referred_id = 3003"), "2026-11-10 12:00:00",
	    "ref_events.bound_at");
}

/* An active contest whose times cannot be read: queued, never lost. */
Test(award, unreadable_active_contest_fails_and_queues, .init = setup_bare,
    .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	out;

	tu_contest(&env, "bad", "2026-11-01", "2026-12-01T00:00:00Z", 30, 1);
	cr_assert_eq(job_award(env.ctx, &req, NULL, &out), JOB_QUEUED);
	cr_assert_eq(ledger_count(), 0);
	tu_assert_contains(tu_str(&env, "SELECT last_error FROM"
	    " failed_awards WHERE order_id = 'o1'"), "bad", "last_error");
	/* Fixed by the operator: the retry awards it. */
	tu_exec(&env, "UPDATE contests SET starts_at = '2026-11-01T00:00:00Z'");
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_AWARDED);
}

/* A referral whose bound_at cannot be read: queued, referrer not lost. */
Test(award, unreadable_bound_at_fails_and_queues, .init = setup,
    .fini = teardown)
{
	struct award_req	req = tu_req("o1", 3003, "p30", T_ORDER);
	struct award_out	out;

	tu_referral(&env, 3003, REFERRER, "last tuesday");
	cr_assert_eq(job_award(env.ctx, &req, NULL, &out), JOB_QUEUED);
	cr_assert_eq(ledger_count(), 0);
	tu_assert_contains(tu_str(&env, "SELECT last_error FROM"
	    " failed_awards WHERE order_id = 'o1'"), "bound_at", "last_error");
	tu_exec(&env, "UPDATE user_referrals SET bound_at ="
	    " '2026-11-10 12:00:00' WHERE referred_id = 3003");
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_AWARDED);
	cr_assert_eq(out.referrer_tickets, 3);
}

/* A huge window must not overflow (UBSan aborts on signed overflow). */
Test(award, huge_window_no_overflow, .init = setup_bare, .fini = teardown)
{
	tu_contest(&env, "c1", C1_START, C1_END, 0, 1);
	tu_exec(&env, "UPDATE contests SET attribution_window_days ="
	    " 9000000000000000000");
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ticket_ledger"
	    " WHERE reason = 'INVITEE_PAYMENT'"), 1);
}

/* An inactive contest with bad times does not matter. */
Test(award, unreadable_inactive_contest_ignored, .init = setup_bare,
    .fini = teardown)
{
	tu_contest(&env, "bad", "soon", "later", 30, 0);
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_NOT_ELIGIBLE,
	    "no_contest");
}

Test(award, ref_event_bound_row_set_qualified, .init = setup,
    .fini = teardown)
{
	tu_exec(&env, "INSERT INTO ref_events(id, contest_id, referrer_id,"
	    " referred_id, bound_at, status, qualified_at) VALUES"
	    " ('bot-evt-1', 'c1', %lld, %lld, %Q, 'bound', NULL)", REFERRER,
	    BUYER, BOUND);
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 1,
	    "a second ref_events row was created");
	tu_assert_str(tu_str(&env, "SELECT id || '|' || status || '|' ||"
	    " qualified_at || '|' || bound_at FROM ref_events"),
	    "bot-evt-1|qualified|" T_ORDER "|" BOUND, "ref_events row");
}

Test(award, ref_event_already_qualified_keeps_first_qualified_at,
    .init = setup, .fini = teardown)
{
	tu_exec(&env, "INSERT INTO ref_events(id, contest_id, referrer_id,"
	    " referred_id, bound_at, status, qualified_at) VALUES"
	    " ('bot-evt-1', 'c1', %lld, %lld, %Q, 'qualified',"
	    " '2026-11-12T09:00:00.000Z')", REFERRER, BUYER, BOUND);
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	expect_result("o2", BUYER, "p30", "2026-11-28T10:00:00Z",
	    AWARD_AWARDED, NULL);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 1);
	tu_assert_str(tu_str(&env, "SELECT status || '|' || qualified_at"
	    " FROM ref_events"), "qualified|2026-11-12T09:00:00.000Z",
	    "ref_events status|qualified_at");
}

Test(award, ref_event_second_order_keeps_qualified_at, .init = setup,
    .fini = teardown)
{
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	expect_result("o2", BUYER, "p30", "2026-11-28T10:00:00Z",
	    AWARD_AWARDED, NULL);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 1);
	tu_assert_str(tu_str(&env, "SELECT qualified_at FROM ref_events"),
	    T_ORDER, "qualified_at after a second order");
	cr_assert_eq(tu_int(&env, "SELECT sum(delta) FROM ticket_ledger"
	    " WHERE referrer_id = %lld", REFERRER), 6);
}

/* ---- not_eligible is judged again later ---- */

Test(award, not_eligible_writes_nothing_then_awards_after_contest_on,
    .init = setup_bare, .fini = teardown)
{
	tu_contest(&env, "c1", C1_START, C1_END, 30, 0);
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_NOT_ELIGIBLE,
	    "no_contest");
	cr_assert_eq(ledger_count(), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 0);
	tu_exec(&env, "UPDATE contests SET is_active = 1 WHERE id = 'c1'");
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	cr_assert_eq(ledger_count(), 2);
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "c1", BUYER, BUYER, "o1",
	    3, "SELF_PURCHASE");
}

/* ---- time values and the payments row ---- */

Test(award, written_times_iso_utc_ms_z, .init = setup, .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	out;

	env.cfg.now_ms = tu_ms("2026-11-27T10:52:00.5Z");
	tu_req_pay(&req, "pay-1", 19900);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_AWARDED);
	tu_assert_str(tu_str(&env, "SELECT group_concat(DISTINCT created_at)"
	    " FROM ticket_ledger"), "2026-11-27T10:52:00.500Z",
	    "ticket_ledger.created_at");
	tu_assert_str(tu_str(&env, "SELECT qualified_at FROM ref_events"),
	    T_ORDER, "ref_events.qualified_at");
	tu_assert_str(tu_str(&env, "SELECT created_at || '|' || updated_at ||"
	    " '|' || order_created_at FROM payments"),
	    "2026-11-27T10:52:00.500Z|2026-11-27T10:52:00.500Z|" T_ORDER,
	    "payments times");
}

Test(award, payment_outcome_keeps_awarded_on_redelivery, .init = setup,
    .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	out;

	tu_req_pay(&req, "pay-1", 19900);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_AWARDED);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_DUPLICATE);
	tu_assert_str(tu_str(&env, "SELECT outcome || '|' || amount_minor"
	    " FROM payments WHERE payment_id = 'pay-1'"), "awarded|19900",
	    "payments row after a redelivery");
}

Test(award, written_times_iso_with_real_clock, .init = setup,
    .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	out;

	tu_req_pay(&req, "pay-1", 19900);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_AWARDED);
	tu_assert_iso_ms_z(tu_str(&env, "SELECT created_at FROM ticket_ledger"
	    " LIMIT 1"), "ticket_ledger.created_at");
	tu_assert_iso_ms_z(tu_str(&env, "SELECT created_at FROM payments"),
	    "payments.created_at");
	tu_assert_iso_ms_z(tu_str(&env, "SELECT updated_at FROM payments"),
	    "payments.updated_at");
}

Test(award, moscow_tz_changes_nothing, .init = setup_bare, .fini = teardown)
{
	struct award_req	req;
	struct award_out	out;

	cr_assert_eq(setenv("TZ", "Europe/Moscow", 1), 0);
	tzset();
	/* Read as UTC, "10:00:00" is 13:00 in Moscow; as local, 07:00Z. */
	tu_contest(&env, "c", "2026-11-27 09:00:00", "2026-11-27 10:00:00",
	    30, 1);
	env.cfg.now_ms = tu_ms("2026-11-27T12:00:00.000Z");
	req = tu_req("o1", BUYER, "p30", "2026-11-27T10:00:00.000Z");
	tu_req_pay(&req, "pay-1", 100);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_AWARDED,
	    "end boundary in Moscow TZ: %s", award_result_name(out.result));
	expect_result("o2", BUYER, "p30", "2026-11-27T09:00:00.000Z",
	    AWARD_AWARDED, NULL);
	expect_result("o3", BUYER, "p30", "2026-11-27T08:59:59.999Z",
	    AWARD_NOT_ELIGIBLE, "no_contest");
	expect_result("o4", BUYER, "p30", "2026-11-27T10:00:00.001Z",
	    AWARD_NOT_ELIGIBLE, "no_contest");
	tu_assert_str(tu_str(&env, "SELECT created_at FROM ticket_ledger"
	    " WHERE id = 'SELF_PURCHASE:o1'"), "2026-11-27T12:00:00.000Z",
	    "created_at in Moscow TZ");
	tu_assert_str(tu_str(&env, "SELECT order_created_at FROM payments"),
	    "2026-11-27T10:00:00.000Z", "order_created_at in Moscow TZ");
	tu_assert_str(tu_str(&env, "SELECT qualified_at FROM ref_events"),
	    "2026-11-27T10:00:00.000Z", "qualified_at in Moscow TZ");
}

Test(award, payment_row_written, .init = setup, .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	out;

	tu_req_pay(&req, "pay-1", 19900);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_AWARDED);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments"), 1);
	tu_assert_str(tu_str(&env, "SELECT payment_id || '|' || order_id ||"
	    " '|' || telegram_id || '|' || plan_id || '|' || amount_minor ||"
	    " '|' || currency || '|' || order_created_at || '|' ||"
	    " refunded_minor || '|' || outcome FROM payments"),
	    "pay-1|o1|1001|p30|19900|RUB|" T_ORDER "|0|awarded",
	    "payments row");
	cr_assert_eq(tu_int(&env, "SELECT typeof(amount_minor) = 'integer'"
	    " FROM payments"), 1, "amount is not stored as an integer");
}

Test(award, payment_row_not_eligible_outcome, .init = setup_bare,
    .fini = teardown)
{
	struct award_req	req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	out;

	tu_req_pay(&req, "pay-1", 19900);
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_NOT_ELIGIBLE);
	tu_assert_str(tu_str(&env, "SELECT outcome || '|' || amount_minor"
	    " FROM payments"), "not_eligible|19900", "payments row");
	cr_assert_eq(ledger_count(), 0);
}

Test(award, no_payment_id_no_payment_row, .init = setup, .fini = teardown)
{
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments"), 0);
}

/*
 * SPEC §4 "Refunds": the refunds recorded before the payment count into it
 * at its first recording, each once, and only those in its currency.
 */
Test(award, record_payment_counts_early_refunds_once, .init = setup,
    .fini = teardown)
{
	struct award_req req = tu_req("o1", BUYER, "p30", T_ORDER);

	tu_req_pay(&req, "pay-1", 19900);
	tu_exec(&env, "INSERT INTO refunds(refund_id, payment_id,"
	    " amount_minor, created_at, currency, status) VALUES"
	    " ('r1', 'pay-1', 1000, 'x', 'RUB', 'pending'),"
	    " ('r2', 'pay-1', 500, 'x', NULL, 'pending'),"
	    " ('r3', 'pay-1', 700, 'x', 'USD', 'pending'),"
	    " ('r4', 'pay-2', 900, 'x', 'RUB', 'pending')");
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(db_begin_immediate(env.ctx->db), SQLITE_OK);
		cr_assert_eq(award_record_payment(env.ctx, &req), 0);
		cr_assert_eq(db_commit(env.ctx->db), SQLITE_OK);
	}
	cr_assert_eq(tu_int(&env, "SELECT refunded_minor FROM payments"
	    " WHERE payment_id = 'pay-1'"), 1500);
	tu_assert_str(tu_str(&env, "SELECT group_concat(refund_id || ':' ||"
	    " status, ' ') FROM (SELECT * FROM refunds ORDER BY refund_id)"),
	    "r1:counted r2:counted r3:mismatch r4:pending", "refund states");
	cr_assert_eq(ledger_count(), 0);
	/* The one in another currency is a failure: queued, once. */
	tu_assert_str(tu_str(&env, "SELECT group_concat(kind || '|' ||"
	    " refund_id || '|' || payment_id || '|' || amount_minor || '|' ||"
	    " currency || '|' || status || '|' || attempts, ' ')"
	    " FROM failed_awards"), "refund|r3|pay-1|700|USD|pending|1",
	    "queued refund");
}

/*
 * A refund counted while its payment's currency was unknown, then the
 * payment brings another currency: taken out of the count and queued.
 */
Test(award, record_payment_uncounts_and_queues_other_currency,
    .init = setup, .fini = teardown)
{
	struct award_req req = tu_req("o1", BUYER, "p30", T_ORDER);

	tu_req_pay(&req, "pay-1", 19900);
	tu_exec(&env, "INSERT INTO payments(payment_id, order_id, telegram_id,"
	    " plan_id, amount_minor, currency, order_created_at,"
	    " refunded_minor, created_at, updated_at) VALUES ('pay-1', 'o1',"
	    " 1001, 'p30', NULL, NULL, 'x', 800, 'x', 'x')");
	tu_exec(&env, "INSERT INTO refunds(refund_id, payment_id,"
	    " amount_minor, created_at, currency, status) VALUES"
	    " ('r5', 'pay-1', 800, 'x', 'USD', 'counted')");
	cr_assert_eq(db_begin_immediate(env.ctx->db), SQLITE_OK);
	cr_assert_eq(award_record_payment(env.ctx, &req), 0);
	cr_assert_eq(db_commit(env.ctx->db), SQLITE_OK);
	cr_assert_eq(tu_int(&env, "SELECT refunded_minor FROM payments"), 0);
	tu_assert_str(tu_str(&env, "SELECT status FROM refunds"), "mismatch",
	    "refund state");
	tu_assert_str(tu_str(&env, "SELECT kind || '|' || refund_id || '|' ||"
	    " currency || '|' || (last_error LIKE '%%USD%%pay-1%%RUB%%')"
	    " FROM failed_awards"), "refund|r5|USD|1", "queued refund");
}

Test(award, early_full_refund_not_eligible_refunded_no_rows, .init = setup,
    .fini = teardown)
{
	struct award_req req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out out;

	tu_req_pay(&req, "pay-1", 19900);
	tu_exec(&env, "INSERT INTO refunds(refund_id, payment_id,"
	    " amount_minor, created_at, currency, status) VALUES"
	    " ('r1', 'pay-1', 19900, 'x', 'RUB', 'pending')");
	cr_assert_eq(award_apply(env.ctx, &req, &out), AWARD_NOT_ELIGIBLE,
	    "got %s", award_result_name(out.result));
	tu_assert_str(out.reason ? strdup(out.reason) : NULL, "refunded",
	    "reason");
	cr_assert_eq(ledger_count(), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 0);
}

/* ---- concurrency: several processes, one order ---- */

struct race {
	const struct tu_env	*e;
	struct award_req	 req;
};

static int
race_award(int idx, void *p)
{
	struct race		*a = p;
	struct award_ctx	*ctx;
	struct award_out	 out;
	char			 err[256];

	(void)idx;
	if ((ctx = award_ctx_open(&a->e->cfg, &tu_role_all,
	    err, sizeof(err))) == NULL)
		return 90;
	tu_race_go();
	job_award(ctx, &a->req, NULL, &out);
	award_ctx_close(ctx);
	return (int)out.result;
}

/* n processes deliver order o1 at once, with or without a payment id. */
static void
race_one_order(int n, int with_payment)
{
	struct race	a;
	int		codes[TU_RACE_MAX], awarded = 0, dup = 0;

	a.e = &env;
	a.req = tu_req("o1", BUYER, "p30", T_ORDER);
	if (with_payment)
		tu_req_pay(&a.req, "pay-1", 19900);
	tu_close(&env);		/* no connection crosses fork() */
	tu_race(n, race_award, &a, codes);
	for (int i = 0; i < n; i++) {
		cr_assert(codes[i] == AWARD_AWARDED ||
		    codes[i] == AWARD_DUPLICATE, "process %d ended %d (%s)",
		    i, codes[i], codes[i] < AWARD__MAX ?
		    award_result_name((enum award_result)codes[i]) : "-");
		awarded += codes[i] == AWARD_AWARDED;
		dup += codes[i] == AWARD_DUPLICATE;
	}
	cr_assert_eq(awarded, 1, "%d processes answered awarded", awarded);
	cr_assert_eq(dup, n - 1);
	cr_assert_eq(ledger_count(), 2);
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "c1", BUYER, BUYER, "o1",
	    3, "SELF_PURCHASE");
	tu_assert_ledger(&env, "INVITEE_PAYMENT:o1", "c1", REFERRER, BUYER,
	    "o1", 3, "INVITEE_PAYMENT");
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM ref_events"), 1);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments"),
	    with_payment ? 1 : 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 0);
}

Test(award, concurrent_processes_award_once, .init = setup,
    .fini = teardown, .timeout = 60)
{
	race_one_order(6, 1);
}

Test(award, concurrent_processes_award_once_no_payment_id, .init = setup,
    .fini = teardown, .timeout = 60)
{
	race_one_order(6, 0);
}

Test(award, concurrent_processes_award_once_separate_bot_db,
    .init = setup_sep, .fini = teardown, .timeout = 60)
{
	race_one_order(6, 1);
}

Test(award, concurrent_processes_award_once_separate_no_payment_id,
    .init = setup_sep, .fini = teardown, .timeout = 60)
{
	race_one_order(6, 0);
}

/* ---- a locked database ---- */

Test(award, bot_db_locked_submit_queued_in_service_db, .init = setup_sep,
    .fini = teardown, .timeout = 30)
{
	struct award_req	 req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	 out;
	sqlite3			*lock;
	enum job_outcome	 r;

	tu_close(&env);
	env.cfg.busy_timeout_ms = 100;
	tu_open(&env);
	tu_req_pay(&req, "pay-1", 19900);
	lock = tu_lock(tu_bot_path(&env));
	r = job_award(env.ctx, &req, NULL, &out);
	tu_unlock(lock);
	cr_assert_eq(r, JOB_QUEUED, "got %s: %s", job_outcome_name(r,
	    award_result_name(out.result)), out.error);
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT count(*) FROM"
	    " failed_awards WHERE kind = 'award' AND status = 'pending' AND"
	    " attempts = 1 AND order_id = 'o1'"), 1);
	tu_assert_contains(tu_str_file(env.cfg.db_path, "SELECT last_error"
	    " FROM failed_awards"), "locked", "last_error");
	cr_assert_eq(tu_int_file(tu_bot_path(&env), "SELECT count(*) FROM"
	    " ticket_ledger"), 0);
	cr_assert_not(tu_table_exists(tu_bot_path(&env), "failed_awards"));
	/* The payment is kept so a refund can find it (refund.h). */
	cr_assert_eq(tu_int_file(env.cfg.db_path, "SELECT count(*) FROM"
	    " payments WHERE payment_id = 'pay-1'"), 1);
}

Test(award, one_file_locked_unavailable_nothing_saved, .init = setup,
    .fini = teardown, .timeout = 30)
{
	struct award_req	 req = tu_req("o1", BUYER, "p30", T_ORDER);
	struct award_out	 out;
	sqlite3			*lock;
	enum job_outcome	 r;

	tu_close(&env);
	env.cfg.busy_timeout_ms = 100;
	tu_open(&env);
	tu_req_pay(&req, "pay-1", 19900);
	lock = tu_lock(env.cfg.db_path);
	r = job_award(env.ctx, &req, NULL, &out);
	tu_unlock(lock);
	cr_assert_eq(r, JOB_UNAVAILABLE, "got %s", job_outcome_name(r,
	    award_result_name(out.result)));
	cr_assert_eq(out.result, AWARD_FAILED);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM failed_awards"), 0);
	cr_assert_eq(ledger_count(), 0);
	cr_assert_eq(tu_int(&env, "SELECT count(*) FROM payments"), 0);
	/* Once the lock is gone the same delivery awards. */
	cr_assert_eq(job_award(env.ctx, &req, NULL, &out), JOB_DONE);
	cr_assert_eq(out.result, AWARD_AWARDED);
	cr_assert_eq(ledger_count(), 2);
}

/* ---- an existing bot database ---- */

Test(award, existing_bot_db_extra_columns_rows_kept, .init = setup_none_sep,
    .fini = teardown)
{
	const char *bot = tu_bot_path(&env);

	tu_exec_file(bot,
	    "CREATE TABLE contests(id TEXT PRIMARY KEY,"
	    " title TEXT NOT NULL DEFAULT '', starts_at TEXT NOT NULL,"
	    " ends_at TEXT NOT NULL,"
	    " attribution_window_days INTEGER NOT NULL DEFAULT 30,"
	    " is_active INTEGER NOT NULL DEFAULT 0, prize TEXT);"
	    "CREATE TABLE user_referrals(referred_id INTEGER PRIMARY KEY,"
	    " referrer_id INTEGER NOT NULL, bound_at TEXT NOT NULL,"
	    " source TEXT);"
	    "CREATE TABLE ref_events(id TEXT PRIMARY KEY,"
	    " contest_id TEXT NOT NULL, referrer_id INTEGER NOT NULL,"
	    " referred_id INTEGER NOT NULL, bound_at TEXT NOT NULL,"
	    " status TEXT NOT NULL, qualified_at TEXT, note TEXT);"
	    "CREATE TABLE ticket_ledger(id TEXT PRIMARY KEY,"
	    " contest_id TEXT NOT NULL, referrer_id INTEGER NOT NULL,"
	    " referred_id INTEGER NOT NULL, order_id TEXT NOT NULL,"
	    " delta INTEGER NOT NULL, reason TEXT NOT NULL,"
	    " created_at TEXT NOT NULL, note TEXT);"
	    "CREATE TABLE plan_tickets(plan_id TEXT PRIMARY KEY,"
	    " tickets INTEGER NOT NULL CHECK (tickets >= 0), price INTEGER);"
	    "CREATE TABLE bot_users(id INTEGER PRIMARY KEY, name TEXT);"
	    "INSERT INTO bot_users VALUES (1001, 'ann');"
	    "INSERT INTO contests VALUES ('c1', 'Winter', %Q, %Q, 30, 1,"
	    " 'iPhone');"
	    "INSERT INTO plan_tickets VALUES ('p30', 3, 19900);"
	    "INSERT INTO user_referrals VALUES (%lld, %lld, %Q, 'link');"
	    "INSERT INTO ref_events VALUES ('e1', 'c1', %lld, %lld, %Q,"
	    " 'bound', NULL, 'from bot');"
	    "INSERT INTO ticket_ledger VALUES ('old-1', 'c1', 7, 7, 'o-old',"
	    " 2, 'SELF_PURCHASE', '2026-11-02 10:00:00', 'legacy');",
	    C1_START, C1_END, BUYER, REFERRER, BOUND, REFERRER, BUYER, BOUND);
	tu_open(&env);
	tu_close(&env);
	tu_open(&env);		/* and again: idempotent on that data */
	expect_result("o1", BUYER, "p30", T_ORDER, AWARD_AWARDED, NULL);
	expect_result("o-old", 7, "p30", T_ORDER, AWARD_DUPLICATE, NULL);
	tu_assert_ledger(&env, "SELF_PURCHASE:o1", "c1", BUYER, BUYER, "o1",
	    3, "SELF_PURCHASE");
	tu_assert_ledger(&env, "INVITEE_PAYMENT:o1", "c1", REFERRER, BUYER,
	    "o1", 3, "INVITEE_PAYMENT");
	tu_assert_str(tu_str_file(bot, "SELECT note || '|' || delta FROM"
	    " ticket_ledger WHERE id = 'old-1'"), "legacy|2", "legacy row");
	tu_assert_str(tu_str_file(bot, "SELECT title || '|' || prize FROM"
	    " contests"), "Winter|iPhone", "contest extra columns");
	tu_assert_str(tu_str_file(bot, "SELECT name FROM bot_users"), "ann",
	    "the bot's own table");
	tu_assert_str(tu_str_file(bot, "SELECT source FROM user_referrals"),
	    "link", "user_referrals extra column");
	tu_assert_str(tu_str_file(bot, "SELECT id || '|' || status || '|' ||"
	    " note || '|' || qualified_at FROM ref_events"),
	    "e1|qualified|from bot|" T_ORDER, "the bot's ref_events row");
	cr_assert_eq(tu_int_file(bot, "SELECT count(*) FROM ticket_ledger"),
	    3);
	cr_assert_eq(tu_int_file(bot, "SELECT price FROM plan_tickets"),
	    19900);
}
