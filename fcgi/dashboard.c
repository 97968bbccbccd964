/*
 * The dashboard's overview page (dashboard_render): the summary strip,
 * search, the first rows of the queue, the last retry run, ledger totals,
 * the running contest's top 10, payments and contests. Every section links
 * on to the views of views.c and detail.c. The only state changes it
 * offers are the "Retry now" and "Acknowledge" forms, POSTs the routes
 * accept with Basic only from this page's own origin (routes.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"
#include "money.h"
#include "recstats.h"
#include "stats.h"
#include "views.h"

/* One box of the strip; alarm: red. */
static void
box_open(struct page *p, const char *id, const char *title, int alarm)
{
	tbuf_printf(&p->b, "<div id=\"%s\"%s><b>%s</b>", id,
	    alarm ? " class=\"alarm\"" : "", title);
}

/*
 * The summary strip: one look says whether anything needs an admin. The
 * retry box is green only when runs keep up and no dead row waits.
 */
static void
strip(struct page *p, const struct stats_summary *s,
    const struct recstats *rs)
{
	int64_t dead = s->dead - s->acked;

	tbuf_str(&p->b, "<div class=\"strip\" id=\"strip\">");
	box_open(p, "s-health", "Health", 0);
	tbuf_str(&p->b, "<span class=\"ok\" id=\"db-health\">databases "
	    "answering</span></div>");

	box_open(p, "s-contest", "Contest", !s->contest_running);
	if (s->contest_running) {
		tbuf_str(&p->b, "<span id=\"contest-id\">");
		tbuf_html(&p->b, s->contest_id);
		tbuf_str(&p->b, "</span> <span class=\"muted\">ends ");
		page_when(p, s->contest_ends_at);
		tbuf_str(&p->b, "</span>");
	} else
		tbuf_str(&p->b, "<span class=\"bad\" id=\"contest-id\">none "
		    "running</span>");
	tbuf_str(&p->b, "</div>");

	box_open(p, "s-queue", "Queue", dead > 0);
	tbuf_printf(&p->b, "<a href=\"" PAGE_PATH "?status=pending\">%lld "
	    "pending</a> · <a href=\"" PAGE_PATH "?status=dead\" class=\"%s\" "
	    "id=\"s-dead\">%lld dead</a>", (long long)s->pending,
	    dead > 0 ? "bad" : "ok", (long long)dead);
	if (s->acked > 0)
		tbuf_printf(&p->b, " <span class=\"muted\">(+%lld "
		    "acknowledged)</span>", (long long)s->acked);
	tbuf_str(&p->b, "</div>");

	box_open(p, "s-retry", "Last retry run", s->retry_stale);
	if (!s->run.present)
		tbuf_str(&p->b, "<span class=\"muted\">none yet</span>");
	else if (s->run.ended_ms >= 0)
		page_when_ms(p, s->run.ended_ms);
	/* A stopped run is cron health: it outranks rows that wait. */
	if (s->retry_stale)
		tbuf_str(&p->b, " <span class=\"bad\">stale</span>");
	else if (s->run.present && s->run.stopped)
		tbuf_str(&p->b, " <span class=\"amber\">stopped on an "
		    "outage</span>");
	else if (dead > 0)
		tbuf_printf(&p->b, " <span class=\"amber\">%lld dead row%s "
		    "wait%s for an admin</span>", (long long)dead,
		    dead == 1 ? "" : "s", dead == 1 ? "s" : "");
	else if (s->run.present)
		tbuf_str(&p->b, " <span class=\"ok\">keeping up</span>");
	else
		tbuf_str(&p->b, " <span class=\"muted\">is the cron job "
		    "installed?</span>");
	tbuf_str(&p->b, "</div>");

	/* Reconciliation (SPEC.md §11): red when stale. */
	box_open(p, "s-reconcile", "Last reconciliation", rs->stale);
	if (!rs->last.present)
		tbuf_str(&p->b, rs->configured ? "<span class=\"bad\">none "
		    "yet</span>" : "<span class=\"muted\">not configured"
		    "</span>");
	else {
		page_when(p, rs->last.finished_at);
		tbuf_printf(&p->b, " <span class=\"%s\">%s</span>",
		    rs->last.stopped ? "bad" : rs->stale ? "bad" : "ok",
		    rs->last.stopped ? "stopped" : rs->stale ? "stale" :
		    "completed");
	}
	tbuf_str(&p->b, "</div>");
	box_open(p, "s-backup", "Last backup", 0);
	if (s->backup_ms >= 0)
		page_when_ms(p, s->backup_ms);
	else
		tbuf_str(&p->b, "<span class=\"muted\">none recorded</span>");
	tbuf_str(&p->b, "</div>");
	tbuf_str(&p->b, "</div>\n");
}

