/*
 * Dashboard views other than the overview and the detail (dashboard.h):
 * the retry queue by status with real paging (offsets over the
 * (status, id) index), a contest's leaderboard and ledger totals (the
 * contest as the time range of the totals), the list of contests; and
 * the parts the pages share (views.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup.h"
#include "stats.h"
#include "views.h"

char *
views_finish(struct page *p)
{
	char *html;

	page_end(p);
	html = tbuf_finish(&p->b);
	if (p->err) {
		free(html);
		return NULL;
	}
	return html;
}

void
views_search(struct page *p)
{
	static const struct {
		const char *name, *label, *hint;
	} f[] = {
		{ "order_id", "Order id", "ord_2026_11_27_000123" },
		{ "payment_id", "Payment id", "30c1e1a6-000f-5000-..." },
		{ "telegram_id", "Telegram id", "123456789" },
	};

	tbuf_str(&p->b, "<div id=\"search\">");
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		tbuf_printf(&p->b, "<form class=\"s\" method=\"get\" action=\""
		    PAGE_PATH "\"><input name=\"%s\" id=\"q-%s\" "
		    "aria-label=\"%s\" placeholder=\"%s: %s\" required "
		    "maxlength=\"255\"><button type=\"submit\">Find</button>"
		    "</form>", f[i].name, f[i].name, f[i].label, f[i].label,
		    f[i].hint);
	tbuf_str(&p->b, "</div>\n");
}

struct qrows {
	struct page	*p;
	int64_t		 n;
};

static int
queue_row(void *arg, const struct stats_queue_row *r)
{
	struct qrows	*a = arg;
	struct page	*p = a->p;
	int		 dead = strcmp(r->status, "dead") == 0;

	a->n++;
	tbuf_printf(&p->b, "<tr data-id=\"%lld\"%s>", (long long)r->id,
	    dead && r->acked_at != NULL ? " class=\"acked\"" : "");
	page_td_int(p, "id", NULL, r->id);
	/* An award row names its order, a refund row its payment. */
	tbuf_printf(&p->b, "<td data-label=\"%s\">",
	    strcmp(r->kind, "refund") == 0 ? "refund of payment" : "order");
	if (strcmp(r->kind, "refund") == 0) {
		tbuf_str(&p->b, "<span class=\"muted k\">refund of</span> ");
		page_link(p, "payment_id", r->payment_id);
	} else
		page_link(p, "order_id", r->order_id);
	tbuf_str(&p->b, "</td>");
	page_td_tg(p, "telegram id", r->has_tg, r->tg_id);
	page_td(p, "plan", r->plan_id);
	page_td_int(p, "attempts", NULL, r->attempts);
	if (strcmp(r->status, "done") == 0) {
		/* What the last run did; the error is an earlier attempt's. */
		tbuf_str(&p->b, "<td data-label=\"outcome\" class=\"outcome\">");
		tbuf_html(&p->b, r->outcome != NULL ? r->outcome : "—");
		if (r->error != NULL) {
			tbuf_str(&p->b, " <span class=\"muted e\">after: ");
			tbuf_html(&p->b, r->error);
			tbuf_str(&p->b, "</span>");
		}
	} else {
		tbuf_str(&p->b, "<td data-label=\"last error\" class=\"e\">");
		tbuf_html(&p->b, r->error != NULL ? r->error : "—");
	}
	tbuf_str(&p->b, "</td><td data-label=\"last / next attempt\">");
	page_when(p, r->last_attempt_at);
	tbuf_str(&p->b, " next: ");
	if (dead)
		tbuf_str(&p->b, "<span class=\"muted\">none (dead)</span>");
	else if (strcmp(r->status, "done") == 0)
		tbuf_str(&p->b, "<span class=\"muted\">none (done)</span>");
	else
		page_when(p, r->next_attempt_at);
	tbuf_str(&p->b, "</td><td data-label=\"admin\" class=\"who\">");
	if (r->acked_at != NULL) {
		tbuf_str(&p->b, "acknowledged by <b>");
		tbuf_html(&p->b, r->acked_by);
		tbuf_str(&p->b, "</b> ");
		page_when(p, r->acked_at);
	} else if (r->requeued_at != NULL) {
		tbuf_str(&p->b, "retried by <b>");
		tbuf_html(&p->b, r->requeued_by);
		tbuf_str(&p->b, "</b> ");
		page_when(p, r->requeued_at);
	} else
		tbuf_str(&p->b, "<span class=\"muted\">—</span>");
	tbuf_str(&p->b, "</td><td data-label=\"action\">");
	page_row_actions(p, r->id, r->status, r->acked_at != NULL);
	tbuf_str(&p->b, "</td></tr>\n");
	return 0;
}

