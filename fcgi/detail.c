/*
 * The dashboard's detail view (dashboard_detail): what GET
 * /v1/admin/lookup answers (lookup.c), for people. Every id links to its
 * own detail (an order to its order, a buyer or an owner to their
 * telegram id, a contest to its leaderboard), so an admin can follow an
 * order from its payment to its ledger rows, its refunds, its queue row
 * with the attempts and who retried or acknowledged it, and the user's
 * tickets per contest. Read-only: a GET that writes nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dashboard.h"
#include "lookup.h"
#include "money.h"
#include "views.h"

/* Field name of item: its text, or NULL (missing, null, not a string). */
static const char *
str(const cJSON *item, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * Field name of item as an integer: lookup.c writes them as raw number
 * text (jsonw.h), exact beyond 2^53. *has 0 when missing or null.
 */
static int64_t
num(const cJSON *item, const char *name, int *has)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(item, name);
	long long	 n;

	*has = 0;
	if (cJSON_IsRaw(v) && v->valuestring != NULL &&
	    config_parse_int(v->valuestring, INT64_MIN, INT64_MAX, &n) == 0) {
		*has = 1;
		return n;
	}
	if (cJSON_IsNumber(v)) {
		*has = 1;
		return (int64_t)v->valuedouble;
	}
	return 0;
}

static void
td_when(struct page *p, const char *label, const char *iso)
{
	tbuf_printf(&p->b, "<td data-label=\"%s\">", label);
	page_when(p, iso);
	tbuf_str(&p->b, "</td>");
}

static void
td_num(struct page *p, const char *label, const cJSON *it, const char *name)
{
	int	has;
	int64_t	v = num(it, name, &has);

	if (has)
		page_td_int(p, label, NULL, v);
	else
		page_td(p, label, NULL);
}

static void
td_tg(struct page *p, const char *label, const cJSON *it, const char *name)
{
	int	has;
	int64_t	v = num(it, name, &has);

	page_td_tg(p, label, has, v);
}

static void
td_money(struct page *p, const char *label, const cJSON *it,
    const char *name)
{
	int	has;
	int64_t	v = num(it, name, &has);

	page_td_money(p, label, has, v, str(it, "currency"));
}

/* An h2, and the table's head, or "none" when list is empty. */
static int
section(struct page *p, const cJSON *list, const char *id, const char *title,
    const char *heads)
{
	int n = cJSON_GetArraySize(list);

	tbuf_printf(&p->b, "<h2>%s <span class=\"muted\">(%d)</span></h2>\n",
	    title, n);
	if (n == 0) {
		tbuf_printf(&p->b, "<p id=\"%s-none\" class=\"muted\">none"
		    "</p>\n", id);
		return 0;
	}
	tbuf_printf(&p->b, "<table id=\"%s\" class=\"cards\"><thead><tr>%s"
	    "</tr></thead><tbody>\n", id, heads);
	return 1;
}

static void
payments(struct page *p, const cJSON *list)
{
	const cJSON	*it;
	int64_t		 amount;
	int		 has;

	if (!section(p, list, "d-payments", "Payments", "<th>payment</th>"
	    "<th>order</th><th>buyer</th><th>plan</th><th>amount</th>"
	    "<th>refunded</th><th>outcome</th><th>order time</th>"
	    "<th>seen</th>"))
		return;
	cJSON_ArrayForEach(it, list) {
		tbuf_str(&p->b, "<tr>");
		page_td_link(p, "payment", "payment_id", str(it, "payment_id"));
		page_td_link(p, "order", "order_id", str(it, "order_id"));
		td_tg(p, "buyer", it, "telegram_id");
		page_td(p, "plan", str(it, "plan_id"));
		td_money(p, "amount", it, "amount_minor");
		td_money(p, "refunded", it, "refunded_minor");
		tbuf_str(&p->b, "<td data-label=\"outcome\" class=\"outcome\">");
		tbuf_html(&p->b, str(it, "outcome") != NULL ?
		    str(it, "outcome") : "queued");
		/* As the overview says it (dashboard.c, payment_row). */
		amount = num(it, "amount_minor", &has);
		if (has && money_refunded_in_full(amount,
		    num(it, "refunded_minor", &has)) && has)
			tbuf_str(&p->b, ", refunded");
		tbuf_str(&p->b, "</td>");
		td_when(p, "order time", str(it, "order_created_at"));
		td_when(p, "seen", str(it, "created_at"));
		tbuf_str(&p->b, "</tr>\n");
	}
	tbuf_str(&p->b, "</tbody></table>\n");
}

