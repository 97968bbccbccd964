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

/* The slot of ctx that holds part's statements. */
static sqlite3_stmt ***
part_slot(struct award_ctx *ctx, const struct award_part *part)
{
	assert(part->slot + sizeof(sqlite3_stmt **) <= sizeof(*ctx));
	return (sqlite3_stmt ***)(void *)((char *)ctx + part->slot);
}

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
	for (size_t i = 0; i < role->nparts; i++) {
		const struct award_part *p = role->parts[i];

		if ((*part_slot(ctx, p) = db_stmts_new(ctx->db, p->sql, p->n,
		    err, errsz)) == NULL) {
			award_ctx_close(ctx);
			return NULL;
		}
	}
	return ctx;
}

void
award_ctx_close(struct award_ctx *ctx)
{
	if (ctx == NULL)
		return;
	for (size_t i = ctx->role->nparts; i > 0; i--) {
		const struct award_part *p = ctx->role->parts[i - 1];

		db_stmts_free(*part_slot(ctx, p), p->n);
		*part_slot(ctx, p) = NULL;
	}
	db_close(ctx->db);
	free(ctx);
}

int64_t
award_ctx_now(const struct award_ctx *ctx)
{
	return ctx->cfg->now_ms != 0 ? ctx->cfg->now_ms : atime_now_ms();
}
