/*
 * Unit tests for common/lookup.c (SPEC.md §5 GET /v1/admin/lookup) on real
 * SQLite files, one file and two: each key finds the payments, refunds,
 * ledger rows, queue rows and tickets it should and nothing else; unknown
 * ids give empty lists; a lookup writes nothing; the contest list and a
 * contest's totals.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "job.h"
#include "lookup.h"
#include "testutil.h"

#define T_NOW		"2026-11-27T12:00:00.000Z"
#define T_ORDER		"2026-11-27T10:51:18.139Z"
#define T_OLD		"2026-10-10T10:00:00.000Z"

static struct tu_env env;

static void
seed(void)
{
	struct award_req	r;
	struct award_out	ao;
	struct refund_req	rf;
	struct refund_out	ro;

	env.cfg.now_ms = tu_ms(T_NOW);
	tu_plan(&env, "p3", 3);
	tu_plan(&env, "p1", 1);
	tu_contest(&env, "c1", "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z",
	    30, 1);
	tu_contest(&env, "c0", "2026-10-01T00:00:00Z", "2026-10-31T23:59:59Z",
	    30, 1);
	tu_referral(&env, 2002, 2001, "2026-11-20T00:00:00Z");
	/* Buyer 2002: o1 awarded (referrer 2001), o0 in October, o3 queued. */
	r = tu_req("o1", 2002, "p3", T_ORDER);
	tu_req_pay(&r, "pay-1", 19900);
	cr_assert_eq(job_award(env.ctx, &r, NULL, &ao), JOB_DONE);
	cr_assert_eq(ao.result, AWARD_AWARDED);
	r = tu_req("o0", 2002, "p1", T_OLD);
	tu_req_pay(&r, "pay-0", 9900);
	cr_assert_eq(job_award(env.ctx, &r, NULL, &ao), JOB_DONE);
	cr_assert_eq(ao.result, AWARD_AWARDED);
	r = tu_req("o3", 2002, "p-missing", T_ORDER);
	tu_req_pay(&r, "pay-3", 5000);
	cr_assert_eq(job_award(env.ctx, &r, NULL, &ao), JOB_QUEUED);
	rf = tu_refund("ref-1", "pay-1", 5000);
	cr_assert_eq(job_refund(env.ctx, &rf, NULL, &ro), JOB_DONE);
	cr_assert_eq(ro.result, REFUND_PARTIAL);
	/* A refund before its payment; another buyer's order. */
	rf = tu_refund("ref-9", "pay-9", 100);
	cr_assert_eq(job_refund(env.ctx, &rf, NULL, &ro), JOB_DONE);
	cr_assert_eq(ro.result, REFUND_UNKNOWN_PAYMENT);
	r = tu_req("o5", 5005, "p1", T_ORDER);
	tu_req_pay(&r, "pay-5", 100);
	cr_assert_eq(job_award(env.ctx, &r, NULL, &ao), JOB_DONE);
	cr_assert_eq(ao.result, AWARD_AWARDED);
}

static void
setup(void)
{
	tu_init(&env, 0);
	setenv("AWARD_CONFIG", "", 1);
	tu_open(&env);
	seed();
}

static void
setup_sep(void)
{
	tu_init(&env, 1);
	setenv("AWARD_CONFIG", "", 1);
	tu_open(&env);
	seed();
}

static void
teardown(void)
{
	tu_fini(&env);
}

static cJSON *
run(enum lookup_key key, const char *text, int64_t tg)
{
	cJSON *o = lookup_run(env.ctx, key, text, tg);

	cr_assert_not_null(o, "lookup_run failed");
	return o;
}

static int
len(const cJSON *o, const char *list)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, list);

	cr_assert(cJSON_IsArray(a), "%s is not a list", list);
	return cJSON_GetArraySize(a);
}

/* The text of field name of list[i], as printed (raw numbers too). */
static char *
field(const cJSON *o, const char *list, int i, const char *name)
{
	const cJSON	*it = cJSON_GetArrayItem(
			    cJSON_GetObjectItemCaseSensitive(o, list), i);
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(it, name);
	static char	 buf[256];

	cr_assert_not_null(v, "%s[%d].%s missing", list, i, name);
	if (cJSON_IsString(v))
		snprintf(buf, sizeof(buf), "%s", v->valuestring);
	else if (cJSON_IsRaw(v))
		snprintf(buf, sizeof(buf), "%s", v->valuestring);
	else if (cJSON_IsNull(v))
		snprintf(buf, sizeof(buf), "null");
	else
		snprintf(buf, sizeof(buf), "?");
	return buf;
}

