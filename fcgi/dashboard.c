/*
 * The admin dashboard page (dashboard.h). Layout: one column of sections
 * that reads at 390 px (tables become one card per row under 720 px, long
 * values wrap) and at 1280 px. The only state change it offers is the
 * requeue form, a POST the route accepts with Basic only from this page's
 * own origin (routes.c, requeue_guard).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atime.h"
#include "dashboard.h"
#include "recstats.h"
#include "stats.h"
#include "textbuf.h"

/* base64 of the SHA-256 of STYLE */
#define DASHBOARD_STYLE_HASH "ghf3TC1eZ5Ujn4feXedu15O95w+V9gaM56Hu21aTe70="

/*
 * The page's whole style. Its SHA-256 (base64) is in dashboard_csp: change
 * one, change the other (`printf %s "$STYLE" | openssl dgst -sha256
 * -binary | base64`).
 */
#define STYLE								\
	"body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;"	\
	"max-width:1240px;padding:12px;color:#1a1a1a;background:#fafafa}"\
	"h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;"		\
	"margin:1.4em 0 .4em}"						\
	"table{border-collapse:collapse;width:100%;background:#fff}"	\
	"th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;"	\
	"vertical-align:top;overflow-wrap:anywhere}"			\
	"th{background:#f0f0f0;white-space:nowrap}"			\
	"td.n{text-align:right;white-space:nowrap}td.k{white-space:nowrap}"\
	".warn{background:#fde2e1;border:2px solid #c62828;color:#7f0000;"\
	"padding:8px 10px;font-weight:bold}"				\
	".ok{color:#1b5e20}.bad{color:#b71c1c;font-weight:bold}"	\
	".muted{color:#666}.count{margin:.2em 0;color:#444}"		\
	"form{margin:0}button{font:inherit;padding:4px 10px;"		\
	"cursor:pointer;white-space:nowrap}"				\
	"@media (max-width:720px){th{white-space:normal}.cards,.cards tbody,.cards tr,.cards td{"\
	"display:block;width:auto}.cards thead{display:none}"		\
	".cards tr{border:1px solid #ccc;margin:0 0 8px;padding:4px;"	\
	"background:#fff}.cards td{border:0;padding:2px 4px}"		\
	".cards td.n{text-align:left}.cards td::before{"		\
	"content:attr(data-label) \": \";font-weight:bold;color:#555}}"

const char dashboard_csp[] = "default-src 'none'; "
    "style-src 'sha256-" DASHBOARD_STYLE_HASH "'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

struct page {
	struct tbuf	 b;
	int64_t		 now;
	int		 err;
};

/* "N s/min/h/days ago" (or "in ...") between ms and now. */
static void
relative(struct tbuf *b, int64_t ms, int64_t now)
{
	int64_t	d = now - ms, a = d < 0 ? -d : d;
	const char *pre = d < 0 ? "in " : "", *post = d < 0 ? "" : " ago";

	a /= 1000;
	if (a < 120)
		tbuf_printf(b, "%s%lld s%s", pre, (long long)a, post);
	else if (a < 3 * 3600)
		tbuf_printf(b, "%s%lld min%s", pre, (long long)(a / 60), post);
	else if (a < 72 * 3600)
		tbuf_printf(b, "%s%lld h%s", pre, (long long)(a / 3600), post);
	else
		tbuf_printf(b, "%s%lld days%s", pre, (long long)(a / 86400),
		    post);
}

/* A time from the database: UTC ISO-8601 and how long ago; raw if odd. */
static void
when(struct page *p, const char *s)
{
	char	buf[ATIME_BUFSZ];
	int64_t	ms;

	if (s == NULL || *s == '\0') {
		tbuf_str(&p->b, "<span class=\"muted\">—</span>");
		return;
	}
	if (atime_parse(s, &ms) == -1) {
		tbuf_html(&p->b, s);
		return;
	}
	atime_format(ms, buf);
	tbuf_printf(&p->b, "<time datetime=\"%s\">%s</time> <span "
	    "class=\"muted\">(", buf, buf);
	relative(&p->b, ms, p->now);
	tbuf_str(&p->b, ")</span>");
}

