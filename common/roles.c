/*
 * The roles of roles.h: tables of prepare/unprepare pairs. No logic.
 */
#include "award.h"
#include "lookup.h"
#include "refund.h"
#include "retryq.h"
#include "roles.h"
#include "stats.h"
#include "totals.h"

const struct award_role roles_writer = { "writer", 4, {
	{ award_prepare, award_unprepare },
	{ refund_prepare, refund_unprepare },
	{ retryq_prepare, retryq_unprepare },
	{ totals_prepare, totals_unprepare },
} };

const struct award_role roles_reader = { "reader", 2, {
	{ stats_prepare, stats_unprepare },
	{ lookup_prepare, lookup_unprepare },
} };

const struct award_role roles_checkpointer = { "checkpointer", 0, { { 0 } } };
