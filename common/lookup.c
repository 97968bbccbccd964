/*
 * The admin lookup (lookup.h). One id is first turned into two sets, the
 * payment ids and the order ids it concerns (the CTEs "pays" and "ords"),
 * then each list is one indexed query over those sets: payments by their
 * key, refunds by payments_refund's payment index, ledger rows by the
 * ledger's order index (and, for a telegram id, the rows it owns, one
 * index probe per contest), queue rows by order and by payment. All the
 * statements of a lookup run inside one read transaction, so the lists
 * agree with each other. Not here: rendering (routes_admin.c JSON, the
 * dashboard's detail page).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "jsonw.h"
#include "lookup.h"

/* The sets of one key; ?1 is the id. */
#define CTE_ORDER							\
	"WITH ords(o) AS (SELECT ?1),"					\
	" pays(p) AS (SELECT payment_id FROM main.payments"		\
	" WHERE order_id = ?1 UNION SELECT payment_id"			\
	" FROM main.failed_awards WHERE kind = 'award'"			\
	" AND order_id = ?1 AND payment_id IS NOT NULL) "
#define CTE_PAYMENT							\
	"WITH pays(p) AS (SELECT ?1),"					\
	" ords(o) AS (SELECT order_id FROM main.payments"		\
	" WHERE payment_id = ?1 UNION SELECT order_id"			\
	" FROM main.failed_awards WHERE payment_id = ?1"		\
	" AND kind = 'award') "
#define CTE_TELEGRAM							\
	"WITH pays(p) AS (SELECT payment_id FROM main.payments"		\
	" WHERE telegram_id = ?1),"					\
	" ords(o) AS (SELECT order_id FROM main.payments"		\
	" WHERE telegram_id = ?1 UNION SELECT l.order_id"		\
	" FROM bot.contests c JOIN bot.ticket_ledger l"			\
	" ON l.contest_id = c.id AND l.referrer_id = ?1"		\
	" WHERE l.referred_id = ?1 UNION SELECT order_id"		\
	" FROM main.failed_awards WHERE kind = 'award'"			\
	" AND telegram_id = ?1) "

#define PAY_BODY							\
	"SELECT payment_id, order_id, telegram_id, plan_id,"		\
	" amount_minor, currency, refunded_minor, outcome,"		\
	" order_created_at, created_at, updated_at FROM main.payments"	\
	" WHERE payment_id IN (SELECT p FROM pays)"			\
	" ORDER BY created_at, payment_id LIMIT ?2"
#define REFUND_BODY							\
	"SELECT refund_id, payment_id, amount_minor, currency, status,"	\
	" created_at FROM main.refunds"					\
	" WHERE payment_id IN (SELECT p FROM pays)"			\
	" ORDER BY created_at, refund_id LIMIT ?2"
#define LEDGER_COLS							\
	"l.id AS id, l.contest_id, l.referrer_id, l.referred_id,"	\
	" l.order_id, l.delta, l.reason, l.created_at, l.rowid AS rid"
#define LEDGER_BODY							\
	"SELECT " LEDGER_COLS " FROM bot.ticket_ledger l"		\
	" WHERE l.order_id IN (SELECT o FROM ords)"
/* A telegram id's own rows, also of other buyers' orders. */
#define LEDGER_OWNED							\
	" UNION SELECT " LEDGER_COLS " FROM bot.contests c"		\
	" JOIN bot.ticket_ledger l ON l.contest_id = c.id"		\
	" AND l.referrer_id = ?1"
/* In the order the rows were written. */
#define LEDGER_END " ORDER BY rid LIMIT ?2"
#define QUEUE_COLS							\
	"id, kind, status, attempts, last_error, outcome, order_id,"	\
	" telegram_id, plan_id, payment_id, refund_id, amount_minor,"	\
	" currency, created_at, last_attempt_at, next_attempt_at,"	\
	" acked_at, acked_by, requeued_at, requeued_by"
#define QUEUE_BODY							\
	"SELECT " QUEUE_COLS " FROM main.failed_awards"			\
	" WHERE kind = 'award' AND order_id IN (SELECT o FROM ords)"	\
	" UNION SELECT " QUEUE_COLS " FROM main.failed_awards"		\
	" WHERE kind = 'refund' AND payment_id IN (SELECT p FROM pays)"	\
	" ORDER BY id LIMIT ?2"

enum lk_list {
	LIST_PAYMENTS,
	LIST_REFUNDS,
	LIST_LEDGER,
	LIST_QUEUE,
	LIST__MAX
};

enum lk_stmt {
	LK_FIRST_LIST = 0,	/* key * LIST__MAX + list */
	LK_TICKETS = LOOKUP__MAX * LIST__MAX,
	LK_CONTESTS,
	LK_CONTEST_TOTALS,
	LK__MAX
};