static void
when_ms(struct page *p, int64_t ms)
{
	char buf[ATIME_BUFSZ];

	atime_format(ms, buf);
	when(p, buf);
}

/* <td data-label="label"> with text escaped. */
static void
td(struct page *p, const char *label, const char *text)
{
	tbuf_printf(&p->b, "<td data-label=\"%s\">", label);
	if (text == NULL)
		tbuf_str(&p->b, "<span class=\"muted\">—</span>");
	else
		tbuf_html(&p->b, text);
	tbuf_str(&p->b, "</td>");
}

static void
td_int(struct page *p, const char *label, const char *cls, int64_t v)
{
	tbuf_printf(&p->b, "<td data-label=\"%s\" class=\"n%s%s\">%lld</td>",
	    label, cls != NULL ? " " : "", cls != NULL ? cls : "",
	    (long long)v);
}

/* "showing n of total" above a table, or "none". */
static void
showing(struct page *p, const char *id, int64_t shown, int64_t total)
{
	tbuf_printf(&p->b, "<p class=\"count\" id=\"%s\">", id);
	if (total == 0)
		tbuf_str(&p->b, "none</p>\n");
	else
		tbuf_printf(&p->b, "showing %lld of %lld</p>\n",
		    (long long)shown, (long long)total);
}

static void
head(struct page *p)
{
	char buf[ATIME_BUFSZ];

	atime_format(p->now, buf);
	tbuf_str(&p->b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">"
	    "<meta name=\"referrer\" content=\"same-origin\">"
	    "<title>award admin</title><style>" STYLE "</style></head>\n"
	    "<body>\n<h1>award — admin console</h1>\n");
	tbuf_printf(&p->b, "<p class=\"muted\">Page made at <time "
	    "id=\"now\" datetime=\"%s\">%s</time> (UTC). Reload to refresh."
	    "</p>\n", buf, buf);
}

static void
health(struct page *p, const struct stats_summary *s)
{
	tbuf_str(&p->b, "<h2>Health</h2>\n<ul>\n<li>Databases: "
	    "<span class=\"ok\" id=\"db-health\">answering</span></li>\n"
	    "<li>Contest running now: ");
	if (s->contest_running) {
		tbuf_str(&p->b, "<b id=\"contest-id\">");
		tbuf_html(&p->b, s->contest_id);
		tbuf_str(&p->b, "</b>, ends ");
		when(p, s->contest_ends_at);
	} else
		tbuf_str(&p->b, "<span class=\"bad\" id=\"contest-id\">"
		    "none</span>");
	tbuf_str(&p->b, "</li>\n</ul>\n");
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
	} else
		tbuf_str(&p->b, "<p class=\"ok\" id=\"retry-ok\">Retry runs "
		    "are keeping up.</p>\n");
	if (!r->present) {
		tbuf_str(&p->b, "<p id=\"last-run\">No retry run recorded "
		    "yet.</p>\n");
		return;
	}
	tbuf_str(&p->b, "<table id=\"last-run\" class=\"cards\"><thead><tr><th>started</th>"
	    "<th>ended</th><th>picked</th><th>awarded</th><th>failed</th>"
	    "<th>dead</th><th>duration</th><th>stopped</th></tr></thead>"
	    "<tbody><tr><td data-label=\"started\">");
	when(p, r->started_at);
	tbuf_str(&p->b, "</td><td data-label=\"ended\" id=\"run-ended\">");
	if (r->ended_ms >= 0)
		when_ms(p, r->ended_ms);
	else
		tbuf_str(&p->b, "—");
	tbuf_str(&p->b, "</td>");
	td_int(p, "picked", NULL, r->picked);
	td_int(p, "awarded", NULL, r->awarded);
	td_int(p, "failed", NULL, r->failed);
	td_int(p, "dead", NULL, r->dead);
	tbuf_printf(&p->b, "<td data-label=\"duration\" class=\"n\">%lld ms"
	    "</td>", (long long)r->duration_ms);
	if (r->stopped)
		tbuf_str(&p->b, "<td data-label=\"stopped\" class=\"bad\">");
	else
		tbuf_str(&p->b, "<td data-label=\"stopped\">");
	tbuf_html(&p->b, r->stopped ? r->stop_reason : "no, ran to the end");
	tbuf_str(&p->b, "</td></tr></tbody></table>\n");
}

