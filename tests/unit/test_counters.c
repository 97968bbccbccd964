/*
 * Unit tests for fcgi/counters.c and fcgi/route_ids.c: every route of the
 * vocabulary is counted under its own label, never as "other"; an unknown
 * label is "other"; the series are in the exposition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../../fcgi/counters.h"
#include "../../fcgi/route_ids.h"

/* The value of the series named line (the text before the value). */
static long long
series(const char *text, const char *line)
{
	const char	*p = strstr(text, line);

	cr_assert_not_null(p, "no series %s", line);
	return strtoll(p + strlen(line), NULL, 10);
}

Test(counters, every_route_counted_under_its_own_label)
{
	struct counters	*c = counters_new();
	char		 want[128], *text;

	cr_assert_not_null(c);
	for (int id = 0; id < ROUTE__MAX; id++) {
		cr_assert_eq(route_id(route_name((enum route_id)id)), id,
		    "route %d (%s) does not name itself", id,
		    route_name((enum route_id)id));
		for (int k = 0; k <= id; k++)
			counters_request(c, route_name((enum route_id)id), 200,
			    0.001);
	}
	counters_request(c, "no-such-route", 404, 0.001);
	counters_request(c, NULL, 500, 0.001);
	cr_assert_not_null(text = counters_prom(c));
	for (int id = 0; id < ROUTE_OTHER; id++) {
		snprintf(want, sizeof(want), "award_http_requests_total{route="
		    "\"%s\",code=\"2xx\"} ", route_name((enum route_id)id));
		cr_assert_eq(series(text, want), id + 1, "%s", want);
	}
	cr_assert_eq(series(text, "award_http_requests_total{route=\"other\","
	    "code=\"2xx\"} "), ROUTE_OTHER + 1);
	cr_assert_eq(series(text, "award_http_requests_total{route=\"other\","
	    "code=\"4xx\"} "), 1);
	cr_assert_eq(series(text, "award_http_requests_total{route=\"other\","
	    "code=\"5xx\"} "), 1);
	free(text);
	counters_free(c);
}

Test(counters, route_names_are_distinct_and_never_null)
{
	for (int a = 0; a < ROUTE__MAX; a++) {
		cr_assert_not_null(route_name((enum route_id)a));
		for (int b = a + 1; b < ROUTE__MAX; b++)
			cr_assert_str_neq(route_name((enum route_id)a),
			    route_name((enum route_id)b));
	}
	cr_assert_str_eq(route_name(ROUTE__MAX), "other");
}
