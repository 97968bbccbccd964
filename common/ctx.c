/*
 * The library context: opens the databases (db.c) and has each module
 * prepare its statements once for the connection. Not where any SQL or
 * rule lives.
 */
#include <stdio.h>
#include <stdlib.h>

#include "atime.h"
#include "award.h"
#include "ctx.h"
#include "db.h"
#include "lookup.h"
#include "refund.h"
#include "retryq.h"
#include "stats.h"

struct award_ctx *
award_ctx_open(const struct award_config *cfg, char *err, size_t errsz)
{
	struct award_ctx *ctx;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	ctx->cfg = cfg;
	if ((ctx->db = db_open(cfg, err, errsz)) == NULL ||
	    award_prepare(ctx, err, errsz) == -1 ||
	    refund_prepare(ctx, err, errsz) == -1 ||
	    retryq_prepare(ctx, err, errsz) == -1 ||
	    stats_prepare(ctx, err, errsz) == -1 ||
	    lookup_prepare(ctx, err, errsz) == -1) {
		award_ctx_close(ctx);
		return NULL;
	}
	return ctx;
}

void
award_ctx_close(struct award_ctx *ctx)
{
	if (ctx == NULL)
		return;
	lookup_unprepare(ctx);
	stats_unprepare(ctx);
	retryq_unprepare(ctx);
	refund_unprepare(ctx);
	award_unprepare(ctx);
	db_close(ctx->db);
	free(ctx);
}

int64_t
award_ctx_now(const struct award_ctx *ctx)
{
	return ctx->cfg->now_ms != 0 ? ctx->cfg->now_ms : atime_now_ms();
}
