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

/*
 * What a request thread hands the routes: the configuration, its worker
 * process's writer (every write goes through it, SPEC.md §2), the counters
 * the worker processes share, and the thread's own read connection,
 * opened on first use so that threads that only pass writes on hold none.
 */
struct route_env {
	const struct award_config	*cfg;
	struct writer			*writer;
	struct counters			*counters;
	struct award_ctx		*rd;	/* route_reader() opens it */
};

/*
 * The thread's read connection, opened on the first call (and again after
 * a failed open). NULL, logged, when the databases cannot be opened.
 */
struct award_ctx *route_reader(struct route_env *env);

/* Route req, run its handler and fill *res (status, body, headers). */
void	routes_dispatch(struct route_env *env, struct request *req,
	    struct response *res);

#endif
