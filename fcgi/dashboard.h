/*
 * GET /v1/admin/dashboard (SPEC.md §5): one server-rendered HTML page for
 * people — health, cron health, the retry queue with a "Retry now" form
 * per pending or dead row, the last retry run, ledger totals, the running
 * contest's top 10 and the latest payments. No script, no external asset:
 * its one inline style is allowed by hash in DASHBOARD_CSP, which the
 * route sends with it. Every value from the database is escaped.
 */
#ifndef AWARD_DASHBOARD_H
#define AWARD_DASHBOARD_H

#include "ctx.h"

/* Rows of the pending and dead tables shown; the page says "of N". */
#define DASHBOARD_ROWS		100
#define DASHBOARD_TOP		10
#define DASHBOARD_PAYMENTS	20

/*
 * The page's Content-Security-Policy. The style hash is that of the
 * page's <style> text (tests/integration/test_console.sh checks it).
 */
extern const char dashboard_csp[];

/*
 * The page, read through ctx at its clock. Returns a malloc'd string the
 * caller frees, or NULL on a database error or when out of memory.
 */
char	*dashboard_render(struct award_ctx *ctx);

#endif