static void
by_order(void)
{
	cJSON *o = run(LOOKUP_ORDER, "o1", 0);

	cr_assert_eq(len(o, "payments"), 1);
	cr_assert_str_eq(field(o, "payments", 0, "payment_id"), "pay-1");
	cr_assert_str_eq(field(o, "payments", 0, "outcome"), "awarded");
	cr_assert_str_eq(field(o, "payments", 0, "refunded"), "50.00");
	cr_assert_str_eq(field(o, "payments", 0, "amount"), "199.00");
	cr_assert_eq(len(o, "refunds"), 1);
	cr_assert_str_eq(field(o, "refunds", 0, "refund_id"), "ref-1");
	cr_assert_eq(len(o, "ledger"), 2);
	cr_assert_str_eq(field(o, "ledger", 0, "id"), "SELF_PURCHASE:o1");
	cr_assert_str_eq(field(o, "ledger", 0, "owner_id"), "2002");
	cr_assert_str_eq(field(o, "ledger", 1, "id"), "INVITEE_PAYMENT:o1");
	cr_assert_str_eq(field(o, "ledger", 1, "owner_id"), "2001");
	cr_assert_str_eq(field(o, "ledger", 1, "delta"), "3");
	cr_assert_eq(len(o, "queue"), 0);
	cr_assert_eq(len(o, "tickets"), 0);
	cJSON_Delete(o);
}

Test(lookup, order_finds_payment_refund_ledger, .init = setup,
    .fini = teardown)
{
	by_order();
}

Test(lookup, order_finds_them_with_separate_bot_db, .init = setup_sep,
    .fini = teardown)
{
	by_order();
}

Test(lookup, payment_finds_queue_row_with_error, .init = setup,
    .fini = teardown)
{
	cJSON *o = run(LOOKUP_PAYMENT, "pay-3", 0);

	cr_assert_eq(len(o, "payments"), 1);
	cr_assert_str_eq(field(o, "payments", 0, "order_id"), "o3");
	cr_assert_eq(len(o, "queue"), 1);
	cr_assert_str_eq(field(o, "queue", 0, "status"), "pending");
	cr_assert_str_eq(field(o, "queue", 0, "attempts"), "1");
	cr_assert_neq(strcmp(field(o, "queue", 0, "last_error"), "null"), 0);
	cr_assert_str_eq(field(o, "queue", 0, "acknowledged_at"), "null");
	cr_assert_eq(len(o, "ledger"), 0);
	cJSON_Delete(o);
}

Test(lookup, payment_unseen_finds_its_early_refund, .init = setup,
    .fini = teardown)
{
	cJSON *o = run(LOOKUP_PAYMENT, "pay-9", 0);

	cr_assert_eq(len(o, "payments"), 0);
	cr_assert_eq(len(o, "refunds"), 1);
	cr_assert_str_eq(field(o, "refunds", 0, "status"), "pending");
	cJSON_Delete(o);
}

Test(lookup, telegram_id_tickets_per_contest, .init = setup,
    .fini = teardown)
{
	cJSON *o = run(LOOKUP_TELEGRAM, NULL, 2002);

	cr_assert_eq(len(o, "payments"), 3);
	cr_assert_eq(len(o, "queue"), 1);
	/* o1's two rows and o0's one; not o5's. */
	cr_assert_eq(len(o, "ledger"), 3);
	cr_assert_eq(len(o, "tickets"), 2);
	cr_assert_str_eq(field(o, "tickets", 0, "contest_id"), "c1");
	cr_assert_str_eq(field(o, "tickets", 0, "tickets"), "3");
	cr_assert_str_eq(field(o, "tickets", 1, "contest_id"), "c0");
	cr_assert_str_eq(field(o, "tickets", 1, "tickets"), "1");
	cJSON_Delete(o);
}

