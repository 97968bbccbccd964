/*
 * The dashboard's query string (GET /v1/admin/dashboard?...): which page
 * it asks for, validated before any page is read. The pages themselves
 * are dashboard.h's; the route is routes.c's.
 */
#ifndef AWARD_CONSOLE_H
#define AWARD_CONSOLE_H

#include "ctx.h"

/*
 * The page of query ("" or NULL: the overview): ?order_id= | ?payment_id=
 * | ?telegram_id= (the detail), ?status=pending|dead|done[&page=N] (the
 * queue), ?contest=ID, ?contests=all. Sets *status: 200, 400 (the page
 * says why), 404 (an unknown contest). Returns the malloc'd page, or
 * NULL on a database error or when out of memory (a 503).
 */
char	*console_page(struct award_ctx *ctx, const char *query, int *status);

#endif