static void
cron(struct page *p, const struct stats_summary *s)
{
	const struct stats_run *r = &s->run;

	tbuf_str(&p->b, "<h2>Cron health and the last retry run</h2>\n");
	if (s->retry_stale) {
		tbuf_printf(&p->b, "<p class=\"warn\" id=\"retry-stale\" "
		    "role=\"alert\">Retry is stale: %lld row%s pending and ",
		    (long long)s->pending, s->pending == 1 ? "" : "s");
		if (!r->present)
			tbuf_str(&p->b, "no retry run has ever finished.");
		else
			tbuf_str(&p->b, "no retry run finished in the last "
			    "15 minutes.");
		tbuf_str(&p->b, " Check the award-retry cron job.</p>\n");
	} else if (r->present && r->stopped) {
		tbuf_str(&p->b, "<p class=\"amber\" id=\"run-stopped\" "
		    "role=\"alert\">The last retry run stopped on an outage: ");
		tbuf_html(&p->b, r->stop_reason);
		tbuf_str(&p->b, ". The rows from there on wait for the next run; "
		    "if every run stops, the queue does not drain.</p>\n");
	} else if (s->dead - s->acked > 0)
		tbuf_printf(&p->b, "<p class=\"amber\" id=\"dead-waiting\">"
		    "Retry runs are on time, but %lld dead row%s get%s no more "
		    "attempts: fix the cause and Retry now, or Acknowledge."
		    "</p>\n", (long long)(s->dead - s->acked),
		    s->dead - s->acked == 1 ? "" : "s",
		    s->dead - s->acked == 1 ? "s" : "");
	else if (r->present)
		tbuf_str(&p->b, "<p class=\"ok\" id=\"retry-ok\">Retry runs "
		    "are keeping up.</p>\n");
	else
		/* Nothing waits, so not stale; but nothing says cron runs. */
		tbuf_str(&p->b, "<p class=\"muted\" id=\"retry-never\">No "
		    "retry run yet: nothing waits now, but check that the "
		    "award-retry cron job is installed.</p>\n");
	if (!r->present) {
		tbuf_str(&p->b, "<p id=\"last-run\">No retry run recorded "
		    "yet.</p>\n");
		return;
	}
	tbuf_str(&p->b, "<table id=\"last-run\" class=\"cards\"><thead><tr>"
	    "<th>started</th><th>ended</th><th>picked</th><th>awarded</th>"
	    "<th>failed</th><th>dead</th><th>duration</th><th>stopped</th>"
	    "</tr></thead><tbody><tr><td data-label=\"started\">");
	page_when(p, r->started_at);
	tbuf_str(&p->b, "</td><td data-label=\"ended\" id=\"run-ended\">");
	if (r->ended_ms >= 0)
		page_when_ms(p, r->ended_ms);
	else
		tbuf_str(&p->b, "—");
	tbuf_str(&p->b, "</td>");
	page_td_int(p, "picked", NULL, r->picked);
	page_td_int(p, "awarded", NULL, r->awarded);
	page_td_int(p, "failed", NULL, r->failed);
	page_td_int(p, "dead", NULL, r->dead);
	tbuf_printf(&p->b, "<td data-label=\"duration\" class=\"n\">%lld ms"
	    "</td>", (long long)r->duration_ms);
	tbuf_str(&p->b, r->stopped ? "<td data-label=\"stopped\" "
	    "class=\"bad\">" : "<td data-label=\"stopped\">");
	tbuf_html(&p->b, r->stopped ? r->stop_reason : "no, ran to the end");
	tbuf_str(&p->b, "</td></tr></tbody></table>\n");
}