static void
refunds(struct page *p, const cJSON *list)
{
	const cJSON *it;

	if (!section(p, list, "d-refunds", "Refunds", "<th>refund</th>"
	    "<th>payment</th><th>amount</th><th>status</th><th>seen</th>"))
		return;
	cJSON_ArrayForEach(it, list) {
		tbuf_str(&p->b, "<tr>");
		tbuf_str(&p->b, "<td data-label=\"refund\"><code class=\"id\">");
		tbuf_html(&p->b, str(it, "refund_id"));
		tbuf_str(&p->b, "</code></td>");
		page_td_link(p, "payment", "payment_id", str(it, "payment_id"));
		td_money(p, "amount", it, "amount_minor");
		page_td(p, "status", str(it, "status"));
		td_when(p, "seen", str(it, "created_at"));
		tbuf_str(&p->b, "</tr>\n");
	}
	tbuf_str(&p->b, "</tbody></table>\n");
}

static void
ledger(struct page *p, const cJSON *list)
{
	const cJSON *it;

	if (!section(p, list, "d-ledger", "Ledger rows", "<th>row</th>"
	    "<th>reason</th><th>owner</th><th>buyer</th><th>order</th>"
	    "<th>contest</th><th>tickets</th><th>written</th>"))
		return;
	cJSON_ArrayForEach(it, list) {
		tbuf_str(&p->b, "<tr>");
		tbuf_str(&p->b, "<td data-label=\"row\"><code class=\"id\">");
		tbuf_html(&p->b, str(it, "id"));
		tbuf_str(&p->b, "</code></td>");
		page_td(p, "reason", str(it, "reason"));
		td_tg(p, "owner", it, "owner_id");
		td_tg(p, "buyer", it, "buyer_id");
		page_td_link(p, "order", "order_id", str(it, "order_id"));
		page_td_contest(p, "contest", str(it, "contest_id"));
		td_num(p, "tickets", it, "delta");
		td_when(p, "written", str(it, "created_at"));
		tbuf_str(&p->b, "</tr>\n");
	}
	tbuf_str(&p->b, "</tbody></table>\n");
}

/* "who" and when of an admin action, or a dash. */
static void
who(struct page *p, const char *verb, const char *by, const char *at)
{
	if (at == NULL) {
		tbuf_str(&p->b, "<span class=\"muted\">—</span>");
		return;
	}
	tbuf_printf(&p->b, "%s by <b>", verb);
	tbuf_html(&p->b, by != NULL ? by : "?");
	tbuf_str(&p->b, "</b> ");
	page_when(p, at);
}

static void
queue(struct page *p, const cJSON *list)
{
	const cJSON	*it;
	int		 has;

	if (!section(p, list, "d-queue", "Retry queue rows", "<th>id</th>"
	    "<th>kind</th><th>for</th><th>status</th><th>attempts</th>"
	    "<th>last error</th><th>last attempt</th><th>acknowledged</th>"
	    "<th>retried</th><th></th>"))
		return;
	cJSON_ArrayForEach(it, list) {
		const char	*st = str(it, "status");
		int64_t		 id = num(it, "id", &has);

		tbuf_printf(&p->b, "<tr data-id=\"%lld\">", (long long)id);
		page_td_int(p, "id", NULL, id);
		page_td(p, "kind", str(it, "kind"));
		/* Which order, or which refund of which payment. */
		tbuf_str(&p->b, "<td data-label=\"for\" class=\"for\">");
		if (str(it, "refund_id") != NULL) {
			tbuf_str(&p->b, "refund <span class=\"k\">");
			tbuf_html(&p->b, str(it, "refund_id"));
			tbuf_str(&p->b, "</span> of ");
			page_link(p, "payment_id", str(it, "payment_id"));
		} else
			page_link(p, "order_id", str(it, "order_id"));
		tbuf_str(&p->b, "</td>");
		tbuf_printf(&p->b, "<td data-label=\"status\"%s>",
		    st != NULL && strcmp(st, "dead") == 0 &&
		    str(it, "acknowledged_at") == NULL ? " class=\"bad\"" :
		    "");
		tbuf_html(&p->b, st);
		if (str(it, "outcome") != NULL) {
			tbuf_str(&p->b, " (");
			tbuf_html(&p->b, str(it, "outcome"));
			tbuf_str(&p->b, ")");
		}
		tbuf_str(&p->b, "</td>");
		td_num(p, "attempts", it, "attempts");
		tbuf_str(&p->b, "<td data-label=\"last error\" class=\"e\">");
		tbuf_html(&p->b, str(it, "last_error") != NULL ?
		    str(it, "last_error") : "—");
		tbuf_str(&p->b, "</td>");
		td_when(p, "last attempt", str(it, "last_attempt_at"));
		tbuf_str(&p->b, "<td data-label=\"acknowledged\" class=\"ackd\">");
		who(p, "acknowledged", str(it, "acknowledged_by"),
		    str(it, "acknowledged_at"));
		tbuf_str(&p->b, "</td><td data-label=\"retried\" "
		    "class=\"requeued\">");
		who(p, "retried", str(it, "requeued_by"),
		    str(it, "requeued_at"));
		tbuf_str(&p->b, "</td><td data-label=\"action\">");
		page_row_actions(p, id, st != NULL ? st : "",
		    str(it, "acknowledged_at") != NULL);
		tbuf_str(&p->b, "</td></tr>\n");
	}
	tbuf_str(&p->b, "</tbody></table>\n");
}