static const char *const lk_sql[LK__MAX] = {
	CTE_ORDER PAY_BODY,
	CTE_ORDER REFUND_BODY,
	CTE_ORDER LEDGER_BODY LEDGER_END,
	CTE_ORDER QUEUE_BODY,
	CTE_PAYMENT PAY_BODY,
	CTE_PAYMENT REFUND_BODY,
	CTE_PAYMENT LEDGER_BODY LEDGER_END,
	CTE_PAYMENT QUEUE_BODY,
	CTE_TELEGRAM PAY_BODY,
	CTE_TELEGRAM REFUND_BODY,
	CTE_TELEGRAM LEDGER_BODY LEDGER_OWNED LEDGER_END,
	CTE_TELEGRAM QUEUE_BODY,
	/* LK_TICKETS: every contest where ?1 owns rows, newest first */
	"SELECT c.id, coalesce(sum(l.delta), 0), count(*) FROM bot.contests c"
	" JOIN bot.ticket_ledger l ON l.contest_id = c.id"
	" AND l.referrer_id = ?1 GROUP BY c.id"
	" ORDER BY award_ms(c.starts_at) DESC, c.id LIMIT ?2",
	/* LK_CONTESTS: newest first */
	"SELECT id, starts_at, ends_at, is_active FROM bot.contests"
	" ORDER BY award_ms(starts_at) DESC, id LIMIT ?1",
	/* LK_CONTEST_TOTALS: by reason, from the owner index's prefix */
	"SELECT reason, count(*), coalesce(sum(delta), 0), count(DISTINCT"
	" referrer_id) FROM bot.ticket_ledger WHERE contest_id = ?1"
	" GROUP BY reason ORDER BY reason",
};

static const char *const key_names[LOOKUP__MAX] = {
	"order_id", "payment_id", "telegram_id",
};

const char *
lookup_key_name(enum lookup_key key)
{
	return key >= 0 && key < LOOKUP__MAX ? key_names[key] : "";
}

const struct award_part lookup_part = AWARD_PART(lk_sql, LK__MAX, lk);

/* Column i as a string, or JSON null for SQL NULL. */
static void
add_text(cJSON *o, const char *name, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddStringToObject(o, name, db_col_text(st, i));
}

/* Column i as an integer, or JSON null for SQL NULL. */
static void
add_int(cJSON *o, const char *name, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		cJSON_AddNullToObject(o, name);
	else
		jsonw_add_int(o, name, sqlite3_column_int64(st, i));
}

/* Minor units in column i as a decimal string ("199.00"), or null. */
static void
add_money(cJSON *o, const char *name, sqlite3_stmt *st, int i)
{
	char	buf[32];
	int64_t	v;

	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	v = sqlite3_column_int64(st, i);
	snprintf(buf, sizeof(buf), "%s%lld.%02lld", v < 0 ? "-" : "",
	    (long long)((v < 0 ? -v : v) / 100),
	    (long long)((v < 0 ? -v : v) % 100));
	cJSON_AddStringToObject(o, name, buf);
}

static void
row_payment(cJSON *o, sqlite3_stmt *st)
{
	add_text(o, "payment_id", st, 0);
	add_text(o, "order_id", st, 1);
	add_int(o, "telegram_id", st, 2);
	add_text(o, "plan_id", st, 3);
	add_money(o, "amount", st, 4);
	add_int(o, "amount_minor", st, 4);
	add_text(o, "currency", st, 5);
	add_money(o, "refunded", st, 6);
	add_int(o, "refunded_minor", st, 6);
	add_text(o, "outcome", st, 7);
	add_text(o, "order_created_at", st, 8);
	add_text(o, "created_at", st, 9);
	add_text(o, "updated_at", st, 10);
}

static void
row_refund(cJSON *o, sqlite3_stmt *st)
{
	add_text(o, "refund_id", st, 0);
	add_text(o, "payment_id", st, 1);
	add_money(o, "amount", st, 2);
	add_int(o, "amount_minor", st, 2);
	add_text(o, "currency", st, 3);
	add_text(o, "status", st, 4);
	add_text(o, "created_at", st, 5);
}

static void
row_ledger(cJSON *o, sqlite3_stmt *st)
{
	add_text(o, "id", st, 0);
	add_text(o, "contest_id", st, 1);
	add_int(o, "owner_id", st, 2);		/* referrer_id: the owner */
	add_int(o, "buyer_id", st, 3);		/* referred_id */
	add_text(o, "order_id", st, 4);
	add_int(o, "delta", st, 5);
	add_text(o, "reason", st, 6);
	add_text(o, "created_at", st, 7);
}

static void
row_queue(cJSON *o, sqlite3_stmt *st)
{
	static const char *const names[] = {
		"id", "kind", "status", "attempts", "last_error", "outcome",
		"order_id", "telegram_id", "plan_id", "payment_id",
		"refund_id", "amount_minor", "currency", "created_at",
		"last_attempt_at", "next_attempt_at", "acknowledged_at",
		"acknowledged_by", "requeued_at", "requeued_by",
	};

	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (i == 0 || i == 3 || i == 7 || i == 11)
			add_int(o, names[i], st, i);
		else
			add_text(o, names[i], st, i);
}

