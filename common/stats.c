/*
 * Admin and bot read views. Queries are small and indexed except the ledger
 * totals, which scan the ledger once per admin request (admins only).
 * Strings from the database are escaped for their output: JSON by cJSON,
 * Prometheus label values and HTML here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atime.h"
#include "award.h"
#include "db.h"
#include "jsonw.h"
#include "stats.h"

enum st_stmt {
	ST_COUNTS,
	ST_PENDING,
	ST_DEAD,
	ST_LEDGER,
	ST_LAST_RUN,
	ST_CONTEST_EXISTS,
	ST_LEADERBOARD,
	ST_CURRENT_CONTEST,
	ST_USER_TICKETS,
	ST_HEALTH,
	ST_PAYMENTS,
	ST__MAX
};

#define QUEUE_COLS "id, kind, telegram_id, order_id, plan_id," \
	" order_created_at, attempts, last_attempt_at, last_error," \
	" next_attempt_at, refund_id, payment_id"

static const char *const st_sql[ST__MAX] = {
	/* ST_COUNTS */
	"SELECT status, count(*) FROM main.failed_awards GROUP BY status",
	/* ST_PENDING: newest first */
	"SELECT " QUEUE_COLS " FROM main.failed_awards"
	" WHERE status = 'pending' ORDER BY id DESC LIMIT ?1",
	/* ST_DEAD */
	"SELECT " QUEUE_COLS " FROM main.failed_awards"
	" WHERE status = 'dead' ORDER BY id DESC LIMIT ?1",
	/* ST_LEDGER */
	"SELECT reason, count(*), coalesce(sum(delta), 0)"
	" FROM bot.ticket_ledger GROUP BY reason ORDER BY reason",
	/* ST_LAST_RUN */
	"SELECT started_at, duration_ms, picked, awarded, duplicate,"
	" not_eligible, refunds, failed, dead, forced FROM main.retry_runs"
	" ORDER BY id DESC LIMIT 1",
	/* ST_CONTEST_EXISTS */
	"SELECT 1 FROM bot.contests WHERE id = ?1",
	/* ST_LEADERBOARD */
	"SELECT referrer_id, sum(delta) AS t FROM bot.ticket_ledger"
	" WHERE contest_id = ?1 GROUP BY referrer_id HAVING t > 0"
	" ORDER BY t DESC, referrer_id LIMIT ?2",
	/* ST_CURRENT_CONTEST: as award.c's rule 2 */
	"SELECT id FROM bot.contests WHERE is_active = 1"
	" AND award_ms(starts_at) <= ?1 AND award_ms(ends_at) >= ?1"
	" ORDER BY award_ms(starts_at) DESC, id DESC LIMIT 1",
	/* ST_USER_TICKETS */
	"SELECT coalesce(sum(delta), 0) FROM bot.ticket_ledger"
	" WHERE contest_id = ?1 AND referrer_id = ?2",
	/* ST_HEALTH: one read of each database */
	"SELECT (SELECT count(*) FROM main.award_meta),"
	" (SELECT count(*) FROM (SELECT 1 FROM bot.plan_tickets LIMIT 1))",
	/* ST_PAYMENTS */
	"SELECT count(*), coalesce(sum(amount_minor > 0 AND"
	" refunded_minor >= amount_minor), 0) FROM main.payments",
};

int
stats_prepare(struct award_ctx *ctx, char *err, size_t errsz)
{
	ctx->st = db_stmts_new(ctx->db, st_sql, ST__MAX, err, errsz);
	return ctx->st != NULL ? 0 : -1;
}

void
stats_unprepare(struct award_ctx *ctx)
{
	db_stmts_free(ctx->st, ST__MAX);
	ctx->st = NULL;
}

static void
add_text_or_null(cJSON *o, const char *name, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddStringToObject(o, name, db_col_text(st, i));
}

/* Rows of ST_PENDING / ST_DEAD into an array of items. -1 on error. */
static int
queue_items(sqlite3_stmt *st, int limit, int with_id, cJSON *arr)
{
	int rc;

	sqlite3_bind_int(st, 1, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL)
			break;
		cJSON_AddItemToArray(arr, o);
		if (with_id)
			jsonw_add_int(o, "id", sqlite3_column_int64(st, 0));
		cJSON_AddStringToObject(o, "kind", db_col_text(st, 1));
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			cJSON_AddNullToObject(o, "tgId");
		else
			jsonw_add_int(o, "tgId", sqlite3_column_int64(st, 2));
		add_text_or_null(o, "orderId", st, 3);
		add_text_or_null(o, "planId", st, 4);
		add_text_or_null(o, "orderCreatedAt", st, 5);
		jsonw_add_int(o, "attemptCount", sqlite3_column_int(st, 6));
		add_text_or_null(o, "lastAttemptAt", st, 7);
		add_text_or_null(o, "error", st, 8);
		add_text_or_null(o, "nextAttemptAt", st, 9);
		add_text_or_null(o, "refundId", st, 10);
		add_text_or_null(o, "paymentId", st, 11);
	}
	db_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

