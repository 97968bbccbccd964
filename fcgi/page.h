/*
 * The parts every admin HTML page shares (the dashboard, its queue and
 * contest views, the detail view): the one style and the CSP that allows
 * it by hash, the page head, times, table cells, money, and links to the
 * detail view with ids percent-encoded. No script anywhere; every value
 * from a database goes through tbuf_html() or page_arg().
 */
#ifndef AWARD_PAGE_H
#define AWARD_PAGE_H

#include <stdint.h>

#include "textbuf.h"

#define PAGE_PATH	"/v1/admin/dashboard"

/*
 * The page's Content-Security-Policy: the style hash is that of the
 * <style> text page_head() writes (tests/integration/test_console.sh
 * checks it).
 */
extern const char page_csp[];

struct page {
	struct tbuf	 b;
	int64_t		 now;		/* the page's clock, ms */
	int		 err;		/* a database read failed */
};

/* <!DOCTYPE ...><head> with title, the style, <body>, the h1 and nav. */
void	page_head(struct page *p, const char *title);

/* </body></html> */
void	page_end(struct page *p);

/* A database time: "YYYY-MM-DD HH:MM:SS" and how long ago; raw if odd. */
void	page_when(struct page *p, const char *iso);
void	page_when_ms(struct page *p, int64_t ms);

/* "N s/min/h/days ago" (or "in ...") between ms and the page's clock. */
void	page_relative(struct page *p, int64_t ms);

/* <td data-label="label">text</td>, text escaped; NULL: a muted dash. */
void	page_td(struct page *p, const char *label, const char *text);

/* A right-aligned number cell, class "n cls". */
void	page_td_int(struct page *p, const char *label, const char *cls,
	    int64_t v);

/* A money cell: minor units as "199.00 RUB"; a dash when !has. */
void	page_td_money(struct page *p, const char *label, int has,
	    int64_t minor, const char *currency);

/* s percent-encoded for a query value (all but [A-Za-z0-9._:-]). */
void	page_arg(struct page *p, const char *s);

/*
 * A link to the detail view of key ("order_id", "payment_id") = id, the
 * id shown in <code class="id">; NULL id: a muted dash.
 */
void	page_link(struct page *p, const char *key, const char *id);

/* The same for a telegram id. */
void	page_link_tg(struct page *p, int64_t tg);

/* A link to a contest's view (its leaderboard and totals). */
void	page_link_contest(struct page *p, const char *id);

/* <td> holding page_link() / page_link_tg() / page_link_contest(). */
void	page_td_link(struct page *p, const char *label, const char *key,
	    const char *id);
void	page_td_tg(struct page *p, const char *label, int has, int64_t tg);
void	page_td_contest(struct page *p, const char *label, const char *id);

/*
 * The admin action forms of one queue row: "Retry now" for a pending or
 * dead row, "Acknowledge" for a dead row not yet acknowledged. Same-origin
 * POSTs (routes.c's Basic rule).
 */
void	page_row_actions(struct page *p, int64_t id, const char *status,
	    int acked);

#endif
