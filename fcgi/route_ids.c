/*
 * Route labels (route_ids.h): a table indexed by the enum.
 */
#include <string.h>

#include "route_ids.h"

static const char *const names[ROUTE__MAX] = {
	[ROUTE_WEBHOOK] = "webhook",
	[ROUTE_AWARDS] = "awards",
	[ROUTE_USER_TICKETS] = "user_tickets",
	[ROUTE_RETRY_STATS] = "retry_stats",
	[ROUTE_REQUEUE] = "requeue",
	[ROUTE_LEADERBOARD] = "leaderboard",
	[ROUTE_METRICS] = "metrics",
	[ROUTE_DASHBOARD] = "dashboard",
	[ROUTE_HEALTHZ] = "healthz",
	[ROUTE_ACK] = "ack",
	[ROUTE_LOOKUP] = "lookup",
	[ROUTE_OTHER] = "other",
};

const char *
route_name(enum route_id id)
{
	return (unsigned)id < ROUTE__MAX && names[id] != NULL ? names[id] :
	    names[ROUTE_OTHER];
}

enum route_id
route_id(const char *name)
{
	for (unsigned i = 0; name != NULL && i < ROUTE__MAX; i++)
		if (names[i] != NULL && strcmp(name, names[i]) == 0)
			return (enum route_id)i;
	return ROUTE_OTHER;
}
