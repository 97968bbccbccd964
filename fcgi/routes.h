/*
 * The HTTP interface of SPEC.md §5: one table of routes, their methods and
 * their auth, and the handlers behind them (routes.c: the table, the
 * dispatch, the webhook, award, tickets and health handlers; routes_admin.c:
 * the admin handlers). The last part of this header is only for those two
 * files.
 */
#ifndef AWARD_ROUTES_H
#define AWARD_ROUTES_H

#include "award.h"
#include "config.h"
#include "ctx.h"
#include "http.h"
#include "job.h"
#include "validate.h"

struct writer;
struct counters;
struct readers;
struct yk_client;

/*
 * What a request thread hands the routes: the configuration, its worker
 * process's writer (every write goes through it, SPEC.md §2), the counters
 * the worker processes share, and the pool of read connections, from
 * which a request that reads takes one (rd) for the rest of the request;
 * the caller of routes_dispatch() gives it back.
 */
struct route_env {
	const struct award_config	*cfg;
	struct writer			*writer;
	struct counters			*counters;
	struct readers			*readers;
	struct award_ctx		*rd;	/* taken on the first read */
	struct yk_client		*yk;	/* the thread's API client,
						 * opened on first use (§11) */
};

/* Free what the thread's env opened (its API client). */
void	route_env_done(struct route_env *env);

/* Route req, run its handler and fill *res (status, body, headers). */
void	routes_dispatch(struct route_env *env, struct request *req,
	    struct response *res);

/* What a request needs next (routes_inline). */
enum route_step {
	ROUTE_THREAD,	/* not for the poll thread: routes_dispatch() it */
	ROUTE_ANSWERED,	/* res is filled */
	ROUTE_WRITE	/* job is filled: run it, then answer it */
};

/*
 * On the poll thread, the request it serves without blocking: a webhook
 * when payments are not verified (verification calls the API, §11).
 * ROUTE_THREAD when req is not one (nothing done); ROUTE_ANSWERED with
 * res filled (refused, or an event that records nothing); ROUTE_WRITE with
 * *job filled: post it to the writer and, once it is committed, fill res
 * with routes_webhook_answer(). res->route is set unless ROUTE_THREAD.
 */
enum route_step routes_inline(struct route_env *env, struct request *req,
	    struct response *res, struct job *job);

/* The webhook's response for a finished award or refund job. */
void	routes_webhook_answer(const struct job *job, struct response *res);

/* ---- Between routes.c and routes_admin.c; not for other callers. ---- */

#define DASHBOARD_PATH	"/v1/admin/dashboard"

/* Path parameters: at most one, copied out of the path. */
struct params {
	char	arg[VALIDATE_TEXT_ID_MAX + 1]; /* the longest: a contest id */
};

/*
 * The request's read connection (never the writer's: WAL lets it read
 * while a group commits), taken from env's pool on the first call and
 * kept in env->rd. NULL with a 503 set in res when the databases cannot
 * be opened.
 */
struct award_ctx *routes_reader(struct route_env *env, struct response *res);

/* Log req as a bad request and set a 400 with why in res. */
void	routes_bad_request(struct request *req, struct response *res,
	    const char *why);

/*
 * The admin handlers of the route table (routes_admin.c), each filling
 * res: GET award-retry-stats, POST failed-awards/{id}/retry and .../ack,
 * GET lookup, GET contests/{id}/leaderboard, GET metrics, GET dashboard.
 */
void	routes_retry_stats(struct route_env *, struct request *,
	    const struct params *, struct response *);
void	routes_requeue(struct route_env *, struct request *,
	    const struct params *, struct response *);
void	routes_ack(struct route_env *, struct request *,
	    const struct params *, struct response *);
void	routes_lookup(struct route_env *, struct request *,
	    const struct params *, struct response *);
void	routes_leaderboard(struct route_env *, struct request *,
	    const struct params *, struct response *);
void	routes_metrics(struct route_env *, struct request *,
	    const struct params *, struct response *);
void	routes_dashboard(struct route_env *, struct request *,
	    const struct params *, struct response *);

#endif