cJSON *
stats_retry(struct award_ctx *ctx, int limit)
{
	sqlite3_stmt	*st;
	cJSON		*root, *counts, *items, *dead, *ledger, *o;
	int64_t		 pending = 0;
	int		 rc;

	if ((root = cJSON_CreateObject()) == NULL)
		return NULL;
	counts = cJSON_CreateObject();
	jsonw_add_int(counts, "pending", 0);
	jsonw_add_int(counts, "done", 0);
	jsonw_add_int(counts, "dead", 0);
	st = ctx->st[ST_COUNTS];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char	*s = db_col_text(st, 0);
		int64_t		 n = sqlite3_column_int64(st, 1);

		if (strcmp(s, "pending") == 0)
			pending = n;
		cJSON_ReplaceItemInObjectCaseSensitive(counts, s,
		    jsonw_int(n));
	}
	db_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	jsonw_add_int(root, "queueSize", pending);
	items = cJSON_AddArrayToObject(root, "items");
	if (queue_items(ctx->st[ST_PENDING], limit, 1, items) == -1)
		goto fail;
	cJSON_AddItemToObject(root, "counts", counts);
	counts = NULL;
	dead = cJSON_AddArrayToObject(root, "dead");
	if (queue_items(ctx->st[ST_DEAD], limit, 1, dead) == -1)
		goto fail;

	ledger = cJSON_AddObjectToObject(root, "ledger");
	st = ctx->st[ST_LEDGER];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		o = cJSON_AddObjectToObject(ledger, db_col_text(st, 0));
		jsonw_add_int(o, "rows", sqlite3_column_int64(st, 1));
		jsonw_add_int(o, "tickets", sqlite3_column_int64(st, 2));
	}
	db_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;

	st = ctx->st[ST_LAST_RUN];
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		static const char *const names[] = { "startedAt", "durationMs",
		    "picked", "awarded", "duplicate", "notEligible",
		    "refunds", "failed", "dead", "forced" };

		o = cJSON_AddObjectToObject(root, "lastRun");
		cJSON_AddStringToObject(o, names[0], db_col_text(st, 0));
		for (int i = 1; i < 9; i++)
			jsonw_add_int(o, names[i], sqlite3_column_int64(st, i));
		cJSON_AddBoolToObject(o, names[9],
		    sqlite3_column_int(st, 9));
	} else if (rc == SQLITE_DONE)
		cJSON_AddNullToObject(root, "lastRun");
	db_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;
	return root;
fail:
	cJSON_Delete(counts);
	cJSON_Delete(root);
	return NULL;
}

static int
contest_exists(struct award_ctx *ctx, const char *id)
{
	sqlite3_stmt	*st = ctx->st[ST_CONTEST_EXISTS];
	int		 rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
stats_leaderboard(struct award_ctx *ctx, const char *contest_id, int limit,
    cJSON **out)
{
	sqlite3_stmt	*st = ctx->st[ST_LEADERBOARD];
	cJSON		*root, *items;
	int		 rc;

	*out = NULL;
	if ((rc = contest_exists(ctx, contest_id)) != 1)
		return rc == 0 ? 1 : -1;
	if ((root = cJSON_CreateObject()) == NULL)
		return -1;
	cJSON_AddStringToObject(root, "contest_id", contest_id);
	items = cJSON_AddArrayToObject(root, "items");
	sqlite3_bind_text(st, 1, contest_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToArray(items, o);
		jsonw_add_int(o, "telegram_id", sqlite3_column_int64(st, 0));
		jsonw_add_int(o, "tickets", sqlite3_column_int64(st, 1));
	}
	db_reset(st);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(root);
		return -1;
	}
	*out = root;
	return 0;
}

