/*
 * Routes of SPEC.md §5. Order of checks for every request: path (404),
 * method (405 with Allow), then the route's guard (source address for the
 * webhook, a token for the rest), then the body (413 before reading, 400),
 * then the work. Every write of a request goes to the process's writer
 * (writer.h); a 200 for a write is sent only after it reports the outcome
 * committed. Reads take a connection of the read pool (readers.h) and
 * never write. Here: the route table, the guards, the dispatch and what
 * every handler shares, with the webhook, award, tickets and health
 * handlers. Not here: the admin handlers (routes_admin.c).
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "award.h"
#include "cidr.h"
#include "counters.h"
#include "job.h"
#include "jsonw.h"
#include "log.h"
#include "readers.h"
#include "refund.h"
#include "route_ids.h"
#include "routes.h"
#include "stats.h"
#include "validate.h"
#include "webverify.h"
#include "writer.h"
#include "yookassa.h"

enum guard {
	GUARD_NONE,
	GUARD_WEBHOOK,		/* source address in AWARD_WEBHOOK_ALLOW */
	GUARD_SERVICE,		/* service token, Bearer */
	GUARD_ADMIN,		/* admin token, Bearer */
	GUARD_ADMIN_READ,	/* admin token, Bearer or Basic */
	GUARD_ADMIN_FORM	/* admin token, Bearer, or Basic same-origin */
};

#ifndef AWARD_VERSION
#define AWARD_VERSION	"unknown"
#endif

typedef void (*handler_fn)(struct route_env *, struct request *,
    const struct params *, struct response *);

struct route {
	enum route_id	 id;		/* its label (route_ids.h) */
	const char	*prefix;	/* path before the parameter */
	const char	*suffix;	/* after it; NULL: no parameter */
	const char	*method;
	enum guard	 guard;
	handler_fn	 fn;
};

static void h_webhook(struct route_env *, struct request *,
    const struct params *, struct response *);
static void h_awards(struct route_env *, struct request *,
    const struct params *, struct response *);
static void h_user_tickets(struct route_env *, struct request *,
    const struct params *, struct response *);
static void h_health(struct route_env *, struct request *,
    const struct params *, struct response *);

/* The webhook first: routes_inline() serves it from there. */
static const struct route routes[] = {
	{ ROUTE_WEBHOOK, "/v1/payments/webhook", NULL, "POST", GUARD_WEBHOOK,
	    h_webhook },
	{ ROUTE_AWARDS, "/v1/awards", NULL, "POST", GUARD_SERVICE, h_awards },
	{ ROUTE_USER_TICKETS, "/v1/users/", "/tickets", "GET", GUARD_SERVICE,
	    h_user_tickets },
	{ ROUTE_RETRY_STATS, "/v1/admin/award-retry-stats", NULL, "GET",
	    GUARD_ADMIN_READ, routes_retry_stats },
	{ ROUTE_REQUEUE, "/v1/admin/failed-awards/", "/retry", "POST",
	    GUARD_ADMIN_FORM, routes_requeue },
	{ ROUTE_ACK, "/v1/admin/failed-awards/", "/ack", "POST",
	    GUARD_ADMIN_FORM, routes_ack },
	{ ROUTE_LOOKUP, "/v1/admin/lookup", NULL, "GET", GUARD_ADMIN_READ,
	    routes_lookup },
	{ ROUTE_LEADERBOARD, "/v1/admin/contests/", "/leaderboard", "GET",
	    GUARD_ADMIN_READ, routes_leaderboard },
	{ ROUTE_METRICS, "/v1/admin/metrics", NULL, "GET", GUARD_ADMIN_READ,
	    routes_metrics },
	{ ROUTE_DASHBOARD, DASHBOARD_PATH, NULL, "GET", GUARD_ADMIN_READ,
	    routes_dashboard },
	{ ROUTE_HEALTHZ, "/healthz", NULL, "GET", GUARD_NONE, h_health },
};