Test(lookup, telegram_id_referrer_owns_invitee_rows, .init = setup,
    .fini = teardown)
{
	cJSON *o = run(LOOKUP_TELEGRAM, NULL, 2001);

	cr_assert_eq(len(o, "payments"), 0);
	cr_assert_eq(len(o, "ledger"), 1);
	cr_assert_str_eq(field(o, "ledger", 0, "id"), "INVITEE_PAYMENT:o1");
	cr_assert_str_eq(field(o, "ledger", 0, "buyer_id"), "2002");
	cr_assert_eq(len(o, "tickets"), 1);
	cr_assert_str_eq(field(o, "tickets", 0, "tickets"), "3");
	cJSON_Delete(o);
}

Test(lookup, telegram_id_zero_sum_still_listed, .init = setup,
    .fini = teardown)
{
	cJSON *o;

	tu_ledger(&env, "x1", "c1", 7007, 7007, "ox", 2, "SELF_PURCHASE",
	    T_ORDER);
	tu_ledger(&env, "x2", "c1", 7007, 7007, "ox", -2, "REFUND", T_ORDER);
	o = run(LOOKUP_TELEGRAM, NULL, 7007);
	cr_assert_eq(len(o, "tickets"), 1);
	cr_assert_str_eq(field(o, "tickets", 0, "tickets"), "0");
	cr_assert_str_eq(field(o, "tickets", 0, "rows"), "2");
	cJSON_Delete(o);
}

/* An order id of digits must not match a telegram id's rows. */
Test(lookup, numeric_order_id_is_not_a_telegram_id, .init = setup,
    .fini = teardown)
{
	cJSON *o = run(LOOKUP_ORDER, "2002", 0);

	cr_assert_eq(len(o, "payments") + len(o, "ledger") + len(o, "queue") +
	    len(o, "refunds") + len(o, "tickets"), 0);
	cJSON_Delete(o);
}

Test(lookup, unknown_ids_empty_lists, .init = setup, .fini = teardown)
{
	cJSON *o;

	o = run(LOOKUP_ORDER, "nope", 0);
	cr_assert_eq(len(o, "payments") + len(o, "ledger") + len(o, "queue") +
	    len(o, "refunds") + len(o, "tickets"), 0);
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o,
	    "truncated")));
	cJSON_Delete(o);
	o = run(LOOKUP_TELEGRAM, NULL, 424242);
	cr_assert_eq(len(o, "payments") + len(o, "ledger") + len(o, "queue") +
	    len(o, "refunds") + len(o, "tickets"), 0);
	cJSON_Delete(o);
}

Test(lookup, writes_nothing, .init = setup, .fini = teardown)
{
	int	 changes = sqlite3_total_changes(env.ctx->db);
	cJSON	*o;

	o = run(LOOKUP_ORDER, "o1", 0);
	cJSON_Delete(o);
	o = run(LOOKUP_TELEGRAM, NULL, 2002);
	cJSON_Delete(o);
	o = run(LOOKUP_PAYMENT, "pay-9", 0);
	cJSON_Delete(o);
	cr_assert_eq(sqlite3_total_changes(env.ctx->db), changes,
	    "a lookup changed rows");
	cr_assert(sqlite3_get_autocommit(env.ctx->db),
	    "a lookup left a transaction open");
}

static int
count_contest(void *arg, const struct lookup_contest *c)
{
	char *seen = arg;

	strcat(seen, c->id);
	strcat(seen, c->active ? "+," : "-,");
	return 0;
}

static int
count_reason(void *arg, const char *reason, int64_t rows, int64_t tickets,
    int64_t owners)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s:%lld:%lld:%lld,",
	    reason, (long long)rows, (long long)tickets, (long long)owners);
	return 0;
}

Test(lookup, contests_newest_first_and_contest_totals, .init = setup,
    .fini = teardown)
{
	char seen[256] = "";

	cr_assert_eq(lookup_contests(env.ctx, 10, count_contest, seen), 0);
	cr_assert_str_eq(seen, "c1+,c0+,");
	seen[0] = '\0';
	cr_assert_eq(lookup_contest_totals(env.ctx, "c1", count_reason, seen),
	    0);
	cr_assert_str_eq(seen, "INVITEE_PAYMENT:1:3:1,SELF_PURCHASE:2:4:2,");
}
