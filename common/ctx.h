/*
 * The context every library call takes: one database connection, its
 * prepared statements (one set per module, prepared once per connection),
 * and the configuration. No process-global state: a test can hold several.
 */
#ifndef AWARD_CTX_H
#define AWARD_CTX_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "config.h"

/* Each module's statements, indexed by its own enum (db_stmts_new()). */
struct award_ctx {
	sqlite3				*db;
	const struct award_config	*cfg;
	sqlite3_stmt			**aw;	/* award.c */
	sqlite3_stmt			**rf;	/* refund.c */
	sqlite3_stmt			**rq;	/* retryq.c */
	sqlite3_stmt			**st;	/* stats.c */
	sqlite3_stmt			**lk;	/* lookup.c */
};

/*
 * Open the databases of cfg (db_open) and prepare every module's
 * statements. cfg must outlive the context. Returns NULL with a one-line
 * message in err. Free with award_ctx_close().
 */
struct award_ctx *award_ctx_open(const struct award_config *cfg, char *err,
	    size_t errsz);

/* Finalize and close; NULL is a no-op. */
void	award_ctx_close(struct award_ctx *ctx);

/* The current instant: cfg->now_ms when set (tests), else the clock. */
int64_t	award_ctx_now(const struct award_ctx *ctx);

#endif
