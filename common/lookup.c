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
/*
 * The contest ids of the ledger, one seek each in the owner index (a
 * skip-scan by hand): so that a telegram id's rows are found per
 * (contest, owner) by that index, also those of a contest the bot has
 * since deleted from contests (SPEC.md §5: "every contest where it has
 * ledger rows").
 */
#define CIDS								\
	"cids(id) AS (SELECT min(contest_id) FROM bot.ticket_ledger"	\
	" UNION ALL SELECT (SELECT min(contest_id)"			\
	" FROM bot.ticket_ledger WHERE contest_id > cids.id)"		\
	" FROM cids WHERE cids.id IS NOT NULL)"
#define CTE_TELEGRAM							\
	"WITH RECURSIVE " CIDS ","					\
	" pays(p) AS (SELECT payment_id FROM main.payments"		\
	" WHERE telegram_id = ?1),"					\
	" ords(o) AS (SELECT order_id FROM main.payments"		\
	" WHERE telegram_id = ?1 UNION SELECT l.order_id"		\
	" FROM cids c JOIN bot.ticket_ledger l"				\
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
	" UNION SELECT " LEDGER_COLS " FROM cids c"			\
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
	"WITH RECURSIVE " CIDS " SELECT c.id, coalesce(sum(l.delta), 0),"
	" count(*) FROM cids c JOIN bot.ticket_ledger l"
	" ON l.contest_id = c.id AND l.referrer_id = ?1"
	" LEFT JOIN bot.contests k ON k.id = c.id GROUP BY c.id"
	" ORDER BY award_ms(k.starts_at) DESC, c.id LIMIT ?2",
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

/* How a column of a list becomes a JSON field. */
enum col_kind {
	COL_TEXT,	/* a string */
	COL_INT,	/* an integer, exact (jsonw.h) */
	COL_MONEY,	/* minor units as a decimal string: "199.00" */
};

/* One field of a list's objects: column i of the row as kind. */
struct col {
	const char	*name;
	int		 i;
	enum col_kind	 kind;
};

/* The fields of each list; SQL NULL is JSON null whatever the kind. */
static const struct col payment_cols[] = {
	{ "payment_id", 0, COL_TEXT }, { "order_id", 1, COL_TEXT },
	{ "telegram_id", 2, COL_INT }, { "plan_id", 3, COL_TEXT },
	{ "amount", 4, COL_MONEY }, { "amount_minor", 4, COL_INT },
	{ "currency", 5, COL_TEXT }, { "refunded", 6, COL_MONEY },
	{ "refunded_minor", 6, COL_INT }, { "outcome", 7, COL_TEXT },
	{ "order_created_at", 8, COL_TEXT }, { "created_at", 9, COL_TEXT },
	{ "updated_at", 10, COL_TEXT }, { NULL, 0, COL_TEXT },
};
static const struct col refund_cols[] = {
	{ "refund_id", 0, COL_TEXT }, { "payment_id", 1, COL_TEXT },
	{ "amount", 2, COL_MONEY }, { "amount_minor", 2, COL_INT },
	{ "currency", 3, COL_TEXT }, { "status", 4, COL_TEXT },
	{ "created_at", 5, COL_TEXT }, { NULL, 0, COL_TEXT },
};
static const struct col ledger_cols[] = {
	{ "id", 0, COL_TEXT }, { "contest_id", 1, COL_TEXT },
	{ "owner_id", 2, COL_INT },	/* referrer_id: the owner */
	{ "buyer_id", 3, COL_INT },	/* referred_id */
	{ "order_id", 4, COL_TEXT }, { "delta", 5, COL_INT },
	{ "reason", 6, COL_TEXT }, { "created_at", 7, COL_TEXT },
	{ NULL, 0, COL_TEXT },
};
static const struct col queue_cols[] = {
	{ "id", 0, COL_INT }, { "kind", 1, COL_TEXT },
	{ "status", 2, COL_TEXT }, { "attempts", 3, COL_INT },
	{ "last_error", 4, COL_TEXT }, { "outcome", 5, COL_TEXT },
	{ "order_id", 6, COL_TEXT }, { "telegram_id", 7, COL_INT },
	{ "plan_id", 8, COL_TEXT }, { "payment_id", 9, COL_TEXT },
	{ "refund_id", 10, COL_TEXT }, { "amount_minor", 11, COL_INT },
	{ "currency", 12, COL_TEXT }, { "created_at", 13, COL_TEXT },
	{ "last_attempt_at", 14, COL_TEXT },
	{ "next_attempt_at", 15, COL_TEXT },
	{ "acknowledged_at", 16, COL_TEXT },
	{ "acknowledged_by", 17, COL_TEXT }, { "requeued_at", 18, COL_TEXT },
	{ "requeued_by", 19, COL_TEXT }, { NULL, 0, COL_TEXT },
};
static const struct col tickets_cols[] = {
	{ "contest_id", 0, COL_TEXT }, { "tickets", 1, COL_INT },
	{ "rows", 2, COL_INT }, { NULL, 0, COL_TEXT },
};

/* Field c of the row on st into o. */
static void
add_col(cJSON *o, const struct col *c, sqlite3_stmt *st)
{
	char	buf[32];
	int64_t	v;

	if (sqlite3_column_type(st, c->i) == SQLITE_NULL) {
		cJSON_AddNullToObject(o, c->name);
		return;
	}
	switch (c->kind) {
	case COL_TEXT:
		cJSON_AddStringToObject(o, c->name, db_col_text(st, c->i));
		break;
	case COL_INT:
		jsonw_add_int(o, c->name, sqlite3_column_int64(st, c->i));
		break;
	case COL_MONEY:
		v = sqlite3_column_int64(st, c->i);
		snprintf(buf, sizeof(buf), "%s%lld.%02lld", v < 0 ? "-" : "",
		    (long long)((v < 0 ? -v : v) / 100),
		    (long long)((v < 0 ? -v : v) % 100));
		cJSON_AddStringToObject(o, c->name, buf);
		break;
	}
}

/*
 * Run st (?1 bound by the caller) into a new array name of root, one
 * object per row with the fields cols (ended by a NULL name). Returns 1 when LOOKUP_ROWS_MAX rows came
 * (the list may be cut), 0, or -1.
 */
static int
list(cJSON *root, const char *name, sqlite3_stmt *st,
    const struct col *cols)
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
		for (const struct col *c = cols; c->name != NULL; c++)
			add_col(o, c, st);
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
	static const struct col *const list_cols[LIST__MAX] = {
		payment_cols, refund_cols, ledger_cols, queue_cols,
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
		if ((rc = list(root, list_names[l], st, list_cols[l])) == -1)
			goto fail;
		truncated |= rc;
	}
	if (key == LOOKUP_TELEGRAM) {
		sqlite3_bind_int64(ctx->lk[LK_TICKETS], 1, tg);
		if ((rc = list(root, "tickets", ctx->lk[LK_TICKETS],
		    tickets_cols)) == -1)
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
