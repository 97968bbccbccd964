/*
 * Parts of the dashboard pages used by more than one of its files
 * (dashboard.c, views.c, detail.c). Internal to the dashboard.
 */
#ifndef AWARD_VIEWS_H
#define AWARD_VIEWS_H

#include <stdint.h>

#include "ctx.h"
#include "page.h"

/*
 * The rows of status from offset (newest first), at most limit, as a
 * table id="<status>-rows" with a pager line id="<status>-showing"
 * ("rows a–b of total · page n of m" and links) above it. Sets p->err on
 * a database error.
 */
void	views_queue_table(struct page *p, struct award_ctx *ctx,
	    const char *status, int64_t offset, int limit, int64_t total,
	    int pager);

/* The three search forms (order id, payment id, telegram id). */
void	views_search(struct page *p);

/* The contests table, newest first, at most limit. */
void	views_contests(struct page *p, struct award_ctx *ctx, int limit);

/* Finish p: the text, or NULL (freed) when p->err or out of memory. */
char	*views_finish(struct page *p);

#endif
