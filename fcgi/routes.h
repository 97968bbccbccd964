/*
 * The HTTP interface of SPEC.md §5: one table of routes, their methods and
 * their auth, and the handlers behind them.
 */
#ifndef AWARD_ROUTES_H
#define AWARD_ROUTES_H

#include "ctx.h"
#include "http.h"

/* Route req, run its handler and fill *res (status, body, headers). */
void	routes_dispatch(struct award_ctx *ctx, struct request *req,
	    struct response *res);

#endif
