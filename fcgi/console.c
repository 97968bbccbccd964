/*
 * The dashboard's query string to one of its pages (console.h). Every
 * parameter passes a validator first (routes_lookup_key() for the search
 * keys, validate_id() for a contest, a bounded integer for the page); a
 * refused one is a 400 page that says why. Nothing here writes.
 */
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "console.h"
#include "dashboard.h"
#include "http.h"
#include "routes.h"
#include "validate.h"

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
	return dashboard_queue(ctx, st, page);
}

char *
console_page(struct award_ctx *ctx, const char *query, int *status)
{
	char		 id[AWARD_ID_MAX + 2];
	const char	*why;
	enum lookup_key	 key;
	int64_t		 tg = 0;
	int		 rc, found;
	char		*html;

	*status = 200;
	if (query == NULL)
		query = "";
	if (has_search(query)) {
		key = routes_lookup_key(query, id, sizeof(id), &tg, &why);
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
	if ((rc = http_query(query, "contest", id, sizeof(id))) != 0) {
		if (rc == -1 || !validate_id(id)) {
			*status = 400;
			return dashboard_refused(ctx, "contest: not 1-128 of "
			    "[A-Za-z0-9._:-]");
		}
		html = dashboard_contest(ctx, id, &found);
		if (html != NULL && !found)
			*status = 404;
		return html;
	}
	if (http_query(query, "contests", id, sizeof(id)) != 0)
		return dashboard_contests(ctx);
	return dashboard_render(ctx);
}