/* Reconciliation (SPEC.md §11): the last run, what it ever recovered. */
static void
reconcile(struct page *p, const struct recstats *rs)
{
	const struct recstats_run *l = &rs->last;

	tbuf_str(&p->b, "<h2>Reconciliation with YooKassa</h2>\n");
	if (rs->stale)
		tbuf_str(&p->b, "<p class=\"warn\" id=\"reconcile-stale\" "
		    "role=\"alert\">Reconciliation is stale: no "
		    "award-reconcile run completed in the last 3 hours. Check "
		    "its cron job and the last run's stop reason.</p>\n");
	else if (!rs->configured)
		tbuf_str(&p->b, "<p id=\"reconcile-off\">Not configured "
		    "(AWARD_YOOKASSA_SHOP_ID and the secret key).</p>\n");
	tbuf_printf(&p->b, "<p id=\"reconcile-recovered\">Payments recovered "
	    "(awarded by reconciliation because their notification never "
	    "arrived), all time: <strong>%lld</strong>.</p>\n",
	    (long long)rs->recovered_total);
	if (!l->present) {
		tbuf_str(&p->b, "<p id=\"reconcile-last\">No reconciliation "
		    "run recorded yet.</p>\n");
		return;
	}
	tbuf_str(&p->b, "<table id=\"reconcile-last\" class=\"cards\">"
	    "<thead><tr><th>ended</th><th>since</th><th>payments</th>"
	    "<th>refunds</th><th>known</th><th>recovered</th><th>skipped</th>"
	    "<th>stopped</th></tr></thead><tbody><tr>"
	    "<td data-label=\"ended\">");
	page_when(p, l->finished_at);
	tbuf_str(&p->b, "</td><td data-label=\"since\">");
	page_when(p, l->since);
	tbuf_str(&p->b, "</td>");
	page_td_int(p, "payments", NULL, l->fetched_payments);
	page_td_int(p, "refunds", NULL, l->fetched_refunds);
	page_td_int(p, "known", NULL, l->known);
	page_td_int(p, "recovered", "recovered", l->awarded);
	page_td_int(p, "skipped", NULL, l->skipped);
	tbuf_str(&p->b, l->stopped ? "<td data-label=\"stopped\" "
	    "class=\"bad\">" : "<td data-label=\"stopped\">");
	tbuf_html(&p->b, l->stopped ? l->stop_reason : "no, ran to the end");
	tbuf_str(&p->b, "</td></tr></tbody></table>\n");
}

static void
counts(struct page *p, const struct stats_summary *s)
{
	tbuf_str(&p->b, "<h2>Retry queue by status</h2>\n<table id=\"queue-"
	    "counts\"><thead><tr><th>status</th><th>rows</th></tr></thead>"
	    "<tbody>\n");
	tbuf_printf(&p->b, "<tr><td data-label=\"status\"><a href=\"" PAGE_PATH
	    "?status=pending\">pending</a></td><td data-label=\"rows\" "
	    "class=\"n\" id=\"count-pending\">%lld</td></tr>\n"
	    "<tr><td data-label=\"status\"><a href=\"" PAGE_PATH
	    "?status=dead\">dead</a> <span class=\"muted\">(%lld "
	    "acknowledged)</span></td><td data-label=\"rows\" class=\"n%s\" "
	    "id=\"count-dead\">%lld</td></tr>\n"
	    "<tr><td data-label=\"status\"><a href=\"" PAGE_PATH
	    "?status=done\">done</a></td><td data-label=\"rows\" class=\"n\" "
	    "id=\"count-done\">%lld</td></tr>\n</tbody></table>\n",
	    (long long)s->pending, (long long)s->acked,
	    s->dead > s->acked ? " bad" : "", (long long)s->dead,
	    (long long)s->done);
	if (s->oldest_pending_ms >= 0) {
		tbuf_str(&p->b, "<p>Oldest pending row queued: ");
		page_when_ms(p, s->oldest_pending_ms);
		tbuf_str(&p->b, "</p>\n");
	}
}