int
stats_user_tickets(struct award_ctx *ctx, int64_t telegram_id,
    const char *contest_id, cJSON **out)
{
	sqlite3_stmt	*st;
	char		 cid[AWARD_ID_MAX * 2 + 1];
	int64_t		 tickets;
	int		 rc;

	*out = NULL;
	if (contest_id == NULL) {
		st = ctx->st[ST_CURRENT_CONTEST];
		sqlite3_bind_int64(st, 1, award_ctx_now(ctx));
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && (size_t)snprintf(cid, sizeof(cid), "%s",
		    db_col_text(st, 0)) >= sizeof(cid))
			rc = SQLITE_TOOBIG;	/* longer than any id we take */
		db_reset(st);
		if (rc != SQLITE_ROW)
			return rc == SQLITE_DONE ? 1 : -1;
	} else {
		if ((rc = contest_exists(ctx, contest_id)) != 1)
			return rc == 0 ? 1 : -1;
		snprintf(cid, sizeof(cid), "%s", contest_id);
	}
	st = ctx->st[ST_USER_TICKETS];
	sqlite3_bind_text(st, 1, cid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, telegram_id);
	rc = sqlite3_step(st);
	tickets = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	db_reset(st);
	if (rc != SQLITE_ROW)
		return -1;
	if ((*out = cJSON_CreateObject()) == NULL)
		return -1;
	jsonw_add_int(*out, "telegram_id", telegram_id);
	cJSON_AddStringToObject(*out, "contest_id", cid);
	jsonw_add_int(*out, "tickets", tickets);
	return 0;
}

int
stats_health(struct award_ctx *ctx)
{
	sqlite3_stmt	*st = ctx->st[ST_HEALTH];
	int		 rc = sqlite3_step(st);

	db_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* A growable text buffer; on allocation failure it stays failed. */
struct buf {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t	 cap = b->cap ? b->cap : 4096;
		char	*p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_printf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	char	tmp[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->failed = 1;
		return;
	}
	buf_add(b, tmp, (size_t)n);
}

/* Prometheus label value escaping: \\, \", \n. */
static void
buf_label(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_str(b, "\\");
		if (*s == '\n')
			buf_str(b, "\\n");
		else
			buf_add(b, s, 1);
	}
}

static void
buf_html(struct buf *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': buf_str(b, "&lt;"); break;
		case '>': buf_str(b, "&gt;"); break;
		case '&': buf_str(b, "&amp;"); break;
		case '"': buf_str(b, "&quot;"); break;
		case '\'': buf_str(b, "&#39;"); break;
		default: buf_add(b, s, 1); break;
		}
}

static char *
buf_finish(struct buf *b)
{
	if (b->failed || b->p == NULL) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

char *
stats_metrics(struct award_ctx *ctx)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	sqlite3_stmt	*st;
	int64_t		 n[3] = { 0, 0, 0 };
	static const char *const status[3] = { "pending", "done", "dead" };
	int		 rc;

	st = ctx->st[ST_COUNTS];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (int i = 0; i < 3; i++)
			if (strcmp(db_col_text(st, 0), status[i]) == 0)
				n[i] = sqlite3_column_int64(st, 1);
	db_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	buf_printf(&b, "# HELP award_failed_awards Rows of the retry queue "
	    "by status.\n# TYPE award_failed_awards gauge\n");
	for (int i = 0; i < 3; i++)
		buf_printf(&b, "award_failed_awards{status=\"%s\"} %lld\n",
		    status[i], (long long)n[i]);

	buf_printf(&b, "# HELP award_ledger_rows Ledger rows by reason.\n"
	    "# TYPE award_ledger_rows gauge\n");
	st = ctx->st[ST_LEDGER];
	{
		struct buf t = { NULL, 0, 0, 0 };

		buf_printf(&t, "# HELP award_ledger_tickets Sum of ticket "
		    "deltas by reason.\n# TYPE award_ledger_tickets gauge\n");
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			buf_str(&b, "award_ledger_rows{reason=\"");
			buf_label(&b, db_col_text(st, 0));
			buf_printf(&b, "\"} %lld\n",
			    (long long)sqlite3_column_int64(st, 1));
			buf_str(&t, "award_ledger_tickets{reason=\"");
			buf_label(&t, db_col_text(st, 0));
			buf_printf(&t, "\"} %lld\n",
			    (long long)sqlite3_column_int64(st, 2));
		}
		db_reset(st);
		if (t.p != NULL)
			buf_add(&b, t.p, t.len);
		if (t.failed)
			b.failed = 1;
		free(t.p);
		if (rc != SQLITE_DONE)
			goto fail;
	}

	st = ctx->st[ST_PAYMENTS];
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_reset(st);
		goto fail;
	}
	buf_printf(&b, "# HELP award_payments Payments seen.\n"
	    "# TYPE award_payments gauge\naward_payments %lld\n"
	    "# HELP award_payments_refunded Payments refunded in full.\n"
	    "# TYPE award_payments_refunded gauge\n"
	    "award_payments_refunded %lld\n",
	    (long long)sqlite3_column_int64(st, 0),
	    (long long)sqlite3_column_int64(st, 1));
	db_reset(st);

	st = ctx->st[ST_LAST_RUN];
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t started = 0;

		(void)atime_parse(db_col_text(st, 0), &started);
		buf_printf(&b, "# HELP award_retry_last_run_timestamp_seconds "
		    "Start of the last retry run.\n"
		    "# TYPE award_retry_last_run_timestamp_seconds gauge\n"
		    "award_retry_last_run_timestamp_seconds %lld.%03lld\n"
		    "# HELP award_retry_last_run_duration_seconds Duration of "
		    "the last retry run.\n"
		    "# TYPE award_retry_last_run_duration_seconds gauge\n"
		    "award_retry_last_run_duration_seconds %lld.%03lld\n"
		    "# HELP award_retry_last_run_picked Rows taken by the "
		    "last retry run.\n"
		    "# TYPE award_retry_last_run_picked gauge\n"
		    "award_retry_last_run_picked %lld\n",
		    (long long)(started / 1000), (long long)(started % 1000),
		    (long long)(sqlite3_column_int64(st, 1) / 1000),
		    (long long)(sqlite3_column_int64(st, 1) % 1000),
		    (long long)sqlite3_column_int64(st, 2));
	}
	db_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;
	return buf_finish(&b);
