/*
 * The upkeep of the admin views' totals (schema.sql, "Admin views'
 * totals"): folding ledger rows past the watermark into the totals, and
 * filling the trigger-kept totals of a database that had rows before
 * their tables existed. A writer's work (roles.h): the responder's writer
 * thread between groups (fcgi/writer.c) and the retry run. The reads of
 * those totals are the views' (stats.c): they add the rows past the
 * watermark themselves and never write, so an answer is exact whether or
 * not a fold ran.
 */
#ifndef AWARD_TOTALS_H
#define AWARD_TOTALS_H

#include <stddef.h>

#include "ctx.h"

/* Rows past the watermark the writer leaves to the reads before it folds. */
#define TOTALS_FOLD_MIN		1000
/* Ledger rows per fold transaction in totals_fold() (the retry run). */
#define TOTALS_FOLD_CHUNK	20000
/* Ledger rows per totals_step(): short, a webhook may queue behind it. */
#define TOTALS_STEP_CHUNK	2000

enum totals_result {
	TOTALS_DONE,	/* nothing (more) to do */
	TOTALS_MORE,	/* one transaction done, more is due */
	TOTALS_BUSY,	/* the write lock was taken: nothing done */
	TOTALS_ERROR	/* a database error: nothing of it kept */
};

/*
 * One short transaction of upkeep on ctx's connection: fill a trigger-kept
 * total that is not filled yet, else fold at most TOTALS_STEP_CHUNK ledger
 * rows when more than min_gap are past the watermark (or the ledger is
 * below it). With nowait the write lock is tried once instead of waiting
 * the busy timeout (the writer thread: a job must not wait behind it).
 * Returns MORE when called again it has more to do, DONE, BUSY or ERROR.
 */
enum totals_result totals_step(struct award_ctx *ctx, long long min_gap,
	    int nowait);

/*
 * Fold every ledger row past the watermark into the totals, in
 * transactions of at most TOTALS_FOLD_CHUNK rows on ctx's connection.
 *
 * Concurrency: each transaction starts with a write to the service
 * database (taking its write lock, waiting at most the busy timeout, and
 * with it the newest snapshot), then reads the watermark again, folds the
 * rows from it to at most the ledger's largest rowid and moves it, and
 * commits. Two folds at once are serialized by that lock, and the second
 * finds the rows already folded; a read sees the totals and the watermark
 * of one commit in its statement's snapshot, and adds only rows past that
 * watermark. Only the service database is locked: the bot database is
 * read. A ledger whose largest rowid is below the watermark (rebuilt by
 * hand) is folded again from zero.
 * Returns 0, or -1 (nothing of the failed chunk kept).
 */
int	totals_fold(struct award_ctx *ctx);

/*
 * Everything totals_step() would do, to the end, waiting the busy
 * timeout for the lock (the retry run, after its rows): 0, or -1.
 */
int	totals_sync(struct award_ctx *ctx);

/* This module's statements (ctx->tt), a part of roles_writer (roles.h). */
extern const struct award_part totals_part;

#endif