/* 1 when path matches r, with the parameter copied into p. */
static int
match(const struct route *r, const char *path, struct params *p)
{
	size_t plen = strlen(r->prefix), slen, alen, n = strlen(path);

	if (r->suffix == NULL)
		return strcmp(path, r->prefix) == 0;
	slen = strlen(r->suffix);
	if (n <= plen + slen || strncmp(path, r->prefix, plen) != 0 ||
	    strcmp(path + n - slen, r->suffix) != 0)
		return 0;
	alen = n - plen - slen;
	if (memchr(path + plen, '/', alen) != NULL)
		return 0;
	if (alen >= sizeof(p->arg))
		alen = 0;	/* too long: "" fails every validator */
	memcpy(p->arg, path + plen, alen);
	p->arg[alen] = '\0';
	return 1;
}

static int
guard(struct route_env *env, struct request *req, enum guard g,
    struct response *res)
{
	const struct award_config	*c = env->cfg;
	const char			*token;
	enum auth_result		 a;

	switch (g) {
	case GUARD_NONE:
		return 0;
	case GUARD_WEBHOOK:
		if (cidr_match(&c->webhook_allow, req->remote_addr))
			return 0;
		log_msg(LOG_WARN, "webhook from a source not allowed",
		    LF_STR("request_id", req->request_id),
		    LF_STR("remote_addr", req->remote_addr), LF_END);
		http_error(res, 403, "source address not allowed");
		return -1;
	case GUARD_SERVICE:
		token = c->service_token;
		break;
	default:
		token = c->admin_token;
		break;
	}
	if (token[0] != '\0' && g == GUARD_ADMIN_FORM &&
	    req->authorization != NULL &&
	    strncasecmp(req->authorization, "Basic ", 6) == 0 &&
	    !http_same_origin(req)) {
		/*
		 * The browser sends Basic credentials by itself, also with a
		 * form another site made it post: only the dashboard's own
		 * origin may use them to change state (SPEC.md §5).
		 */
		log_msg(LOG_WARN, "cross-origin request refused",
		    LF_STR("request_id", req->request_id),
		    LF_STR("origin", req->origin != NULL ? req->origin :
		    "(none)"), LF_END);
		http_error(res, 403, "cross-origin request refused");
		return -1;
	}
	a = http_auth(req, token, g == GUARD_ADMIN_READ ||
	    g == GUARD_ADMIN_FORM);
	if (a == AUTH_OK)
		return 0;
	if (a == AUTH_OFF) {
		http_error(res, 403, "endpoint disabled: no token configured");
		return -1;
	}
	http_error(res, 401, "missing or wrong token");
	res->auth_bearer = 1;
	res->auth_basic = g == GUARD_ADMIN_READ;
	return -1;
}

/*
 * 1, with a 431 set in res, when the request's header fields did not fit
 * the FastCGI limits (fcgi_rec.h): only those before them were kept, so
 * nothing of the request may be trusted, its path included.
 */
static int
headers_over(struct request *req, struct response *res)
{
	if (!req->fr->params_over)
		return 0;
	res->route = route_name(ROUTE_OTHER);
	http_error(res, 431, "request header fields too large");
	return 1;
}

void
routes_dispatch(struct route_env *env, struct request *req,
    struct response *res)
{
	const struct route	*found = NULL;
	struct params		 p;

	if (headers_over(req, res))
		return;
	memset(&p, 0, sizeof(p));
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (match(&routes[i], req->path, &p)) {
			found = &routes[i];
			break;
		}
	if (found == NULL) {
		res->route = route_name(ROUTE_OTHER);
		http_error(res, 404, "not found");
		return;
	}
	res->route = route_name(found->id);
	if (strcmp(req->method, found->method) != 0) {
		/* HEAD is served as GET (http_request_init()). */
		res->allow = strcmp(found->method, "GET") == 0 ? "GET, HEAD" :
		    found->method;
		http_error(res, 405, "method not allowed");
		return;
	}
	if (guard(env, req, found->guard, res) == -1)
		return;
	found->fn(env, req, &p, res);
}

/*
 * The request's read connection, taken from the pool on the first call;
 * the caller of routes_dispatch() gives it back. NULL, logged, when the
 * databases cannot be opened.
 */
void
route_env_done(struct route_env *env)
{
	yk_close(env->yk);
	env->yk = NULL;
}

static struct award_ctx *
route_reader(struct route_env *env)
{
	if (env->rd == NULL)
		env->rd = readers_take(env->readers);
	return env->rd;
}

/*
 * The thread's read connection for a handler that reads (never the
 * writer's: WAL lets it read while a group commits). NULL with a 503 set
 * when the databases cannot be opened.
 */