static void
tickets(struct page *p, const cJSON *list)
{
	const cJSON *it;

	if (!section(p, list, "d-tickets", "Tickets per contest",
	    "<th>contest</th><th>tickets</th><th>ledger rows</th>"))
		return;
	cJSON_ArrayForEach(it, list) {
		tbuf_str(&p->b, "<tr>");
		page_td_contest(p, "contest", str(it, "contest_id"));
		td_num(p, "tickets", it, "tickets");
		td_num(p, "ledger rows", it, "rows");
		tbuf_str(&p->b, "</tr>\n");
	}
	tbuf_str(&p->b, "</tbody></table>\n");
}

char *
dashboard_detail(struct award_ctx *ctx, enum lookup_key key,
    const char *text, int64_t tg)
{
	struct page	 p;
	cJSON		*o;
	char		 num_buf[24];

	if ((o = lookup_run(ctx, key, text, tg)) == NULL)
		return NULL;
	memset(&p, 0, sizeof(p));
	p.now = award_ctx_now(ctx);
	page_head(&p, "Detail");
	views_search(&p);
	tbuf_printf(&p.b, "<h2 id=\"detail\">%s <code class=\"id\">",
	    key == LOOKUP_ORDER ? "Order" : key == LOOKUP_PAYMENT ?
	    "Payment" : "Telegram id");
	if (key == LOOKUP_TELEGRAM) {
		snprintf(num_buf, sizeof(num_buf), "%lld", (long long)tg);
		text = num_buf;
	}
	tbuf_html(&p.b, text);
	tbuf_printf(&p.b, "</code></h2>\n<p class=\"muted\">The same as JSON: "
	    "<a href=\"/v1/admin/lookup?%s=", lookup_key_name(key));
	page_arg(&p, text);
	tbuf_str(&p.b, "\">/v1/admin/lookup</a></p>\n");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "truncated")))
		tbuf_printf(&p.b, "<p class=\"warn\">A list was cut at %d "
		    "rows.</p>\n", LOOKUP_ROWS_MAX);
	if (key == LOOKUP_TELEGRAM)
		tickets(&p, cJSON_GetObjectItemCaseSensitive(o, "tickets"));
	payments(&p, cJSON_GetObjectItemCaseSensitive(o, "payments"));
	ledger(&p, cJSON_GetObjectItemCaseSensitive(o, "ledger"));
	refunds(&p, cJSON_GetObjectItemCaseSensitive(o, "refunds"));
	queue(&p, cJSON_GetObjectItemCaseSensitive(o, "queue"));
	cJSON_Delete(o);
	return views_finish(&p);
}

char *
dashboard_refused(struct award_ctx *ctx, const char *why)
{
	struct page p;

	memset(&p, 0, sizeof(p));
	p.now = award_ctx_now(ctx);
	page_head(&p, "Search refused");
	tbuf_str(&p.b, "<p class=\"warn\" id=\"refused\">");
	tbuf_html(&p.b, why);
	tbuf_str(&p.b, "</p>\n");
	views_search(&p);
	return views_finish(&p);
}
