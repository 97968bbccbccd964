/*
 * Shared helpers for the unit tests that need real SQLite files (SPEC.md
 * §3): a temp dir per test, a configuration pointing into it, a context,
 * and separate connections for seeding rows and reading results back.
 * Helpers assert with Criterion, so a broken fixture fails the test that
 * uses it instead of letting it pass on an empty database. Not for use in
 * forked children (tu_race): they must not call cr_assert.
 */
#ifndef AWARD_TESTUTIL_H
#define AWARD_TESTUTIL_H

#include <stdint.h>

#include <sqlite3.h>

#include "atime.h"
#include "award.h"
#include "config.h"
#include "ctx.h"
#include "refund.h"

#define TU_NULL		INT64_MIN	/* tu_int(): the value was NULL */
#define TU_RACE_MAX	16

struct tu_env {
	char			 dir[64];	/* the test's temp dir */
	struct award_config	 cfg;
	struct award_ctx	*ctx;		/* tu_open() */
};

/*
 * Make a temp dir under /tmp, clear AWARD_* from the environment (and set
 * AWARD_CONFIG to "": no configuration file for any binary started), fill
 * e->cfg with config_load() and point db_path (and bot_db_path when
 * separate_bot) into the dir. No context is opened. Logging is silenced
 * unless AWARD_TEST_LOG is set.
 */
void	 tu_init(struct tu_env *e, int separate_bot);

/*
 * Every module's statements on one connection: tests write and read
 * through one context. The service never opens this role (roles.h).
 */
extern const struct award_role tu_role_all;

/* Unset every AWARD_* variable, so the caller's environment never leaks in. */
void	 tu_clear_award_env(void);

/* award_ctx_open(&e->cfg, &tu_role_all) into e->ctx, asserting success. */
struct award_ctx *tu_open(struct tu_env *e);

/* Close e->ctx (if any). */
void	 tu_close(struct tu_env *e);

/* Close the context and remove the temp dir and everything in it. */
void	 tu_fini(struct tu_env *e);

/* The bot database path in effect (bot_db_path or db_path). */
const char *tu_bot_path(const struct tu_env *e);

/*
 * Connections of their own (busy timeout 10 s). tu_conn_file opens one file;
 * tu_conn opens the service file with the bot file attached as "bot" when
 * separate, so unqualified table names resolve as they do for the library.
 * Close with sqlite3_close().
 */
sqlite3	*tu_conn_file(const char *path);
sqlite3	*tu_conn(const struct tu_env *e);

/*
 * SQL through sqlite3_vmprintf (%Q, %q, %lld, %d...), on a fresh connection
 * per call. tu_int returns the first column of the first row (asserting a
 * row; TU_NULL for NULL); tu_str returns it malloc'd (NULL for no row or
 * NULL); the caller frees.
 */
void	 tu_exec(const struct tu_env *e, const char *fmt, ...);
/* sql as it is on db, left open: the first column of its one row. */
int64_t	 tu_one(sqlite3 *db, const char *sql);
void	 tu_exec_file(const char *path, const char *fmt, ...);
int64_t	 tu_int(const struct tu_env *e, const char *fmt, ...);
int64_t	 tu_int_file(const char *path, const char *fmt, ...);
char	*tu_str(const struct tu_env *e, const char *fmt, ...);
char	*tu_str_file(const char *path, const char *fmt, ...);

/* 1 when path has a table of that name. */
int	 tu_table_exists(const char *path, const char *table);

/* The bot tables exactly as SPEC.md §3 lists them, without indexes. */
void	 tu_bot_tables(const char *path);

/* Seed rows in the bot database. */
void	 tu_contest(const struct tu_env *e, const char *id, const char *starts,
	    const char *ends, int window_days, int active);
void	 tu_plan(const struct tu_env *e, const char *plan, int64_t tickets);
void	 tu_referral(const struct tu_env *e, int64_t referred,
	    int64_t referrer, const char *bound_at);
void	 tu_ledger(const struct tu_env *e, const char *id, const char *contest,
	    int64_t owner, int64_t buyer, const char *order, int64_t delta,
	    const char *reason, const char *created_at);

/*
 * Assert that got (malloc'd, may be NULL; freed here) equals want; what
 * names the value in the failure message.
 */
void	 tu_assert_str(char *got, const char *want, const char *what);

/* Assert that got (freed here) contains needle. */
void	 tu_assert_contains(char *got, const char *needle, const char *what);

/* Assert that got (freed here) is "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void	 tu_assert_iso_ms_z(char *got, const char *what);

/*
 * Assert that the ledger holds exactly one row with this id and these
 * values (reads through tu_conn, so either database layout works).
 */
void	 tu_assert_ledger(const struct tu_env *e, const char *id,
	    const char *contest, int64_t owner, int64_t buyer,
	    const char *order, int64_t delta, const char *reason);

/* Time text to ms (asserting it parses), and back. */
int64_t	 tu_ms(const char *s);
const char *tu_iso(int64_t ms, char buf[ATIME_BUFSZ]);

/* 1 when s is exactly "YYYY-MM-DDTHH:MM:SS.mmmZ" and parses. */
int	 tu_is_iso_ms_z(const char *s);

/* Requests: no payment id, amount -1, unless tu_req_pay() adds them. */
struct award_req tu_req(const char *order, int64_t tg, const char *plan,
	    const char *order_time);
void	 tu_req_pay(struct award_req *r, const char *payment_id,
	    int64_t amount_minor);
struct refund_req tu_refund(const char *refund_id, const char *payment_id,
	    int64_t amount_minor);

/*
 * Hold the write lock of path from another connection ("BEGIN EXCLUSIVE"
 * plus a write). tu_unlock() rolls back and closes.
 */
sqlite3	*tu_lock(const char *path);
void	 tu_unlock(sqlite3 *db);

/*
 * Run fn(idx, arg) in n forked children (n <= TU_RACE_MAX). Each child does
 * its set-up, then calls tu_race_go(), which returns in every child at the
 * same moment once all are ready. A child's return value (0-99) is its exit
 * status; codes[i] gets it, or 100 + signal when it died. Children must not
 * call cr_assert or anything that does.
 */
void	 tu_race(int n, int (*fn)(int idx, void *arg), void *arg, int *codes);
void	 tu_race_go(void);

#endif
