/*
 * The service's connection roles (ctx.h): which modules' statements a
 * connection prepares, composed here so that ctx.c knows none of them.
 *   writer        award, refund, retryq and the totals' upkeep (totals.c):
 *                 the responder's writer thread and award-retry;
 *   reader        the read views (stats.c): the responder's read pool;
 *   checkpointer  nothing: a connection that only checkpoints or probes.
 */
#ifndef AWARD_ROLES_H
#define AWARD_ROLES_H

#include "ctx.h"

extern const struct award_role roles_writer;
extern const struct award_role roles_reader;
extern const struct award_role roles_checkpointer;

#endif