static void
ledger(struct page *p, const struct stats_summary *s)
{
	tbuf_str(&p->b, "<h2>Ledger totals</h2>\n<p class=\"muted\">All time "
	    "and the last 24 hours; a contest's own totals are on its page "
	    "(Contests below).</p>\n");
	if (s->nledger == 0) {
		tbuf_str(&p->b, "<p>The ledger is empty.</p>\n");
		return;
	}
	tbuf_str(&p->b, "<table id=\"ledger\" class=\"cards\"><thead><tr>"
	    "<th>reason</th><th>rows</th><th>tickets</th><th>rows in the "
	    "last 24 h</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < s->nledger; i++) {
		const struct stats_group *g = &s->ledger[i];

		tbuf_str(&p->b, "<tr data-reason=\"");
		tbuf_html(&p->b, g->name);
		tbuf_str(&p->b, "\">");
		page_td(p, "reason", g->name);
		page_td_int(p, "rows", "rows", g->rows);
		page_td_int(p, "tickets", "tickets", g->tickets);
		page_td_int(p, "rows in the last 24 h", "day", g->rows_24h);
		tbuf_str(&p->b, "</tr>\n");
	}
	tbuf_str(&p->b, "</tbody></table>\n");
}

static void
top(struct page *p, struct award_ctx *ctx, const struct stats_summary *s)
{
	struct views_rows a = { p, 0 };

	tbuf_str(&p->b, "<h2>Top 10 of the running contest</h2>\n");
	if (!s->contest_running) {
		tbuf_str(&p->b, "<p>No contest is running.</p>\n");
		return;
	}
	tbuf_str(&p->b, "<table id=\"top\"><thead><tr><th>rank</th>"
	    "<th>telegram id</th><th>tickets</th></tr></thead><tbody>\n");
	if (stats_top(ctx, s->contest_id, DASHBOARD_TOP, views_board_row, &a) ==
	    STATS_ERROR)
		p->err = 1;
	tbuf_str(&p->b, "</tbody></table>\n");
	if (a.n == 0)
		tbuf_str(&p->b, "<p>No tickets yet.</p>\n");
	tbuf_str(&p->b, "<p><a href=\"" PAGE_PATH "?contest=");
	page_arg(p, s->contest_id);
	tbuf_str(&p->b, "\">Whole leaderboard and totals ›</a></p>\n");
}

static int
payment_row(void *arg, const struct stats_payment_row *r)
{
	struct views_rows	*a = arg;
	struct page	*p = a->p;
	int		 full = r->has_amount &&
			    money_refunded_in_full(r->amount_minor, r->refunded_minor);

	a->n++;
	tbuf_str(&p->b, "<tr>");
	page_td_link(p, "payment", "payment_id", r->payment_id);
	page_td_link(p, "order", "order_id", r->order_id);
	page_td_tg(p, "telegram id", 1, r->tg_id);
	page_td(p, "plan", r->plan_id);
	page_td_money(p, "amount", r->has_amount, r->amount_minor,
	    r->currency);
	page_td_money(p, "refunded", r->refunded_minor != 0,
	    r->refunded_minor, r->currency);
	tbuf_str(&p->b, "<td data-label=\"outcome\" class=\"outcome\">");
	/* No outcome yet: its award failed and waits in the queue. */
	tbuf_html(&p->b, r->outcome != NULL ? r->outcome : "queued");
	if (full)
		tbuf_str(&p->b, ", refunded");
	tbuf_str(&p->b, "</td><td data-label=\"seen\">");
	page_when(p, r->created_at);
	tbuf_str(&p->b, "</td></tr>\n");
	return 0;
}