/* Reconciliation (SPEC.md §11): the last run, what it ever recovered. */
static void
reconcile(struct page *p, struct award_ctx *ctx)
{
	struct recstats			 rs;
	const struct recstats_run	*l = &rs.last;

	if (recstats_read(ctx, &rs) == -1) {
		p->err = 1;
		return;
	}
	tbuf_str(&p->b, "<h2>Reconciliation with YooKassa</h2>\n");
	if (rs.stale)
		tbuf_str(&p->b, "<p class=\"warn\" id=\"reconcile-stale\" "
		    "role=\"alert\">Reconciliation is stale: no "
		    "award-reconcile run completed in the last 3 hours. Check "
		    "its cron job and the last run's stop reason.</p>\n");
	else if (!rs.configured)
		tbuf_str(&p->b, "<p id=\"reconcile-off\">Not configured "
		    "(AWARD_YOOKASSA_SHOP_ID and the secret key).</p>\n");
	tbuf_printf(&p->b, "<p id=\"reconcile-recovered\">Payments recovered "
	    "(awarded by reconciliation because their notification never "
	    "arrived), all time: <strong>%lld</strong>.</p>\n",
	    (long long)rs.recovered_total);
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
	when(p, l->finished_at);
	tbuf_str(&p->b, "</td><td data-label=\"since\">");
	when(p, l->since);
	tbuf_str(&p->b, "</td>");
	td_int(p, "payments", NULL, l->fetched_payments);
	td_int(p, "refunds", NULL, l->fetched_refunds);
	td_int(p, "known", NULL, l->known);
	td_int(p, "recovered", "recovered", l->awarded);
	td_int(p, "skipped", NULL, l->skipped);
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
	tbuf_printf(&p->b, "<tr><td data-label=\"status\">pending</td>"
	    "<td data-label=\"rows\" class=\"n\" id=\"count-pending\">%lld"
	    "</td></tr>\n<tr><td data-label=\"status\">dead</td>"
	    "<td data-label=\"rows\" class=\"n\" id=\"count-dead\">%lld"
	    "</td></tr>\n<tr><td data-label=\"status\">done</td>"
	    "<td data-label=\"rows\" class=\"n\" id=\"count-done\">%lld"
	    "</td></tr>\n</tbody></table>\n", (long long)s->pending,
	    (long long)s->dead, (long long)s->done);
	if (s->oldest_pending_ms >= 0) {
		tbuf_str(&p->b, "<p>Oldest pending row queued ");
		when_ms(p, s->oldest_pending_ms);
		tbuf_str(&p->b, ".</p>\n");
	}
}

struct rows_arg {
	struct page	*p;
	int64_t		 n;
};

static int
queue_row(void *arg, const struct stats_queue_row *r)
{
	struct rows_arg	*a = arg;
	struct page	*p = a->p;
	char		 tg[24];
	int		 dead = strcmp(r->status, "dead") == 0;

	a->n++;
	tbuf_printf(&p->b, "<tr data-id=\"%lld\">", (long long)r->id);
	td_int(p, "id", NULL, r->id);
	tbuf_printf(&p->b, "<td data-label=\"kind\" class=\"k\">%s</td>",
	    strcmp(r->kind, "refund") == 0 ? "refund" : "award");
	td(p, "order", r->order_id);
	snprintf(tg, sizeof(tg), "%lld", (long long)r->tg_id);
	td(p, "telegram id", r->has_tg ? tg : NULL);
	td(p, "plan", r->plan_id);
	td_int(p, "attempts", NULL, r->attempts);
	td(p, "last error", r->error);
	tbuf_str(&p->b, "<td data-label=\"last attempt\">");
	when(p, r->last_attempt_at);
	tbuf_str(&p->b, "</td><td data-label=\"next attempt\">");
	if (dead)
		tbuf_str(&p->b, "<span class=\"muted\">none (dead)</span>");
	else
		when(p, r->next_attempt_at);
	tbuf_printf(&p->b, "</td><td data-label=\"action\"><form method=\"post\""
	    " action=\"/v1/admin/failed-awards/%lld/retry\"><button "
	    "type=\"submit\">Retry now</button></form></td></tr>\n",
	    (long long)r->id);
	return 0;
}