struct award_ctx *
routes_reader(struct route_env *env, struct response *res)
{
	struct award_ctx *ctx = route_reader(env);

	if (ctx == NULL)
		http_error(res, 503, "database unavailable");
	return ctx;
}

/* Read a body within AWARD_MAX_BODY; 0, or -1 with the response set. */
static int
body(struct route_env *env, struct request *req, char **buf, size_t *len,
    struct response *res)
{
	switch (http_read_body(req, env->cfg->max_body, buf, len)) {
	case 0:
		return 0;
	case 1:
		http_error(res, 413, "request body too large");
		return -1;
	default:
		http_error(res, 400, "request body unreadable");
		return -1;
	}
}

void
routes_bad_request(struct request *req, struct response *res, const char *why)
{
	log_msg(LOG_WARN, "bad request", LF_STR("request_id",
	    req->request_id), LF_STR("path", req->path),
	    LF_STR("error", why), LF_END);
	http_error(res, 400, why);
}

/*
 * The answer to a write (SPEC.md §3): UNAVAILABLE (nothing could be
 * saved) sets *res to 503, so that YooKassa delivers again, and returns
 * NULL; otherwise a new object {"status":"processed", field: the outcome's
 * name (done: the rules' own)} for the caller to complete and send.
 */
static cJSON *
processed(struct response *res, enum job_outcome outcome, const char *field,
    const char *done)
{
	cJSON *o;

	if (outcome == JOB_UNAVAILABLE) {
		http_error(res, 503, "database unavailable; nothing was "
		    "recorded, deliver again");
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "processed");
	cJSON_AddStringToObject(o, field, job_outcome_name(outcome, done));
	return o;
}

/* The award part of a response body, shared by webhook and /v1/awards. */
static void
award_response(struct response *res, enum job_outcome outcome,
    const struct award_out *out)
{
	cJSON *o;

	if ((o = processed(res, outcome, "award",
	    award_result_name(out->result))) == NULL)
		return;
	if (outcome == JOB_DONE && out->result == AWARD_AWARDED) {
		jsonw_add_int(o, "tickets", out->tickets);
		jsonw_add_int(o, "referrer_tickets", out->referrer_tickets);
	} else if (outcome == JOB_DONE && out->result == AWARD_NOT_ELIGIBLE)
		cJSON_AddStringToObject(o, "reason", out->reason);
	http_json(res, 200, o);
}

/*
 * The webhook up to its write: the body and its fields (the source was
 * checked by the guard). ROUTE_ANSWERED with res filled (refused, or an
 * event that records nothing), or ROUTE_WRITE with *job filled: an award
 * or a refund to run, then to answer with routes_webhook_answer().
 */
static enum route_step
webhook_begin(struct route_env *env, struct request *req,
    struct response *res, struct job *job)
{
	char			*buf = NULL, err[160];
	size_t			 len;
	cJSON			*o;
	enum route_step		 step = ROUTE_ANSWERED;

	if (body(env, req, &buf, &len, res) == -1)
		return ROUTE_ANSWERED;
	memset(job, 0, sizeof(*job));
	job->request_id = req->request_id;
	switch (validate_webhook_test(buf, len,
	    env->cfg->accept_test_payments, &job->award, &job->refund, err,
	    sizeof(err))) {
	case WEBHOOK_BAD:
		routes_bad_request(req, res, err);
		break;
	case WEBHOOK_TEST:
		/* A test shop's notification: nothing recorded (SPEC.md §5). */
		log_msg(LOG_INFO, "test payment ignored",
		    LF_STR("request_id", req->request_id),
		    LF_STR("remote_addr", req->remote_addr), LF_END);
		counters_ignored(env->counters, "test_payment");
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "status", "ignored");
		cJSON_AddStringToObject(o, "reason", "test_payment");
		http_json(res, 200, o);
		break;
	case WEBHOOK_IGNORED:
		counters_ignored(env->counters, "event");
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "status", "ignored");
		http_json(res, 200, o);
		break;
	case WEBHOOK_PAYMENT:
		job->kind = JOB_AWARD;
		step = ROUTE_WRITE;
		break;
	case WEBHOOK_REFUND:
		job->kind = JOB_REFUND;
		step = ROUTE_WRITE;
		break;
	default:
		assert(!"validate_webhook returned no kind");
		http_error(res, 500, "internal error");
		break;
	}
	free(buf);
	return step;
}

