/*
 * Retention (SPEC.md §6): what the retry run deletes so that the service
 * database stops growing by itself — retry_runs and reconcile_runs rows
 * older than AWARD_RETAIN_RUNS_DAYS, failed_awards rows that became done
 * more than AWARD_RETAIN_DONE_DAYS ago. Never dead rows (acknowledged or
 * not), the ledger or payments. Not the place for any other maintenance.
 */
#ifndef AWARD_RETAIN_H
#define AWARD_RETAIN_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"

#define RETAIN_BATCH	500	/* rows deleted per transaction */
#define RETAIN_DAY_MS	86400000LL

/* Rows deleted by one retain_run(). */
struct retain_counts {
	int64_t	retry_runs;
	int64_t	reconcile_runs;
	int64_t	done;
};

/*
 * Delete what the retention settings of ctx->cfg let go, as of now_ms,
 * in transactions of at most RETAIN_BATCH rows each (BEGIN IMMEDIATE, so
 * that the responder's writer waits at most one small batch). The table
 * reconcile_runs is skipped when it does not exist. *out receives the
 * counts, also after a failure (what was committed). Returns 0, or -1
 * with err set (a busy or failed database: what was deleted stays).
 */
int	retain_run(struct award_ctx *ctx, int64_t now_ms,
	    struct retain_counts *out, char *err, size_t errsz);

#endif
