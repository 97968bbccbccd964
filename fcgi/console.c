/*
 * The dashboard's query string to one of its pages (console.h). Every
 * parameter passes a validator first (console_lookup_key() for the search
 * keys, validate_text_id() for a contest, a bounded integer for the
 * page); a
 * refused one is a 400 page that says why. Nothing here writes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "award.h"
#include "config.h"
#include "console.h"
#include "dashboard.h"
#include "http.h"
#include "validate.h"
#include "views.h"

/* s without the spaces around it (a value pasted from a log or a chat). */
static char *
trim(char *s)
{
	size_t n;

	while (*s == ' ')
		s++;
	for (n = strlen(s); n > 0 && s[n - 1] == ' '; n--)
		s[n - 1] = '\0';
	return s;
}

/*
 * The one lookup key of a query: exactly one of order_id, payment_id,
 * telegram_id, validated, the spaces around it dropped. An order or
 * payment id is any text validate_text_id() takes, not only the webhook's
 * [A-Za-z0-9._:-]: the dashboard links every id of the ledger to this
 * search, older code's order ids included. Returns the key with *text
 * (buf) or *tg set, or LOOKUP__MAX with *why set (400).
 */
enum lookup_key
console_lookup_key(const char *query, char *buf, size_t bufsz, int64_t *tg,
    const char **why)
{
	enum lookup_key	 found = LOOKUP__MAX;
	char		 tmp[VALIDATE_TEXT_ID_MAX + 2], *v;
	int		 rc;

	*why = "give exactly one of order_id, payment_id, telegram_id";
	for (int k = 0; k < LOOKUP__MAX; k++) {
		rc = http_query(query, lookup_key_name(k), tmp, sizeof(tmp));
		if (rc == 0)
			continue;
		if (found != LOOKUP__MAX)
			return LOOKUP__MAX;
		found = k;
		v = trim(tmp);
		if (k == LOOKUP_TELEGRAM) {
			if (rc == -1 || validate_telegram_id_str(v, tg) == -1) {
				*why = "telegram_id: not an integer from 1 to "
				    "2^53-1";
				return LOOKUP__MAX;
			}
		} else if (rc == -1 || !validate_text_id(v) ||
		    strlen(v) >= bufsz) {
			*why = k == LOOKUP_ORDER ? "order_id: not 1-255 bytes "
			    "without control characters" : "payment_id: not "
			    "1-255 bytes without control characters";
			return LOOKUP__MAX;
		} else
			snprintf(buf, bufsz, "%s", v);
	}
	return found;
}

/* 1 when any search key is in the query. */
static int
has_search(const char *query)
{
	char tmp[8];

	for (int k = 0; k < LOOKUP__MAX; k++)
		if (http_query(query, lookup_key_name(k), tmp, sizeof(tmp)) != 0)
			return 1;
	return 0;
}

static char *
queue_page(struct award_ctx *ctx, const char *query, const char *st,
    int *status)
{
	char		buf[24];
	long long	page = 1;
	int		rc;

	if (strcmp(st, "pending") != 0 && strcmp(st, "dead") != 0 &&
	    strcmp(st, "done") != 0) {
		*status = 400;
		return dashboard_refused(ctx, "status: pending, dead or done");
	}
	rc = http_query(query, "page", buf, sizeof(buf));
	if (rc == -1 || (rc == 1 && config_parse_int(buf, 1,
	    DASHBOARD_PAGES_MAX, &page) == -1)) {
		*status = 400;
		return dashboard_refused(ctx, "page: not a page number");
	}
	return views_queue_page(ctx, st, page);
}

char *
console_page(struct award_ctx *ctx, const char *query, int *status)
{
	char		 id[VALIDATE_TEXT_ID_MAX + 2], cid[VALIDATE_TEXT_ID_MAX + 2];
	const char	*why;
	enum lookup_key	 key;
	int64_t		 tg = 0;
	int		 rc, found;
	char		*html;

	*status = 200;
	if (query == NULL)
		query = "";
	if (has_search(query)) {
		key = console_lookup_key(query, id, sizeof(id), &tg, &why);
		if (key == LOOKUP__MAX) {
			*status = 400;
			return dashboard_refused(ctx, why);
		}
		return dashboard_detail(ctx, key, id, tg);
	}
	if ((rc = http_query(query, "status", id, sizeof(id))) != 0) {
		if (rc == -1) {
			*status = 400;
			return dashboard_refused(ctx, "status: pending, dead "
			    "or done");
		}
		return queue_page(ctx, query, id, status);
	}
	if ((rc = http_query(query, "contest", cid, sizeof(cid))) != 0) {
		if (rc == -1 || !validate_text_id(cid)) {
			*status = 400;
			return dashboard_refused(ctx, "contest: not 1-255 "
			    "bytes without control characters");
		}
		html = views_contest_page(ctx, cid, &found);
		if (html != NULL && !found)
			*status = 404;
		return html;
	}
	if (http_query(query, "contests", id, sizeof(id)) != 0)
		return views_contests_page(ctx);
	return dashboard_render(ctx);
}
