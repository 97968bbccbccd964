/*
 * Shared parts of the admin pages (page.h). Layout: one column that reads
 * at 390 px (tables become one card per row under 720 px) and at 1280 px.
 * Ids are set in <code class="id">, kept whole on wide screens (never cut
 * mid-token) and allowed to wrap only on narrow ones, where a card has
 * room for one per line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atime.h"
#include "page.h"

/* base64 of the SHA-256 of STYLE */
#define PAGE_STYLE_HASH "sAF2/2ENwHDslF6afTY1NlOlxaMy4m0j+RrmY+ZNyI0="

/*
 * The pages' whole style. Its SHA-256 (base64) is in page_csp: change
 * one, change the other (`printf %s "$STYLE" | openssl dgst -sha256
 * -binary | base64`; test_console.sh says the right one when they differ).
 */
#define STYLE								\
	"body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;"	\
	"max-width:1240px;padding:12px;color:#1a1a1a;background:#fafafa}"\
	"h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;"		\
	"margin:1.4em 0 .4em}a{color:#0b57d0}"				\
	"table{border-collapse:collapse;width:100%;background:#fff}"	\
	"th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;"	\
	"vertical-align:top}td.e{overflow-wrap:anywhere;min-width:8em}"	\
	"td.who,td.ackd,td.requeued{overflow-wrap:anywhere;"		\
	"min-width:8em}"						\
	"th{background:#f0f0f0;white-space:nowrap}"			\
	"td.n{text-align:right;white-space:nowrap}td.k{white-space:nowrap}"\
	"code.id{font:13px/1.3 ui-monospace,monospace}"			\
	".ago{display:block;color:#666;"				\
	"font-size:.85em;white-space:nowrap}"				\
	".warn{background:#fde2e1;border:2px solid #c62828;color:#7f0000;"\
	"padding:8px 10px;font-weight:bold}"				\
	".ok{color:#1b5e20}.bad{color:#b71c1c;font-weight:bold}"	\
	".amber{color:#8a4b00;font-weight:bold}"			\
	".muted{color:#666}.count{margin:.2em 0;color:#444}"		\
	".strip{display:flex;flex-wrap:wrap;gap:8px;margin:.6em 0}"	\
	".strip>div{flex:1 1 170px;background:#fff;border:1px solid #ccc;"\
	"border-radius:4px;padding:6px 8px}.strip b{display:block;"	\
	"font-size:.8em;color:#555;text-transform:uppercase}"		\
	".strip .alarm{border:2px solid #c62828;background:#fde2e1}"	\
	"nav a{margin-right:1em}.pager a,.pager span{margin-right:.8em}"\
	"form{margin:0}form.s{display:inline-flex;gap:4px;margin:0 12px "\
	"6px 0}input{font:inherit;padding:3px 6px;width:14em;max-width:"	\
	"60vw}button{font:inherit;padding:4px 10px;cursor:pointer;"	\
	"white-space:nowrap}td form{margin:0 0 4px}"\
	"@media (max-width:720px){th{white-space:normal}"		\
	"code.id{white-space:normal;overflow-wrap:anywhere}"		\
	".cards,.cards tbody,.cards tr,.cards td{display:block;"		\
	"width:auto}.cards thead{display:none}"				\
	".cards tr{border:1px solid #ccc;margin:0 0 8px;padding:4px;"	\
	"background:#fff}.cards td{border:0;padding:2px 4px}"		\
	".cards td.n{text-align:left}.cards td::before{"		\
	"content:attr(data-label) \": \";font-weight:bold;color:#555}"	\
	".ago{display:inline}}"

const char page_csp[] = "default-src 'none'; "
    "style-src 'sha256-" PAGE_STYLE_HASH "'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#ifndef AWARD_VERSION
#define AWARD_VERSION	"unknown"
#endif

void
page_head(struct page *p, const char *title)
{
	char buf[ATIME_BUFSZ];

	atime_format(p->now, buf);
	tbuf_str(&p->b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">"
	    "<meta name=\"referrer\" content=\"same-origin\"><title>");
	tbuf_html(&p->b, title);
	tbuf_str(&p->b, " — award admin</title><style>" STYLE "</style>"
	    "</head>\n<body>\n<h1>award — admin console</h1>\n"
	    "<nav><a href=\"" PAGE_PATH "\">Overview</a>\n"
	    "<a href=\"" PAGE_PATH "?status=pending\">Pending</a>\n"
	    "<a href=\"" PAGE_PATH "?status=dead\">Dead</a>\n"
	    "<a href=\"" PAGE_PATH "?status=done\">Done</a>\n"
	    "<a href=\"" PAGE_PATH "?contests=all\">Contests</a></nav>\n");
	tbuf_printf(&p->b, "<p class=\"muted\">Version <span id=\"version\">"
	    "%s</span> · page made at <time id=\"now\" datetime=\"%s\">%s"
	    "</time> (UTC). Reload to refresh.</p>\n", AWARD_VERSION, buf,
	    buf);
}

void
page_end(struct page *p)
{
	tbuf_str(&p->b, "</body></html>\n");
}

void
page_relative(struct page *p, int64_t ms)
{
	int64_t		 d = p->now - ms, a = d < 0 ? -d : d;
	const char	*pre = d < 0 ? "in " : "", *post = d < 0 ? "" : " ago";

	a /= 1000;
	if (a < 120)
		tbuf_printf(&p->b, "%s%lld s%s", pre, (long long)a, post);
	else if (a < 3 * 3600)
		tbuf_printf(&p->b, "%s%lld min%s", pre, (long long)(a / 60),
		    post);
	else if (a < 72 * 3600)
		tbuf_printf(&p->b, "%s%lld h%s", pre, (long long)(a / 3600),
		    post);
	else
		tbuf_printf(&p->b, "%s%lld days%s", pre,
		    (long long)(a / 86400), post);
}

