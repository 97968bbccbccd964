/*
 * award-reconcile: one reconciliation run against YooKassa's API
 * (SPEC.md §11), started hourly by system cron and by hand. Thin on
 * purpose, like award-retry's main.c: configuration, the API client, the
 * run lock, then reconcile_run(); the one summary line on stdout, JSON
 * log lines on stderr. Never links libfcgi.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atime.h"
#include "config.h"
#include "ctx.h"
#include "db.h"
#include "log.h"
#include "memtune.h"
#include "reconcile.h"
#include "roles.h"
#include "yookassa.h"

#define PROG "award-reconcile"
#define USAGE PROG " [--config PATH] [--db PATH] [--bot-db PATH] " \
	"[--since INSTANT] [--dry-run]"

static const char *const value_flags[] = { "--db", "--bot-db", "--since",
	NULL };

static void
help(void)
{
	printf("usage: %s\n"
	    "  --config PATH    configuration file (default %s, read when "
	    "it exists)\n"
	    "  --db PATH        service database (AWARD_DB)\n"
	    "  --bot-db PATH    bot database (AWARD_BOT_DB)\n"
	    "  --since INSTANT  look back to INSTANT (ISO-8601) instead of "
	    "AWARD_RECONCILE_HOURS (default %d)\n"
	    "  --dry-run        fetch and classify; write nothing\n"
	    "  --version        print the version and exit\n"
	    "  --help           print this and exit\n", USAGE,
	    CONFIG_FILE_DEFAULT, CONFIG_RECONCILE_HOURS_DEFAULT);
}

/*
 * The command line after config_early(): the shared flags, --since and
 * --dry-run. 0, or -1 after a start-up error.
 */
static int
flags(struct award_config *cfg, int argc, char *argv[], int64_t *since,
    int *dry_run)
{
	char		 err[CONFIG_ERR_MAX];
	const char	*val;
	int		 r;

	for (int i = 1; i < argc; i++) {
		if (config_flag_value("--config", argc, argv, &i, &val) != 0)
			continue;
		if ((r = config_flag(cfg, argc, argv, &i, err,
		    sizeof(err))) != 0) {
			if (r == -1) {
				config_startup_error(PROG, err);
				return -1;
			}
		} else if (strcmp(argv[i], "--dry-run") == 0) {
			*dry_run = 1;
		} else if ((r = config_flag_value("--since", argc, argv, &i,
		    &val)) != 0) {
			if (r == -1 || strlen(val) >= 64 ||
			    atime_parse(val, since) == -1) {
				config_startup_error(PROG, "--since: needs an "
				    "ISO-8601 instant");
				return -1;
			}
		} else {
			config_unknown_arg(argv[i], USAGE);
			return -1;
		}
	}
	/* A look back from the future checks nothing, yet would complete. */
	if (*since != -1 && *since > (cfg->now_ms != 0 ? cfg->now_ms :
	    atime_now_ms())) {
		config_startup_error(PROG, "--since: later than now");
		return -1;
	}
	return 0;
}

/*
 * --dry-run writes no row in either database (SPEC.md §11), and opening
 * a pair that was never set up, or at an older schema, would create
 * tables and record the pairing. Such a run judges copies instead, made
 * in a directory of its own (*dir, removed at the end): *cfg then names
 * them. 0 (dir empty when the databases are used as they are), or -1
 * after the one-line error.
 */
