/*
 * The admin handlers of SPEC.md §5 (routes.h): the retry stats, requeue
 * and acknowledge, lookup, the leaderboard, the Prometheus metrics and the
 * dashboard. Reads take the request's read connection (routes_reader());
 * requeue and acknowledge go to the writer. Not here: the route table, the
 * guards and the dispatch, nor the webhook, award, tickets and health
 * handlers (routes.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "console.h"
#include "dashboard.h"
#include "jsonw.h"
#include "lookup.h"
#include "metrics.h"
#include "recstats.h"
#include "retryq.h"
#include "routes.h"
#include "stats.h"
#include "validate.h"
#include "writer.h"

/* ?limit=: absent -> def; 1..max (larger is capped); -1 when malformed. */
static int
limit_param(struct request *req, int def, int max)
{
	char		buf[24];
	long long	v;
	int		rc = http_query(req->query, "limit", buf, sizeof(buf));

	if (rc == 0)
		return def;
	if (rc == -1 || config_parse_int(buf, 1, 1LL << 31, &v) == -1)
		return -1;
	return v > max ? max : (int)v;
}

/* The stats JSON's "reconcile" block (SPEC.md §11 "Admin"). 0 or -1. */
static int
add_reconcile(struct award_ctx *ctx, cJSON *o)
{
	struct recstats	 rs;
	cJSON		*b;

	if (recstats_read(ctx, &rs) == -1 || (b = recstats_json(&rs)) == NULL)
		return -1;
	cJSON_AddItemToObject(o, "reconcile", b);
	return 0;
}

void
routes_retry_stats(struct route_env *env, struct request *req,
    const struct params *p, struct response *res)
{
	struct award_ctx *ctx;
	cJSON	*o;
	int	 limit = limit_param(req, STATS_LIMIT_DEFAULT, 1000);

	(void)p;
	if (limit == -1) {
		routes_bad_request(req, res, "limit: not a positive integer");
		return;
	}
	if ((ctx = routes_reader(env, res)) == NULL)
		return;
	if ((o = stats_retry(ctx, limit)) == NULL ||
	    add_reconcile(ctx, o) == -1) {
		cJSON_Delete(o);
		http_error(res, 503, "database unavailable");
	} else
		http_json(res, 200, o);
}

/*
 * What the requeue and the acknowledge answer (SPEC.md §5): the JSON of
 * a done action, and the 409 text when the row is not in a state for it.
 */
struct row_action {
	enum job_kind	 kind;		/* JOB_REQUEUE or JOB_ACK */
	const char	*status;	/* "status" of the answer */
	int		 acknowledged;	/* 1: "acknowledged": true too */
	const char	*conflict;	/* the 409 message */
};

/*
 * POST /v1/admin/failed-awards/{id}/retry or /ack through the writer; a
 * form post (the dashboard's buttons) is answered 303 back to the page.
 */
static void
row_action(struct route_env *env, struct request *req, const struct params *p,
    const struct row_action *a, struct response *res)
{
	struct job	 job = { .kind = a->kind,
			    .request_id = req->request_id };
	long long	 id;
	cJSON		*o;
	char		 actor[RETRYQ_ACTOR_MAX];

	if (config_parse_int(p->arg, 1, INT64_MAX, &id) == -1) {
		http_error(res, 404, "no such failed award");
		return;
	}
	http_auth_actor(req, actor, sizeof(actor));
	job.requeue_id = id;
	job.actor = actor;
	writer_run(env->writer, &job);
	switch (job.requeue) {
	case RETRYQ_REQUEUED:
		if (http_is_form(req)) {
			http_see_other(res, DASHBOARD_PATH);
			break;
		}
		o = cJSON_CreateObject();
		jsonw_add_int(o, "id", id);
		cJSON_AddStringToObject(o, "status", a->status);
		if (a->acknowledged)
			cJSON_AddBoolToObject(o, "acknowledged", 1);
		http_json(res, 200, o);
		break;
	case RETRYQ_NOT_FOUND:
		http_error(res, 404, "no such failed award");
		break;
	case RETRYQ_IS_DONE:
		http_error(res, 409, a->conflict);
		break;
	default:
		http_error(res, 503, "database unavailable");
		break;
	}
}

void
routes_requeue(struct route_env *env, struct request *req,
    const struct params *p, struct response *res)
{
	static const struct row_action requeue = { JOB_REQUEUE, "pending",
	    0, "this failed award is done" };

	row_action(env, req, p, &requeue, res);
}