void
page_when(struct page *p, const char *s)
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
	/* "2026-11-27T10:51:18.139Z" shown as "2026-11-27 10:51:18" */
	tbuf_printf(&p->b, "<time datetime=\"%s\">%.10s %.8s</time> <span "
	    "class=\"ago\">", buf, buf, buf + 11);
	page_relative(p, ms);
	tbuf_str(&p->b, "</span>");
}

void
page_when_ms(struct page *p, int64_t ms)
{
	char buf[ATIME_BUFSZ];

	atime_format(ms, buf);
	page_when(p, buf);
}

void
page_td(struct page *p, const char *label, const char *text)
{
	tbuf_printf(&p->b, "<td data-label=\"%s\">", label);
	if (text == NULL)
		tbuf_str(&p->b, "<span class=\"muted\">—</span>");
	else
		tbuf_html(&p->b, text);
	tbuf_str(&p->b, "</td>");
}

void
page_td_int(struct page *p, const char *label, const char *cls, int64_t v)
{
	tbuf_printf(&p->b, "<td data-label=\"%s\" class=\"n%s%s\">%lld</td>",
	    label, cls != NULL ? " " : "", cls != NULL ? cls : "",
	    (long long)v);
}

void
page_td_money(struct page *p, const char *label, int has, int64_t minor,
    const char *currency)
{
	int64_t a = minor < 0 ? -minor : minor;

	tbuf_printf(&p->b, "<td data-label=\"%s\" class=\"n\">", label);
	if (!has)
		tbuf_str(&p->b, "—");
	else {
		tbuf_printf(&p->b, "%s%lld.%02lld ", minor < 0 ? "-" : "",
		    (long long)(a / 100), (long long)(a % 100));
		tbuf_html(&p->b, currency);
	}
	tbuf_str(&p->b, "</td>");
}

void
page_arg(struct page *p, const char *s)
{
	char	buf[4];

	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == ':' || c == '-')
			tbuf_add(&p->b, s, 1);
		else {
			snprintf(buf, sizeof(buf), "%%%02X", c);
			tbuf_str(&p->b, buf);
		}
	}
}

void
page_link(struct page *p, const char *key, const char *id)
{
	if (id == NULL || *id == '\0') {
		tbuf_str(&p->b, "<span class=\"muted\">—</span>");
		return;
	}
	tbuf_printf(&p->b, "<a href=\"" PAGE_PATH "?%s=", key);
	page_arg(p, id);
	tbuf_str(&p->b, "\"><code class=\"id\">");
	tbuf_html(&p->b, id);
	tbuf_str(&p->b, "</code></a>");
}

void
page_link_tg(struct page *p, int64_t tg)
{
	tbuf_printf(&p->b, "<a href=\"" PAGE_PATH "?telegram_id=%lld\">"
	    "<code class=\"id\">%lld</code></a>", (long long)tg,
	    (long long)tg);
}

void
page_link_contest(struct page *p, const char *id)
{
	if (id == NULL || *id == '\0') {
		tbuf_str(&p->b, "<span class=\"muted\">—</span>");
		return;
	}
	tbuf_str(&p->b, "<a href=\"" PAGE_PATH "?contest=");
	page_arg(p, id);
	tbuf_str(&p->b, "\"><code class=\"id\">");
	tbuf_html(&p->b, id);
	tbuf_str(&p->b, "</code></a>");
}

void
page_td_link(struct page *p, const char *label, const char *key,
    const char *id)
{
	tbuf_printf(&p->b, "<td data-label=\"%s\">", label);
	page_link(p, key, id);
	tbuf_str(&p->b, "</td>");
}

void
page_td_tg(struct page *p, const char *label, int has, int64_t tg)
{
	tbuf_printf(&p->b, "<td data-label=\"%s\" class=\"owner\">", label);
	if (has)
		page_link_tg(p, tg);
	else
		tbuf_str(&p->b, "<span class=\"muted\">—</span>");
	tbuf_str(&p->b, "</td>");
}

void
page_td_contest(struct page *p, const char *label, const char *id)
{
	tbuf_printf(&p->b, "<td data-label=\"%s\">", label);
	page_link_contest(p, id);
	tbuf_str(&p->b, "</td>");
}

void
page_row_actions(struct page *p, int64_t id, const char *status, int acked)
{
	int dead = strcmp(status, "dead") == 0;

	if (!dead && strcmp(status, "pending") != 0) {
		tbuf_str(&p->b, "<span class=\"muted\">—</span>");
		return;
	}
	/* Named with the row for a screen reader, where rows look alike. */
	tbuf_printf(&p->b, "<form method=\"post\" action=\"/v1/admin/"
	    "failed-awards/%lld/retry\"><button type=\"submit\" "
	    "class=\"retry\" aria-label=\"Retry row %lld now\">Retry now"
	    "</button></form>", (long long)id, (long long)id);
	if (dead && !acked)
		tbuf_printf(&p->b, "<form method=\"post\" action=\"/v1/admin/"
		    "failed-awards/%lld/ack\"><button type=\"submit\" "
		    "class=\"ack\" aria-label=\"Acknowledge row %lld\">"
		    "Acknowledge</button></form>", (long long)id,
		    (long long)id);
}
