/*
 * The dashboard's query string to one of its pages (console.h). Every
 * parameter passes a validator first (console_lookup_key() for the search
 * keys, validate_contest_id() for a contest, a bounded integer for the
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

/*
 * Contest ids are the bot's: validate_contest_id(), bound as a parameter
 * and escaped on the page.
 */

/*
 * The one lookup key of a query: exactly one of order_id, payment_id,
 * telegram_id, validated. Returns the key with *text (buf) or *tg set, or
 * LOOKUP__MAX with *why set (400).
 */
enum lookup_key
console_lookup_key(const char *query, char *buf, size_t bufsz, int64_t *tg,
    const char **why)
{
	enum lookup_key	 found = LOOKUP__MAX;
	char		 tmp[AWARD_ID_MAX + 2];
	int		 rc;

	*why = "give exactly one of order_id, payment_id, telegram_id";
	for (int k = 0; k < LOOKUP__MAX; k++) {
		rc = http_query(query, lookup_key_name(k), tmp, sizeof(tmp));
		if (rc == 0)
			continue;
		if (found != LOOKUP__MAX)
			return LOOKUP__MAX;
		found = k;
		if (k == LOOKUP_TELEGRAM) {
			if (rc == -1 || validate_telegram_id_str(tmp, tg) == -1) {
				*why = "telegram_id: not an integer from 1 to "
				    "2^53-1";
				return LOOKUP__MAX;
			}
		} else if (rc == -1 || !validate_id(tmp) ||
		    strlen(tmp) >= bufsz) {
			*why = k == LOOKUP_ORDER ? "order_id: not 1-128 of "
			    "[A-Za-z0-9._:-]" : "payment_id: not 1-128 of "
			    "[A-Za-z0-9._:-]";
			return LOOKUP__MAX;
		} else
			snprintf(buf, bufsz, "%s", tmp);
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
	char		 id[AWARD_ID_MAX + 2], cid[VALIDATE_CONTEST_MAX + 2];
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
		if (rc == -1 || !validate_contest_id(cid)) {
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