static void
queue(struct page *p, struct award_ctx *ctx, const char *status,
    const char *title, int64_t total)
{
	struct rows_arg	a = { p, 0 };
	struct tbuf	save;

	tbuf_printf(&p->b, "<h2>%s</h2>\n", title);
	/* The rows first, into a buffer of their own: the count goes above. */
	save = p->b;
	p->b = (struct tbuf)TBUF_INIT;
	if (stats_queue_rows(ctx, status, DASHBOARD_ROWS, queue_row, &a) ==
	    -1)
		p->err = 1;
	{
		struct tbuf	 rows = p->b;
		char		*text;
		char		 id[32];

		p->b = save;
		snprintf(id, sizeof(id), "%s-showing", status);
		showing(p, id, a.n, total > a.n ? total : a.n);
		text = tbuf_finish(&rows);
		if (text == NULL && a.n > 0)
			p->b.failed = 1;
		if (a.n > 0) {
			tbuf_printf(&p->b, "<table id=\"%s-rows\" class=\"cards\"><thead><tr>"
			    "<th>id</th><th>kind</th><th>order</th>"
			    "<th>telegram id</th><th>plan</th><th>attempts"
			    "</th><th>last error</th><th>last attempt</th>"
			    "<th>next attempt</th><th></th></tr></thead>"
			    "<tbody>\n", status);
			if (text != NULL)
				tbuf_str(&p->b, text);
			tbuf_str(&p->b, "</tbody></table>\n");
		}
		free(text);
	}
}

static void
ledger(struct page *p, const struct stats_summary *s)
{
	tbuf_str(&p->b, "<h2>Ledger totals</h2>\n");
	if (s->nledger == 0) {
		tbuf_str(&p->b, "<p>The ledger is empty.</p>\n");
		return;
	}
	tbuf_str(&p->b, "<table id=\"ledger\" class=\"cards\"><thead><tr><th>reason</th>"
	    "<th>rows</th><th>tickets</th><th>rows in the last 24 h</th>"
	    "</tr></thead><tbody>\n");
	for (size_t i = 0; i < s->nledger; i++) {
		const struct stats_group *g = &s->ledger[i];

		tbuf_str(&p->b, "<tr data-reason=\"");
		tbuf_html(&p->b, g->name);
		tbuf_str(&p->b, "\">");
		td(p, "reason", g->name);
		td_int(p, "rows", "rows", g->rows);
		td_int(p, "tickets", "tickets", g->tickets);
		td_int(p, "rows in the last 24 h", "day", g->rows_24h);
		tbuf_str(&p->b, "</tr>\n");
	}
	tbuf_str(&p->b, "</tbody></table>\n");
}

static int
top_row(void *arg, int64_t owner, int64_t tickets)
{
	struct rows_arg	*a = arg;

	a->n++;
	tbuf_str(&a->p->b, "<tr>");
	td_int(a->p, "rank", NULL, a->n);
	td_int(a->p, "telegram id", "owner", owner);
	td_int(a->p, "tickets", "tickets", tickets);
	tbuf_str(&a->p->b, "</tr>\n");
	return 0;
}

static void
top(struct page *p, struct award_ctx *ctx, const struct stats_summary *s)
{
	struct rows_arg a = { p, 0 };

	tbuf_str(&p->b, "<h2>Top 10 of the running contest</h2>\n");
	if (!s->contest_running) {
		tbuf_str(&p->b, "<p>No contest is running.</p>\n");
		return;
	}
	tbuf_str(&p->b, "<table id=\"top\"><thead><tr><th>rank</th>"
	    "<th>telegram id</th><th>tickets</th></tr></thead><tbody>\n");
	if (stats_top(ctx, s->contest_id, DASHBOARD_TOP, top_row, &a) == -1)
		p->err = 1;
	tbuf_str(&p->b, "</tbody></table>\n");
	if (a.n == 0)
		tbuf_str(&p->b, "<p>No tickets yet.</p>\n");
}

