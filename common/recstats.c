/*
 * Reading reconciliation's record for the admin views (recstats.h). Two
 * small queries per view, prepared per call: admin views are rare, and
 * this keeps the module outside every connection's prepared set.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atime.h"
#include "config.h"
#include "jsonw.h"
#include "recstats.h"

static const char *const sql_last =
    "SELECT id, started_at, finished_at, since, fetched_payments,"
    " fetched_refunds, known, skipped, awarded, duplicate, not_eligible,"
    " queued, reversed, partial, unknown_payment, api_requests, stopped"
    " FROM main.reconcile_runs ORDER BY id DESC LIMIT 1";
static const char *const sql_last_ok =
    "SELECT finished_at FROM main.reconcile_runs WHERE stopped IS NULL"
    " ORDER BY id DESC LIMIT 1";
static const char *const sql_total =
    "SELECT recovered FROM main.reconcile_totals WHERE id = 1";

static void
copy_text(sqlite3_stmt *st, int col, char *dst, size_t dstsz)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, dstsz, "%s", s != NULL ? (const char *)s : "");
}

/* Run sql; fn(st, arg) on its one row, if any. 0, or -1. */
static int
one_row(sqlite3 *db, const char *sql, void (*fn)(sqlite3_stmt *, void *),
    void *arg)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(st, arg);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
read_last(sqlite3_stmt *st, void *arg)
{
	struct recstats_run	*r = arg;
	int64_t			*n[] = { &r->fetched_payments,
				    &r->fetched_refunds, &r->known, &r->skipped,
				    &r->awarded, &r->duplicate,
				    &r->not_eligible, &r->queued, &r->reversed,
				    &r->partial, &r->unknown_payment,
				    &r->api_requests };

	r->present = 1;
	r->id = sqlite3_column_int64(st, 0);
	copy_text(st, 1, r->started_at, sizeof(r->started_at));
	copy_text(st, 2, r->finished_at, sizeof(r->finished_at));
	copy_text(st, 3, r->since, sizeof(r->since));
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		*n[i] = sqlite3_column_int64(st, (int)i + 4);
	r->stopped = sqlite3_column_type(st, 16) != SQLITE_NULL;
	copy_text(st, 16, r->stop_reason, sizeof(r->stop_reason));
	if (atime_parse(r->finished_at, &r->finished_ms) == -1)
		r->finished_ms = -1;
}

static void
read_ok(sqlite3_stmt *st, void *arg)
{
	char	buf[RECSTATS_TEXT_MAX];
	int64_t	*ms = arg;

	copy_text(st, 0, buf, sizeof(buf));
	if (atime_parse(buf, ms) == -1)
		*ms = -1;
}

static void
read_total(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)arg = sqlite3_column_int64(st, 0);
}

int
recstats_stale(int configured, int64_t last_ok_ms, int64_t now_ms)
{
	if (!configured)
		return 0;
	return last_ok_ms < 0 || last_ok_ms < now_ms - RECSTATS_STALE_MS;
}

int
recstats_read(struct award_ctx *ctx, struct recstats *out)
{
	memset(out, 0, sizeof(*out));
	out->now_ms = award_ctx_now(ctx);
	out->configured = config_yookassa_missing(ctx->cfg) == NULL;
	out->last.finished_ms = -1;
	out->last_ok_ms = -1;
	out->last_run_age_s = -1;
	if (one_row(ctx->db, sql_last, read_last, &out->last) == -1 ||
	    one_row(ctx->db, sql_last_ok, read_ok, &out->last_ok_ms) == -1 ||
	    one_row(ctx->db, sql_total, read_total,
	    &out->recovered_total) == -1)
		return -1;
	if (out->last.present && out->last.finished_ms >= 0)
		out->last_run_age_s = out->now_ms > out->last.finished_ms ?
		    (out->now_ms - out->last.finished_ms) / 1000 : 0;
	out->stale = recstats_stale(out->configured, out->last_ok_ms,
	    out->now_ms);
	return 0;
}

cJSON *
recstats_json(const struct recstats *r)
{
	const struct recstats_run	*l = &r->last;
	cJSON				*o, *run, *f, *a;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (!l->present)
		cJSON_AddNullToObject(o, "lastRun");
	else if ((run = cJSON_AddObjectToObject(o, "lastRun")) != NULL) {
		jsonw_add_int(run, "id", l->id);
		cJSON_AddStringToObject(run, "startedAt", l->started_at);
		cJSON_AddStringToObject(run, "finishedAt", l->finished_at);
		cJSON_AddStringToObject(run, "since", l->since);
		if ((f = cJSON_AddObjectToObject(run, "fetched")) != NULL) {
			jsonw_add_int(f, "payments", l->fetched_payments);
			jsonw_add_int(f, "refunds", l->fetched_refunds);
		}
		jsonw_add_int(run, "known", l->known);
		jsonw_add_int(run, "skipped", l->skipped);
		if ((a = cJSON_AddObjectToObject(run, "applied")) != NULL) {
			jsonw_add_int(a, "awarded", l->awarded);
			jsonw_add_int(a, "duplicate", l->duplicate);
			jsonw_add_int(a, "not_eligible", l->not_eligible);
			jsonw_add_int(a, "queued", l->queued);
			jsonw_add_int(a, "reversed", l->reversed);
			jsonw_add_int(a, "partial", l->partial);
			jsonw_add_int(a, "unknown_payment",
			    l->unknown_payment);
		}
		jsonw_add_int(run, "apiRequests", l->api_requests);
		if (l->stopped)
			cJSON_AddStringToObject(run, "stopped",
			    l->stop_reason);
		else
			cJSON_AddNullToObject(run, "stopped");
	}
	if (r->last_run_age_s < 0)
		cJSON_AddNullToObject(o, "lastRunAgeSeconds");
	else
		jsonw_add_int(o, "lastRunAgeSeconds", r->last_run_age_s);
	cJSON_AddBoolToObject(o, "stale", r->stale);
	cJSON_AddBoolToObject(o, "configured", r->configured);
	jsonw_add_int(o, "recoveredTotal", r->recovered_total);
	return o;
}

char *
recstats_prom(const struct recstats *r)
{
	char	 line[128] = "", buf[1024];
	int	 n;

	/* Absent before any run: no sample beats a made-up 0. */
	if (r->last.present && r->last.finished_ms >= 0)
		snprintf(line, sizeof(line), "award_reconcile_last_run_"
		    "timestamp_seconds %lld.%03lld\n",
		    (long long)(r->last.finished_ms / 1000),
		    (long long)(r->last.finished_ms % 1000));
	n = snprintf(buf, sizeof(buf),
	    "# HELP award_reconcile_last_run_timestamp_seconds When the "
	    "latest award-reconcile run ended (Unix time).\n"
	    "# TYPE award_reconcile_last_run_timestamp_seconds gauge\n"
	    "%s"
	    "# HELP award_reconcile_recovered_total Payments that "
	    "reconciliation awarded because their notification never "
	    "arrived, all time.\n"
	    "# TYPE award_reconcile_recovered_total counter\n"
	    "award_reconcile_recovered_total %lld\n"
	    "# HELP award_reconcile_stale 1 when reconciliation is configured "
	    "and no run completed in the last 3 hours.\n"
	    "# TYPE award_reconcile_stale gauge\n"
	    "award_reconcile_stale %d\n", line,
	    (long long)r->recovered_total, r->stale);
	assert(n > 0 && (size_t)n < sizeof(buf));
	return strdup(buf);
}