static void
payments(struct page *p, struct award_ctx *ctx, const struct stats_summary *s)
{
	struct views_rows a = { p, 0 };

	tbuf_str(&p->b, "<h2>Payments</h2>\n<table id=\"payment-outcomes\">"
	    "<thead><tr><th>outcome</th><th>payments</th><th>refunded in "
	    "full</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < s->npayments; i++) {
		tbuf_str(&p->b, "<tr data-outcome=\"");
		tbuf_html(&p->b, s->payments[i].name);
		tbuf_str(&p->b, "\">");
		page_td(p, "outcome", strcmp(s->payments[i].name, "none") ==
		    0 ? "none yet (queued)" : s->payments[i].name);
		page_td_int(p, "payments", "payments", s->payments[i].rows);
		page_td_int(p, "refunded in full", "refunded",
		    s->payments[i].tickets);
		tbuf_str(&p->b, "</tr>\n");
	}
	tbuf_printf(&p->b, "</tbody></table>\n<h2>Latest payments</h2>\n"
	    "<p class=\"count\" id=\"payments-showing\">%s%lld of %lld</p>\n",
	    s->payments_total == 0 ? "none: " : "the latest ",
	    (long long)(s->payments_total < DASHBOARD_PAYMENTS ?
	    s->payments_total : DASHBOARD_PAYMENTS),
	    (long long)s->payments_total);
	if (s->payments_total == 0)
		return;
	tbuf_str(&p->b, "<table id=\"payments\" class=\"cards\"><thead><tr>"
	    "<th>payment</th><th>order</th><th>telegram id</th><th>plan</th>"
	    "<th>amount</th><th>refunded</th><th>outcome</th><th>seen</th>"
	    "</tr></thead><tbody>\n");
	if (stats_payments_latest(ctx, DASHBOARD_PAYMENTS, payment_row, &a) ==
	    -1)
		p->err = 1;
	tbuf_str(&p->b, "</tbody></table>\n");
}

char *
dashboard_render(struct award_ctx *ctx)
{
	struct stats_summary	*s;
	struct recstats		 rs;
	struct page		 p;
	char			*html;

	if ((s = malloc(sizeof(*s))) == NULL)
		return NULL;
	memset(&p, 0, sizeof(p));
	if (stats_summary(ctx, s) == -1 || recstats_read(ctx, &rs) == -1) {
		free(s);
		return NULL;
	}
	p.now = s->now_ms;
	page_head(&p, "Overview");
	strip(&p, s, &rs);
	views_search(&p);
	cron(&p, s);
	reconcile(&p, &rs);
	counts(&p, s);
	tbuf_str(&p.b, "<h2>Pending (newest first)</h2>\n");
	views_queue_table(&p, ctx, "pending", 0, DASHBOARD_OVERVIEW_ROWS,
	    s->pending, 0);
	tbuf_str(&p.b, "<h2>Dead (newest first)</h2>\n");
	views_queue_table(&p, ctx, "dead", 0, DASHBOARD_OVERVIEW_ROWS, s->dead,
	    0);
	ledger(&p, s);
	top(&p, ctx, s);
	payments(&p, ctx, s);
	tbuf_printf(&p.b, "<h2>Contests</h2>\n");
	views_contests(&p, ctx, DASHBOARD_CONTESTS);
	tbuf_str(&p.b, "<p><a href=\"" PAGE_PATH "?contests=all\">All "
	    "contests ›</a></p>\n");
	free(s);
	html = views_finish(&p);
	return html;
}
