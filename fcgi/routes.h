/*
 * The HTTP interface of SPEC.md §5: one table of routes, their methods and
 * their auth, and the handlers behind them.
 */
#ifndef AWARD_ROUTES_H
#define AWARD_ROUTES_H

#include "config.h"
#include "ctx.h"
#include "http.h"

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

#endif