/* "page n of m" links of status. */
static void
pager(struct page *p, const char *status, int64_t page, int64_t pages)
{
	tbuf_printf(&p->b, " · <span class=\"pager\">page %lld of %lld",
	    (long long)page, (long long)pages);
	if (page > 1)
		tbuf_printf(&p->b, " <a rel=\"prev\" href=\"" PAGE_PATH
		    "?status=%s&amp;page=%lld\">‹ newer</a>", status,
		    (long long)(page - 1));
	if (page < pages)
		tbuf_printf(&p->b, " <a rel=\"next\" href=\"" PAGE_PATH
		    "?status=%s&amp;page=%lld\">older ›</a>", status,
		    (long long)(page + 1));
	tbuf_str(&p->b, "</span>");
}

void
views_queue_table(struct page *p, struct award_ctx *ctx, const char *status,
    int64_t offset, int limit, int64_t total, int with_pager)
{
	struct qrows	 a = { p, 0 };
	struct tbuf	 save = p->b, rows;
	char		*text;
	int64_t		 pages = total > 0 ? (total + limit - 1) / limit : 1;

	/* The rows first, into a buffer of their own: the count goes above. */
	p->b = (struct tbuf)TBUF_INIT;
	if (stats_queue_page(ctx, status, offset, limit, queue_row, &a) == -1)
		p->err = 1;
	rows = p->b;
	p->b = save;
	if (total < offset + a.n)
		total = offset + a.n;	/* a row came since the count */
	tbuf_printf(&p->b, "<p class=\"count\" id=\"%s-showing\">", status);
	if (a.n == 0)
		tbuf_str(&p->b, total == 0 ? "none" : "no rows on this page");
	else
		tbuf_printf(&p->b, "rows %lld–%lld of %lld", (long long)(offset +
		    1), (long long)(offset + a.n), (long long)total);
	if (with_pager)
		pager(p, status, offset / limit + 1, pages);
	else if (total > a.n)
		tbuf_printf(&p->b, " · <a href=\"" PAGE_PATH "?status=%s\">"
		    "all %lld, page by page ›</a>", status, (long long)total);
	tbuf_str(&p->b, "</p>\n");
	text = tbuf_finish(&rows);
	if (text == NULL && a.n > 0)
		p->b.failed = 1;
	if (a.n > 0 && text != NULL) {
		tbuf_printf(&p->b, "<table id=\"%s-rows\" class=\"cards\">"
		    "<thead><tr><th>id</th><th>order</th><th>telegram id</th>"
		    "<th>plan</th><th>attempts</th><th>%s</th>"
		    "<th>last / next attempt</th><th>admin</th><th></th>"
		    "</tr></thead><tbody>\n",
		    status, strcmp(status, "done") == 0 ? "outcome" :
		    "last error");
		tbuf_str(&p->b, text);
		tbuf_str(&p->b, "</tbody></table>\n");
	}
	free(text);
}

char *
views_queue_page(struct award_ctx *ctx, const char *status, int64_t page)
{
	struct stats_summary	*s;
	struct page		 p;
	int64_t			 total;
	char			 title[64];

	if ((s = malloc(sizeof(*s))) == NULL)
		return NULL;
	memset(&p, 0, sizeof(p));
	if (stats_summary(ctx, s) == -1) {
		free(s);
		return NULL;
	}
	p.now = s->now_ms;
	total = strcmp(status, "pending") == 0 ? s->pending :
	    strcmp(status, "dead") == 0 ? s->dead : s->done;
	snprintf(title, sizeof(title), "Retry queue: %s", status);
	page_head(&p, title);
	tbuf_printf(&p.b, "<h2>%s rows (newest first)</h2>\n", status);
	if (strcmp(status, "dead") == 0)
		tbuf_printf(&p.b, "<p>%lld of them acknowledged: they stay "
		    "listed, but no longer count as dead for the alerts.</p>\n",
		    (long long)s->acked);
	if (page < 1)
		page = 1;
	views_queue_table(&p, ctx, status, (page - 1) * DASHBOARD_ROWS,
	    DASHBOARD_ROWS, total, 1);
	free(s);
	return views_finish(&p);
}

int
views_board_row(void *arg, int64_t owner, int64_t tickets)
{
	struct views_rows *a = arg;

	a->n++;
	tbuf_str(&a->p->b, "<tr>");
	page_td_int(a->p, "rank", NULL, a->n);
	page_td_tg(a->p, "telegram id", 1, owner);
	page_td_int(a->p, "tickets", "tickets", tickets);
	tbuf_str(&a->p->b, "</tr>\n");
	return 0;
}