static void
row_tickets(cJSON *o, sqlite3_stmt *st)
{
	add_text(o, "contest_id", st, 0);
	add_int(o, "tickets", st, 1);
	add_int(o, "rows", st, 2);
}

/*
 * Run st (?1 bound by the caller) into a new array name of root, one
 * object per row made by fn. Returns 1 when LOOKUP_ROWS_MAX rows came
 * (the list may be cut), 0, or -1.
 */
static int
list(cJSON *root, const char *name, sqlite3_stmt *st,
    void (*fn)(cJSON *, sqlite3_stmt *))
{
	cJSON	*arr = cJSON_AddArrayToObject(root, name), *o;
	int	 rc, n = 0;

	if (arr == NULL) {
		db_reset(st);
		return -1;
	}
	sqlite3_bind_int(st, 2, LOOKUP_ROWS_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((o = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			rc = SQLITE_NOMEM;
			break;
		}
		fn(o, st);
		n++;
	}
	db_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return n >= LOOKUP_ROWS_MAX;
}

static void
bind_key(sqlite3_stmt *st, enum lookup_key key, const char *text, int64_t tg)
{
	if (key == LOOKUP_TELEGRAM)
		sqlite3_bind_int64(st, 1, tg);
	else
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
}

cJSON *
lookup_run(struct award_ctx *ctx, enum lookup_key key, const char *text,
    int64_t tg)
{
	static const char *const list_names[LIST__MAX] = {
		"payments", "refunds", "ledger", "queue",
	};
	static void (*const list_fns[LIST__MAX])(cJSON *, sqlite3_stmt *) = {
		row_payment, row_refund, row_ledger, row_queue,
	};
	cJSON	*root = NULL, *q;
	int	 truncated = 0, rc, began = 0;

	if (key < 0 || key >= LOOKUP__MAX ||
	    (key != LOOKUP_TELEGRAM && text == NULL))
		return NULL;
	if ((root = cJSON_CreateObject()) == NULL ||
	    (q = cJSON_AddObjectToObject(root, "query")) == NULL)
		goto fail;
	if (key == LOOKUP_TELEGRAM)
		jsonw_add_int(q, key_names[key], tg);
	else
		cJSON_AddStringToObject(q, key_names[key], text);
	/* One snapshot for every list; a read transaction writes nothing. */
	if (sqlite3_get_autocommit(ctx->db)) {
		if (db_begin(ctx->db) != SQLITE_OK)
			goto fail;
		began = 1;
	}
	for (int l = 0; l < LIST__MAX; l++) {
		sqlite3_stmt *st = ctx->lk[key * LIST__MAX + l];

		bind_key(st, key, text, tg);
		if ((rc = list(root, list_names[l], st, list_fns[l])) == -1)
			goto fail;
		truncated |= rc;
	}
	if (key == LOOKUP_TELEGRAM) {
		sqlite3_bind_int64(ctx->lk[LK_TICKETS], 1, tg);
		if ((rc = list(root, "tickets", ctx->lk[LK_TICKETS],
		    row_tickets)) == -1)
			goto fail;
		truncated |= rc;
	} else if (cJSON_AddArrayToObject(root, "tickets") == NULL)
		goto fail;
	cJSON_AddBoolToObject(root, "truncated", truncated);
	if (began)
		db_rollback(ctx->db);
	return root;
fail:
	if (began)
		db_rollback(ctx->db);
	cJSON_Delete(root);
	return NULL;
}

int
lookup_contests(struct award_ctx *ctx, int limit,
    int (*fn)(void *, const struct lookup_contest *), void *arg)
{
	sqlite3_stmt		*st = ctx->lk[LK_CONTESTS];
	struct lookup_contest	 c;
	int			 rc;

	sqlite3_bind_int(st, 1, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.id = db_col_text(st, 0);
		c.starts_at = db_col_text(st, 1);
		c.ends_at = db_col_text(st, 2);
		c.active = sqlite3_column_int(st, 3) == 1;
		if (fn(arg, &c) == -1) {
			rc = SQLITE_ABORT;
			break;
		}
	}
	db_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
lookup_contest_totals(struct award_ctx *ctx, const char *contest_id,
    int (*fn)(void *, const char *, int64_t, int64_t, int64_t), void *arg)
{
	sqlite3_stmt	*st = ctx->lk[LK_CONTEST_TOTALS];
	int		 rc;

	sqlite3_bind_text(st, 1, contest_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, db_col_text(st, 0), sqlite3_column_int64(st, 1),
		    sqlite3_column_int64(st, 2),
		    sqlite3_column_int64(st, 3)) == -1) {
			rc = SQLITE_ABORT;
			break;
		}
	db_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
