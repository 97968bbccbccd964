/*
 * The roles of roles.h: tables of the modules' parts (ctx.h). No logic.
 */
#include "award.h"
#include "job.h"
#include "lookup.h"
#include "refund.h"
#include "retryq.h"
#include "roles.h"
#include "stats.h"
#include "totals.h"

const struct award_role roles_writer = { "writer", 5, {
	&award_part, &refund_part, &retryq_part, &totals_part, &job_part,
} };

const struct award_role roles_reader = { "reader", 2, {
	&stats_part, &lookup_part,
} };

const struct award_role roles_checkpointer = { "checkpointer", 0, { NULL } };