fail:
	free(b.p);
	return NULL;
}

static void
html_queue(struct buf *b, sqlite3_stmt *st, const char *title, int *err)
{
	int rc;

	buf_printf(b, "<h2>%s</h2>\n<table>\n<tr><th>id</th><th>kind</th>"
	    "<th>telegram id</th><th>order</th><th>plan</th>"
	    "<th>attempts</th><th>last attempt</th><th>next attempt</th>"
	    "<th>error</th></tr>\n", title);
	sqlite3_bind_int(st, 1, 100);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		static const int cols[] = { 0, 1, 2, 3, 4, 6, 7, 9, 8 };

		buf_str(b, "<tr>");
		for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
			buf_str(b, "<td>");
			buf_html(b, db_col_text(st, cols[i]));
			buf_str(b, "</td>");
		}
		buf_str(b, "</tr>\n");
	}
	db_reset(st);
	buf_str(b, "</table>\n");
	if (rc != SQLITE_DONE)
		*err = 1;
}

char *
stats_dashboard(struct award_ctx *ctx)
{
	struct buf	 b = { NULL, 0, 0, 0 };
	sqlite3_stmt	*st;
	int		 rc, err = 0;

	buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>award</title><style>"
	    "body{font-family:sans-serif;margin:2em}"
	    "table{border-collapse:collapse;margin-bottom:2em}"
	    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
	    "</style></head><body>\n<h1>award: referral-contest tickets"
	    "</h1>\n<h2>Retry queue</h2>\n<table><tr><th>status</th>"
	    "<th>rows</th></tr>\n");
	st = ctx->st[ST_COUNTS];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		buf_str(&b, "<tr><td>");
		buf_html(&b, db_col_text(st, 0));
		buf_printf(&b, "</td><td>%lld</td></tr>\n",
		    (long long)sqlite3_column_int64(st, 1));
	}
	db_reset(st);
	if (rc != SQLITE_DONE)
		err = 1;
	buf_str(&b, "</table>\n");
	html_queue(&b, ctx->st[ST_PENDING], "Pending (newest first)", &err);
	html_queue(&b, ctx->st[ST_DEAD], "Dead", &err);

	buf_printf(&b, "<h2>Ledger</h2>\n<table><tr><th>reason</th>"
	    "<th>rows</th><th>tickets</th></tr>\n");
	st = ctx->st[ST_LEDGER];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		buf_str(&b, "<tr><td>");
		buf_html(&b, db_col_text(st, 0));
		buf_printf(&b, "</td><td>%lld</td><td>%lld</td></tr>\n",
		    (long long)sqlite3_column_int64(st, 1),
		    (long long)sqlite3_column_int64(st, 2));
	}
	db_reset(st);
	if (rc != SQLITE_DONE)
		err = 1;
	buf_str(&b, "</table>\n");

	st = ctx->st[ST_LAST_RUN];
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		buf_str(&b, "<h2>Last retry run</h2>\n<p>");
		buf_html(&b, db_col_text(st, 0));
		buf_printf(&b, ": %lld ms, %lld picked, %lld awarded, "
		    "%lld failed, %lld dead</p>\n",
		    (long long)sqlite3_column_int64(st, 1),
		    (long long)sqlite3_column_int64(st, 2),
		    (long long)sqlite3_column_int64(st, 3),
		    (long long)sqlite3_column_int64(st, 7),
		    (long long)sqlite3_column_int64(st, 8));
	} else if (rc == SQLITE_DONE)
		buf_str(&b, "<h2>Last retry run</h2>\n<p>none yet</p>\n");
	else
		err = 1;
	db_reset(st);
	buf_str(&b, "</body></html>\n");
	if (err) {
		free(b.p);
		return NULL;
	}
	return buf_finish(&b);
}