static int
totals_row(void *arg, const char *reason, int64_t rows, int64_t tickets,
    int64_t owners)
{
	struct views_rows *a = arg;

	a->n++;
	tbuf_str(&a->p->b, "<tr data-reason=\"");
	tbuf_html(&a->p->b, reason);
	tbuf_str(&a->p->b, "\">");
	page_td(a->p, "reason", reason);
	page_td_int(a->p, "rows", "rows", rows);
	page_td_int(a->p, "tickets", "tickets", tickets);
	page_td_int(a->p, "owners", "owners", owners);
	tbuf_str(&a->p->b, "</tr>\n");
	return 0;
}

char *
views_contest_page(struct award_ctx *ctx, const char *contest_id, int *found)
{
	struct page	p;
	struct views_rows	a;
	int		rc;

	memset(&p, 0, sizeof(p));
	p.now = award_ctx_now(ctx);
	*found = 1;
	page_head(&p, "Contest");
	tbuf_str(&p.b, "<h2>Contest <code class=\"id\" id=\"contest\">");
	tbuf_html(&p.b, contest_id);
	tbuf_str(&p.b, "</code></h2>\n<h3>Ledger totals of this contest</h3>"
	    "\n<table id=\"contest-totals\" class=\"cards\"><thead><tr>"
	    "<th>reason</th><th>rows</th><th>tickets</th><th>owners</th>"
	    "</tr></thead><tbody>\n");
	a = (struct views_rows){ &p, 0 };
	if (lookup_contest_totals(ctx, contest_id, totals_row, &a) == -1)
		p.err = 1;
	tbuf_str(&p.b, "</tbody></table>\n");
	tbuf_printf(&p.b, "<h3>Leaderboard (top %d)</h3>\n<table id=\"board\" "
	    "class=\"cards\"><thead><tr><th>rank</th><th>telegram id</th>"
	    "<th>tickets</th></tr></thead><tbody>\n", DASHBOARD_BOARD);
	a = (struct views_rows){ &p, 0 };
	rc = stats_top(ctx, contest_id, DASHBOARD_BOARD, views_board_row, &a);
	if (rc == 1)
		*found = 0;
	else if (rc == -1)
		p.err = 1;
	tbuf_str(&p.b, "</tbody></table>\n");
	if (!*found)
		tbuf_str(&p.b, "<p id=\"unknown\">No contest with this id "
		    "is known.</p>\n");
	else if (a.n == 0)
		tbuf_str(&p.b, "<p>No tickets in this contest.</p>\n");
	return views_finish(&p);
}

static int
contest_row(void *arg, const struct lookup_contest *c)
{
	struct views_rows *a = arg;

	a->n++;
	tbuf_str(&a->p->b, "<tr>");
	page_td_contest(a->p, "contest", c->id);
	tbuf_str(&a->p->b, "<td data-label=\"starts\">");
	page_when(a->p, c->starts_at);
	tbuf_str(&a->p->b, "</td><td data-label=\"ends\">");
	page_when(a->p, c->ends_at);
	tbuf_printf(&a->p->b, "</td><td data-label=\"active\">%s</td></tr>\n",
	    c->active ? "yes" : "no");
	return 0;
}

/* The contests table (at most limit), for the overview and the list. */
void
views_contests(struct page *p, struct award_ctx *ctx, int limit)
{
	struct views_rows a = { p, 0 };

	tbuf_str(&p->b, "<table id=\"contests\" class=\"cards\"><thead><tr>"
	    "<th>contest</th><th>starts</th><th>ends</th><th>active</th>"
	    "</tr></thead><tbody>\n");
	if (lookup_contests(ctx, limit, contest_row, &a) == -1)
		p->err = 1;
	tbuf_str(&p->b, "</tbody></table>\n");
	if (a.n == 0)
		tbuf_str(&p->b, "<p>No contest yet.</p>\n");
}

char *
views_contests_page(struct award_ctx *ctx)
{
	struct page p;

	memset(&p, 0, sizeof(p));
	p.now = award_ctx_now(ctx);
	page_head(&p, "Contests");
	tbuf_str(&p.b, "<h2>Contests (newest first)</h2>\n<p>Open one for "
	    "its leaderboard and its totals.</p>\n");
	views_contests(&p, ctx, DASHBOARD_CONTESTS_ALL);
	return views_finish(&p);
}
