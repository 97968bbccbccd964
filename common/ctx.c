/*
 * The library context: opens the databases (db.c) and has each part of
 * the caller's role prepare its statements once for the connection. Not
 * where any SQL or rule lives, and it knows no module above it.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "atime.h"
#include "ctx.h"
#include "db.h"

struct award_ctx *
award_ctx_open(const struct award_config *cfg, const struct award_role *role,
    char *err, size_t errsz)
{
	struct award_ctx *ctx;

	assert(role->nparts <= AWARD_ROLE_PARTS_MAX);
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	ctx->cfg = cfg;
	ctx->role = role;
	if ((ctx->db = db_open(cfg, err, errsz)) == NULL) {
		award_ctx_close(ctx);
		return NULL;
	}
	for (size_t i = 0; i < role->nparts; i++)
		if (role->parts[i].prepare(ctx, err, errsz) == -1) {
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
	for (size_t i = ctx->role->nparts; i > 0; i--)
		ctx->role->parts[i - 1].unprepare(ctx);
	db_close(ctx->db);
	free(ctx);
}

int64_t
award_ctx_now(const struct award_ctx *ctx)
{
	return ctx->cfg->now_ms != 0 ? ctx->cfg->now_ms : atime_now_ms();
}
