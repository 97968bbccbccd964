/*
 * The names of the responder's routes (SPEC.md §5), one vocabulary for
 * the route table (routes.c) and the request counters (counters.c): a
 * route added here is routed and counted under its own name, never as
 * "other". Not the routes themselves: routes.c has their paths and guards.
 */
#ifndef AWARD_ROUTE_IDS_H
#define AWARD_ROUTE_IDS_H

enum route_id {
	ROUTE_WEBHOOK,
	ROUTE_AWARDS,
	ROUTE_USER_TICKETS,
	ROUTE_RETRY_STATS,
	ROUTE_REQUEUE,
	ROUTE_LEADERBOARD,
	ROUTE_METRICS,
	ROUTE_DASHBOARD,
	ROUTE_HEALTHZ,
	ROUTE_ACK,
	ROUTE_LOOKUP,
	ROUTE_OTHER,		/* no route: a 404 */
	ROUTE__MAX
};

/* The label of id ("webhook", ...), for metrics and logs; never NULL. */
const char	*route_name(enum route_id id);

/* The id whose label is name; ROUTE_OTHER for NULL or an unknown name. */
enum route_id	 route_id(const char *name);

#endif