static int
dry_run_scratch(struct award_config *cfg, char *dir, size_t dirsz)
{
	struct award_config	 copy;
	const char		*tmp = getenv("TMPDIR");
	char			 err[CONFIG_ERR_MAX], why[CONFIG_ERR_MAX];
	int			 r;

	dir[0] = '\0';
	if ((r = db_setup_ready_as_is(cfg, why, sizeof(why))) == 1)
		return 0;
	if (r == -1) {
		config_startup_error(PROG, why);
		return -1;
	}
	if (snprintf(dir, dirsz, "%s/award-dry-run.XXXXXX", tmp != NULL &&
	    *tmp == '/' ? tmp : "/tmp") >= (int)dirsz || mkdtemp(dir) ==
	    NULL) {
		snprintf(err, sizeof(err), "--dry-run: a directory for "
		    "copies: %s", strerror(errno));
		dir[0] = '\0';
		config_startup_error(PROG, err);
		return -1;
	}
	if (db_scratch_pair(cfg, dir, &copy, err, sizeof(err)) == -1) {
		db_scratch_remove(dir);
		dir[0] = '\0';
		config_startup_error(PROG, err);
		return -1;
	}
	log_msg(LOG_INFO, "dry run on copies of the databases: opening "
	    "them would change them", LF_STR("why", why), LF_END);
	*cfg = copy;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct award_config	 cfg;
	struct award_ctx	*ctx = NULL;
	struct yk_client	*yk = NULL;
	struct reconcile_run	 run;
	char			 err[CONFIG_ERR_MAX], line[RECONCILE_SUMMARY_MAX];
	char			 scratch[CONFIG_PATH_MAX] = "";
	const char		*file, *missing;
	int64_t			 since = -1;
	int			 dry_run = 0, lockfd = -1, rc = 1, r, explicit;

	memtune_sqlite();
	config_tokens_unused();
	if ((r = config_start(PROG, argc, argv, value_flags, help, &cfg,
	    &file, &explicit)) != -1)
		return r;
	if (flags(&cfg, argc, argv, &since, &dry_run) == -1)
		return 1;
	log_set_level(cfg.log_level);
	/* SPEC.md §11: not configured is the start-up error, always. */
	if ((missing = config_yookassa_missing(&cfg)) != NULL) {
		snprintf(err, sizeof(err), "reconciliation is not configured: "
		    "%s is not set", missing);
		config_startup_error(PROG, err);
		return 1;
	}
	/*
	 * SPEC.md §6 "not set up yet": the cron line is installed before the
	 * databases exist; create nothing, say so, exit 0.
	 */
	if ((r = db_setup_exit(&cfg, PROG)) != -1)
		return r;
	if (dry_run && dry_run_scratch(&cfg, scratch, sizeof(scratch)) == -1)
		return 1;
	if (yk_global_init() == -1) {
		config_startup_error(PROG, "libcurl: global init failed");
		goto out;
	}
	if ((yk = yk_open(&cfg, err, sizeof(err))) == NULL) {
		config_startup_error(PROG, err);
		goto out;
	}
	if ((ctx = award_ctx_open(&cfg, &roles_writer, err,
	    sizeof(err))) == NULL) {
		config_startup_error(PROG, err);
		goto out;
	}
	/* Its groups' savepoints journal in memory, as the responder's. */
	if (memtune_writer(ctx->db) == -1)
		log_msg(LOG_WARN, "writer settings not applied",
		    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
	if ((lockfd = reconcile_lock(cfg.db_path, err, sizeof(err))) == -2) {
		log_msg(LOG_INFO, "another reconciliation run is in progress; "
		    "exiting", LF_END);
		rc = 0;
		goto out;
	}
	if (lockfd == -1) {
		config_startup_error(PROG, err);
		goto out;
	}
	if (since == -1)
		since = award_ctx_now(ctx) -
		    (int64_t)cfg.reconcile_hours * 3600 * 1000;
	rc = reconcile_run(ctx, yk, since, dry_run, &run) == 0 ? 0 : 1;
	for (int tries = 1; reconcile_record_run(ctx, &run) == -1; tries++) {
		if (tries < DB_RECORD_TRIES &&
		    db_is_locked(sqlite3_errcode(ctx->db)))
			continue;
		log_msg(LOG_ERROR, "cannot record reconcile_runs",
		    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
		/* The summary says why the exit status is 1. */
		if (run.stop == RECONCILE_COMPLETED) {
			run.stop = RECONCILE_DATABASE;
			snprintf(run.error, sizeof(run.error), "record: %s",
			    sqlite3_errmsg(ctx->db));
		}
		rc = 1;
		break;
	}
	if (run.stop == RECONCILE_API_AUTH) {
		/*
		 * SPEC.md §11: exit 1 and one line saying so. Refused on a
		 * later list, the pages committed before stay: the summary
		 * then says what they applied.
		 */
		log_msg(LOG_ERROR, "YooKassa refused the credentials "
		    "(AWARD_YOOKASSA_SHOP_ID / AWARD_YOOKASSA_SECRET_KEY)",
		    LF_STR("error", run.error), LF_END);
		rc = 1;
		if (run.fetched_payments + run.fetched_refunds == 0)
			goto out;
	} else
		log_msg(rc == 0 ? LOG_INFO : LOG_ERROR, "reconcile run",
		    LF_INT("dry_run", dry_run), LF_INT("api_requests",
		    run.api_requests), LF_INT("duration_ms", run.finished_ms -
		    run.started_ms), LF_STR("stopped",
		    reconcile_stop_name(run.stop)), LF_STR("error",
		    run.error[0] ? run.error : NULL), LF_END);
	if (reconcile_summary(&run, line, sizeof(line)) == 0)
		printf("%s\n", line);
	fflush(stdout);
out:
	award_ctx_close(ctx);
	yk_close(yk);
	if (lockfd >= 0)
		close(lockfd);
	if (scratch[0] != '\0')
		db_scratch_remove(scratch);
	return rc;
}
