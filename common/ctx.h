/*
 * The context every library call takes: one database connection, the
 * statements its role prepared, and the configuration. No process-global
 * state: a test can hold several.
 *
 * A role lists the modules whose statements a connection prepares (as
 * sqlbox's roles do): the caller composes it (roles.h has the service's),
 * so this module knows none of the modules above it and the include graph
 * stays a tree. A module whose statements the role did not prepare keeps
 * its slot NULL; calling it on that connection is a programming error.
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
	sqlite3_stmt			**tt;	/* totals.c */
	sqlite3_stmt			**jb;	/* job.c */
	const struct award_role		*role;
	int				 careful; /* job.c, job_run_group */
};

/*
 * One module's part of a role: its SQL, n statements indexed by the
 * module's own enum, and where in struct award_ctx they go once prepared
 * (the offset of its slot). A module exports its part as a constant,
 * written with AWARD_PART(); award_ctx_open() prepares it (db_stmts_new())
 * and award_ctx_close() finalizes it, so no module writes that loop.
 */
struct award_part {
	const char *const	*sql;
	size_t			 n;
	size_t			 slot;
};

#define AWARD_PART(sql, n, member) \
	{ (sql), (n), offsetof(struct award_ctx, member) }

#define AWARD_ROLE_PARTS_MAX	8

struct award_role {
	const char		*name;		/* "writer", for messages */
	size_t			 nparts;	/* <= AWARD_ROLE_PARTS_MAX */
	const struct award_part	*parts[AWARD_ROLE_PARTS_MAX];
};

/*
 * Open the databases of cfg (db_open) and prepare the statements of each
 * part of role, in order, into their slots (the others stay NULL). cfg and role must outlive the context. Returns
 * NULL with a one-line message in err. Free with award_ctx_close().
 */
struct award_ctx *award_ctx_open(const struct award_config *cfg,
	    const struct award_role *role, char *err, size_t errsz);

/* Finalize each part's statements in reverse order and close; NULL is a
 * no-op. */
void	award_ctx_close(struct award_ctx *ctx);

/* The current instant: cfg->now_ms when set (tests), else the clock. */
int64_t	award_ctx_now(const struct award_ctx *ctx);

#endif