static void
money(struct page *p, const char *label, int has, int64_t minor,
    const char *currency)
{
	tbuf_printf(&p->b, "<td data-label=\"%s\" class=\"n\">", label);
	if (!has)
		tbuf_str(&p->b, "—");
	else {
		tbuf_printf(&p->b, "%s%lld.%02lld ", minor < 0 ? "-" : "",
		    (long long)(minor < 0 ? -minor : minor) / 100,
		    (long long)(minor < 0 ? -minor : minor) % 100);
		tbuf_html(&p->b, currency);
	}
	tbuf_str(&p->b, "</td>");
}

static int
payment_row(void *arg, const struct stats_payment_row *r)
{
	struct rows_arg	*a = arg;
	struct page	*p = a->p;
	char		 tg[24];
	int		 full = r->has_amount && r->amount_minor > 0 &&
			    r->refunded_minor >= r->amount_minor;

	a->n++;
	tbuf_str(&p->b, "<tr>");
	td(p, "payment", r->payment_id);
	td(p, "order", r->order_id);
	snprintf(tg, sizeof(tg), "%lld", (long long)r->tg_id);
	td(p, "telegram id", tg);
	td(p, "plan", r->plan_id);
	money(p, "amount", r->has_amount, r->amount_minor, r->currency);
	money(p, "refunded", r->refunded_minor != 0, r->refunded_minor,
	    r->currency);
	tbuf_str(&p->b, "<td data-label=\"outcome\" class=\"outcome\">");
	tbuf_html(&p->b, r->outcome != NULL ? r->outcome : "none yet");
	if (full)
		tbuf_str(&p->b, ", refunded");
	tbuf_str(&p->b, "</td><td data-label=\"seen\">");
	when(p, r->created_at);
	tbuf_str(&p->b, "</td></tr>\n");
	return 0;
}

static void
payments(struct page *p, struct award_ctx *ctx, const struct stats_summary *s)
{
	struct rows_arg a = { p, 0 };

	tbuf_str(&p->b, "<h2>Payments</h2>\n<table id=\"payment-outcomes\">"
	    "<thead><tr><th>outcome</th><th>payments</th><th>refunded in "
	    "full</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < s->npayments; i++) {
		tbuf_str(&p->b, "<tr data-outcome=\"");
		tbuf_html(&p->b, s->payments[i].name);
		tbuf_str(&p->b, "\">");
		td(p, "outcome", s->payments[i].name);
		td_int(p, "payments", "payments", s->payments[i].rows);
		td_int(p, "refunded in full", "refunded",
		    s->payments[i].tickets);
		tbuf_str(&p->b, "</tr>\n");
	}
	tbuf_str(&p->b, "</tbody></table>\n<h2>Latest payments</h2>\n");
	showing(p, "payments-showing", s->payments_total < DASHBOARD_PAYMENTS ?
	    s->payments_total : DASHBOARD_PAYMENTS, s->payments_total);
	if (s->payments_total == 0)
		return;
	tbuf_str(&p->b, "<table id=\"payments\" class=\"cards\"><thead><tr><th>payment</th>"
	    "<th>order</th><th>telegram id</th><th>plan</th><th>amount</th>"
	    "<th>refunded</th><th>outcome</th><th>seen</th></tr></thead>"
	    "<tbody>\n");
	if (stats_payments_latest(ctx, DASHBOARD_PAYMENTS, payment_row, &a) ==
	    -1)
		p->err = 1;
	tbuf_str(&p->b, "</tbody></table>\n");
}

char *
dashboard_render(struct award_ctx *ctx)
{
	struct stats_summary	*s;
	struct page		 p;
	char			*html;

	if ((s = malloc(sizeof(*s))) == NULL)
		return NULL;
	memset(&p, 0, sizeof(p));
	if (stats_summary(ctx, s) == -1) {
		free(s);
		return NULL;
	}
	p.now = s->now_ms;
	head(&p);
	health(&p, s);
	cron(&p, s);
	reconcile(&p, ctx);
	counts(&p, s);
	queue(&p, ctx, "pending", "Pending (newest first)", s->pending);
	queue(&p, ctx, "dead", "Dead (newest first)", s->dead);
	ledger(&p, s);
	top(&p, ctx, s);
	payments(&p, ctx, s);
	tbuf_str(&p.b, "</body></html>\n");
	free(s);
	html = tbuf_finish(&p.b);
	if (p.err) {
		free(html);
		return NULL;
	}
	return html;
}
