/*
 * Parts of the dashboard pages used by more than one of its files
 * (dashboard.c, views.c, detail.c). Internal to the dashboard.
 */
#ifndef AWARD_VIEWS_H
#define AWARD_VIEWS_H

#include <stdint.h>

#include "ctx.h"
#include "page.h"

/* The dashboard's limits, shared by its pages. */
#define DASHBOARD_ROWS		50	/* queue rows per page */
#define DASHBOARD_OVERVIEW_ROWS	10	/* of each status on the overview */
#define DASHBOARD_PAGES_MAX	100000	/* ?page= at most */
#define DASHBOARD_TOP		10
#define DASHBOARD_BOARD		100	/* a contest view's leaderboard */
#define DASHBOARD_PAYMENTS	20
#define DASHBOARD_CONTESTS	10	/* contests on the overview */
#define DASHBOARD_CONTESTS_ALL	500	/* on the contests view */

/*
 * The pages of views.c, read through ctx at its clock: a malloc'd string
 * the caller frees, or NULL on a database error or when out of memory.
 */
/* The queue rows of status ("pending", "dead", "done"), page n (1-based). */
char	*views_queue_page(struct award_ctx *ctx, const char *status,
	    int64_t page);

/* A contest's leaderboard and totals; *found 0 when it does not exist. */
char	*views_contest_page(struct award_ctx *ctx, const char *contest_id,
	    int *found);

/* Every contest (newest first), with links to their views. */
char	*views_contests_page(struct award_ctx *ctx);


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

/* A row callback's state: the page and the rows written so far. */
struct views_rows {
	struct page	*p;
	int64_t		 n;
};

/*
 * One leaderboard row (stats_top()'s callback, arg a struct views_rows):
 * rank, the owner's telegram id as a link, tickets. Returns 0.
 */
int	views_board_row(void *arg, int64_t owner, int64_t tickets);

/* Finish p: the text, or NULL (freed) when p->err or out of memory. */
char	*views_finish(struct page *p);

#endif
