/*
 * The JSON answers of the retry-queue and leaderboard views (stats.h,
 * stats_retry() and stats_leaderboard(); SPEC.md §5), built from the
 * numbers and rows that stats.c reads. Not here: any SQL (stats.c), the
 * renderings only the web needs (fcgi/dashboard.c, fcgi/metrics.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atime.h"
#include "jsonw.h"
#include "stats.h"

static void
add_text_or_null(cJSON *o, const char *name, const char *s)
{
	if (s == NULL)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddStringToObject(o, name, s);
}

static int
json_queue_row(void *arg, const struct stats_queue_row *r)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddItemToArray(arg, o)) {
		cJSON_Delete(o);
		return -1;
	}
	jsonw_add_int(o, "id", r->id);
	cJSON_AddStringToObject(o, "kind", r->kind);
	if (r->has_tg)
		jsonw_add_int(o, "tgId", r->tg_id);
	else
		cJSON_AddNullToObject(o, "tgId");
	add_text_or_null(o, "orderId", r->order_id);
	add_text_or_null(o, "planId", r->plan_id);
	add_text_or_null(o, "orderCreatedAt", r->order_created_at);
	jsonw_add_int(o, "attemptCount", r->attempts);
	add_text_or_null(o, "lastAttemptAt", r->last_attempt_at);
	add_text_or_null(o, "error", r->error);
	/* A dead row is not attempted again. */
	add_text_or_null(o, "nextAttemptAt", strcmp(r->status, "dead") == 0 ?
	    NULL : r->next_attempt_at);
	add_text_or_null(o, "refundId", r->refund_id);
	add_text_or_null(o, "paymentId", r->payment_id);
	if (strcmp(r->status, "dead") == 0) {
		cJSON_AddBoolToObject(o, "acknowledged", r->acked_at != NULL);
		add_text_or_null(o, "acknowledgedAt", r->acked_at);
		add_text_or_null(o, "acknowledgedBy", r->acked_by);
	}
	add_text_or_null(o, "requeuedAt", r->requeued_at);
	add_text_or_null(o, "requeuedBy", r->requeued_by);
	return 0;
}

static void
json_run(cJSON *root, const struct stats_summary *s)
{
	const struct stats_run	*r = &s->run;
	cJSON			*o;
	char			 buf[ATIME_BUFSZ];

	if (!r->present) {
		cJSON_AddNullToObject(root, "lastRun");
		return;
	}
	o = cJSON_AddObjectToObject(root, "lastRun");
	cJSON_AddStringToObject(o, "startedAt", r->started_at);
	if (r->ended_ms >= 0) {
		atime_format(r->ended_ms, buf);
		cJSON_AddStringToObject(o, "endedAt", buf);
	} else
		cJSON_AddNullToObject(o, "endedAt");
	jsonw_add_int(o, "durationMs", r->duration_ms);
	jsonw_add_int(o, "picked", r->picked);
	jsonw_add_int(o, "awarded", r->awarded);
	jsonw_add_int(o, "duplicate", r->duplicate);
	jsonw_add_int(o, "notEligible", r->not_eligible);
	jsonw_add_int(o, "refunds", r->refunds);
	jsonw_add_int(o, "failed", r->failed);
	jsonw_add_int(o, "dead", r->dead);
	jsonw_add_int(o, "notConfirmed", r->not_confirmed);
	cJSON_AddBoolToObject(o, "forced", r->forced);
	add_text_or_null(o, "stopped", r->stopped ? r->stop_reason : NULL);
}

cJSON *
stats_retry(struct award_ctx *ctx, int limit)
{
	struct stats_summary	*s;
	cJSON			*root = NULL, *o;

	if ((s = malloc(sizeof(*s))) == NULL)
		return NULL;
	if (stats_summary(ctx, s) == -1 ||
	    (root = cJSON_CreateObject()) == NULL)
		goto fail;
	jsonw_add_int(root, "queueSize", s->pending);
	if (stats_queue_rows(ctx, "pending", limit, json_queue_row,
	    cJSON_AddArrayToObject(root, "items")) == -1)
		goto fail;
	o = cJSON_AddObjectToObject(root, "counts");
	jsonw_add_int(o, "pending", s->pending);
	jsonw_add_int(o, "done", s->done);
	jsonw_add_int(o, "dead", s->dead);
	jsonw_add_int(o, "acknowledged", s->acked);
	/* ?limit= bounds the items (SPEC.md §5), not the dead rows. */
	if (stats_queue_rows(ctx, "dead", STATS_DEAD_MAX, json_queue_row,
	    cJSON_AddArrayToObject(root, "dead")) == -1)
		goto fail;
	o = cJSON_AddObjectToObject(root, "ledger");
	for (size_t i = 0; i < s->nledger; i++) {
		cJSON *g = cJSON_AddObjectToObject(o, s->ledger[i].name);

		jsonw_add_int(g, "rows", s->ledger[i].rows);
		jsonw_add_int(g, "tickets", s->ledger[i].tickets);
		jsonw_add_int(g, "rowsLast24h", s->ledger[i].rows_24h);
	}
	o = cJSON_AddObjectToObject(root, "payments");
	for (size_t i = 0; i < s->npayments; i++)
		jsonw_add_int(o, s->payments[i].name, s->payments[i].rows);
	json_run(root, s);
	if (s->last_run_age_s < 0)
		cJSON_AddNullToObject(root, "lastRunAgeSeconds");
	else
		jsonw_add_int(root, "lastRunAgeSeconds", s->last_run_age_s);
	cJSON_AddBoolToObject(root, "retryStale", s->retry_stale);
	free(s);
	return root;
fail:
	free(s);
	cJSON_Delete(root);
	return NULL;
}

static int
json_top_row(void *arg, int64_t owner, int64_t tickets)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddItemToArray(arg, o)) {
		cJSON_Delete(o);
		return -1;
	}
	jsonw_add_int(o, "telegram_id", owner);
	jsonw_add_int(o, "tickets", tickets);
	return 0;
}

int
stats_leaderboard(struct award_ctx *ctx, const char *contest_id, int limit,
    cJSON **out)
{
	cJSON			*root;
	enum stats_result	 rc;

	*out = NULL;
	if ((root = cJSON_CreateObject()) == NULL)
		return STATS_ERROR;
	cJSON_AddStringToObject(root, "contest_id", contest_id);
	rc = stats_top(ctx, contest_id, limit, json_top_row,
	    cJSON_AddArrayToObject(root, "items"));
	if (rc != STATS_OK) {
		cJSON_Delete(root);
		return rc;
	}
	*out = root;
	return STATS_OK;
}