void
routes_webhook_answer(const struct job *job, struct response *res)
{
	cJSON *o;

	if (job->kind == JOB_AWARD)
		award_response(res, job->outcome, &job->aout);
	else if ((o = processed(res, job->outcome, "refund",
	    refund_result_name(job->rout.result))) != NULL)
		http_json(res, 200, o);
}

/* The webhook on a request thread: verified first when so configured. */
static void
h_webhook(struct route_env *env, struct request *req,
    const struct params *p, struct response *res)
{
	struct job job;

	(void)p;
	if (webhook_begin(env, req, res, &job) == ROUTE_ANSWERED)
		return;
	if (env->cfg->verify_payments && (job.kind == JOB_AWARD ?
	    webverify_award(env->cfg, &env->yk, req, &job.award, res) :
	    webverify_refund(env->cfg, &env->yk, req, &job.refund, res)) == 1)
		return;
	writer_run(env->writer, &job);
	routes_webhook_answer(&job, res);
}

enum route_step
routes_inline(struct route_env *env, struct request *req,
    struct response *res, struct job *job)
{
	const struct route *r = &routes[0];	/* the webhook */

	assert(r->id == ROUTE_WEBHOOK);
	if (headers_over(req, res))
		return ROUTE_ANSWERED;
	if (env->cfg->verify_payments || strcmp(req->path, r->prefix) != 0 ||
	    strcmp(req->method, r->method) != 0)
		return ROUTE_THREAD;
	res->route = route_name(r->id);
	if (guard(env, req, r->guard, res) == -1)
		return ROUTE_ANSWERED;
	return webhook_begin(env, req, res, job);
}

static void
h_awards(struct route_env *env, struct request *req, const struct params *p,
    struct response *res)
{
	struct job	 job = { .kind = JOB_AWARD,
			    .request_id = req->request_id };
	char		*buf = NULL, err[160];
	size_t		 len;

	(void)p;
	if (body(env, req, &buf, &len, res) == -1)
		return;
	if (validate_award_body(buf, len, &job.award, err, sizeof(err)) == -1)
		routes_bad_request(req, res, err);
	else {
		writer_run(env->writer, &job);
		award_response(res, job.outcome, &job.aout);
	}
	free(buf);
}

static void
h_user_tickets(struct route_env *env, struct request *req,
    const struct params *p, struct response *res)
{
	struct award_ctx *ctx;
	char		 cid[VALIDATE_TEXT_ID_MAX + 2];
	cJSON		*out = NULL;
	int64_t		 id;
	int		 rc;

	if (validate_telegram_id_str(p->arg, &id) == -1) {
		routes_bad_request(req, res, "telegram_id: not an integer "
		    "from 1 to 2^53-1");
		return;
	}
	/* An empty contest_id= is no contest_id: the contest running now. */
	rc = http_query(req->query, "contest_id", cid, sizeof(cid));
	if (rc == 1 && cid[0] == '\0')
		rc = 0;
	if (rc == -1 || (rc == 1 && !validate_text_id(cid))) {
		routes_bad_request(req, res, "contest_id: not 1-255 bytes "
		    "without control characters");
		return;
	}
	if ((ctx = routes_reader(env, res)) == NULL)
		return;
	switch (stats_user_tickets(ctx, id, rc == 1 ? cid : NULL, &out)) {
	case STATS_OK:
		http_json(res, 200, out);
		break;
	case STATS_NO_CONTEST:
		http_error(res, 404, rc == 1 ? "unknown contest" :
		    "no contest is running now");
		break;
	default:
		http_error(res, 503, "database unavailable");
		break;
	}
}

static void
h_health(struct route_env *env, struct request *req, const struct params *p,
    struct response *res)
{
	struct award_ctx	*ctx;
	cJSON			*o;

	(void)req;
	(void)p;
	if ((ctx = routes_reader(env, res)) == NULL)
		return;
	if (stats_health(ctx) == -1) {
		http_error(res, 503, "database unavailable");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddStringToObject(o, "version", AWARD_VERSION);
	http_json(res, 200, o);
}