/* POST /v1/admin/failed-awards/{id}/ack (SPEC.md §5). */
void
routes_ack(struct route_env *env, struct request *req, const struct params *p,
    struct response *res)
{
	static const struct row_action ack = { JOB_ACK, "dead", 1,
	    "this failed award is not dead" };

	row_action(env, req, p, &ack, res);
}

/* GET /v1/admin/lookup (SPEC.md §5). */
void
routes_lookup(struct route_env *env, struct request *req,
    const struct params *p, struct response *res)
{
	struct award_ctx	*ctx;
	enum lookup_key		 key;
	char			 id[VALIDATE_TEXT_ID_MAX + 1];
	const char		*why;
	int64_t			 tg = 0;
	cJSON			*o;

	(void)p;
	if ((key = console_lookup_key(req->query, id, sizeof(id), &tg,
	    &why)) == LOOKUP__MAX) {
		routes_bad_request(req, res, why);
		return;
	}
	if ((ctx = routes_reader(env, res)) == NULL)
		return;
	if ((o = lookup_run(ctx, key, id, tg)) == NULL)
		http_error(res, 503, "database unavailable");
	else
		http_json(res, 200, o);
}

void
routes_leaderboard(struct route_env *env, struct request *req,
    const struct params *p, struct response *res)
{
	struct award_ctx *ctx;
	cJSON	*o = NULL;
	int	 limit = limit_param(req, LEADERBOARD_DEFAULT,
		    LEADERBOARD_MAX);

	if (!validate_text_id(p->arg)) {
		http_error(res, 404, "unknown contest");
		return;
	}
	if (limit == -1) {
		routes_bad_request(req, res, "limit: not a positive integer");
		return;
	}
	if ((ctx = routes_reader(env, res)) == NULL)
		return;
	switch (stats_leaderboard(ctx, p->arg, limit, &o)) {
	case STATS_OK:
		http_json(res, 200, o);
		break;
	case STATS_NO_CONTEST:
		http_error(res, 404, "unknown contest");
		break;
	default:
		http_error(res, 503, "database unavailable");
		break;
	}
}

/* A text page (malloc'd) or NULL: 503 when it could not be built. */
static void
text_page(struct response *res, char *s, const char *ctype)
{
	if (s == NULL) {
		http_error(res, 503, "database unavailable");
		return;
	}
	res->status = 200;
	res->ctype = ctype;
	res->body = s;
	res->len = strlen(s);
}

/*
 * page (malloc'd, may be NULL) with reconciliation's metrics added at its
 * end (recstats_prom), or NULL (page freed) on an error.
 */
static char *
with_reconcile(struct award_ctx *ctx, char *page)
{
	struct recstats	 rs;
	char		*rec = NULL, *out = NULL;
	size_t		 a, b;

	if (page != NULL && recstats_read(ctx, &rs) == 0 &&
	    (rec = recstats_prom(&rs)) != NULL) {
		a = strlen(page);
		b = strlen(rec);
		if ((out = malloc(a + b + 1)) != NULL) {
			memcpy(out, page, a);
			memcpy(out + a, rec, b + 1);
		}
	}
	free(rec);
	free(page);
	return out;
}

void
routes_metrics(struct route_env *env, struct request *req,
    const struct params *p, struct response *res)
{
	struct award_ctx	*ctx;
	struct stats_summary	*s;

	(void)req;
	(void)p;
	if ((ctx = routes_reader(env, res)) == NULL)
		return;
	if ((s = malloc(sizeof(*s))) == NULL) {
		http_error(res, 500, "out of memory");
		return;
	}
	text_page(res, stats_summary(ctx, s) == 0 ?
	    with_reconcile(ctx, metrics_render(s, env->counters)) : NULL,
	    CTYPE_METRICS);
	free(s);
}

void
routes_dashboard(struct route_env *env, struct request *req,
    const struct params *p, struct response *res)
{
	struct award_ctx	*ctx;
	char			*html;
	int			 status;

	(void)p;
	if ((ctx = routes_reader(env, res)) == NULL)
		return;
	html = console_page(ctx, req->query, &status);
	text_page(res, html, CTYPE_HTML);
	if (html != NULL) {
		res->status = status;	/* 400 and 404 pages are pages too */
		res->csp = dashboard_csp;
	}
}
