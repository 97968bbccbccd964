/*
 * award-retry: one run over the durable retry queue (SPEC.md §6), started
 * by system cron every five minutes. Thin on purpose: configuration, the
 * run lock, then job_retry_run() and the admin totals' upkeep
 * (totals_sync()); exit 1 when the run stopped on an outage. Never links
 * libfcgi. Quiet on success (nothing on stdout); JSON log lines go to
 * stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atime.h"
#include "config.h"
#include "ctx.h"
#include "db.h"
#include "job.h"
#include "log.h"
#include "memtune.h"
#include "retain.h"
#include "retryq.h"
#include "roles.h"
#include "totals.h"
#include "yookassa.h"

#define PROG "award-retry"
#define USAGE PROG " [--config PATH] [--db PATH] [--bot-db PATH] " \
	"[--limit N] [--force] [--now TIME] [--init] [--print-config]"

/* Flags whose value is the next argument (config_early()). */
static const char *const value_flags[] = { "--db", "--bot-db", "--limit",
	"--now", NULL };

static void
help(void)
{
	printf("usage: %s\n"
	    "  --config PATH  configuration file (default %s, read when it "
	    "exists;\n"
	    "                 AWARD_CONFIG names one, \"\" none)\n"
	    "  --db PATH      service database (AWARD_DB)\n"
	    "  --bot-db PATH  bot database (AWARD_BOT_DB)\n"
	    "  --limit N      at most N rows this run (default %d)\n"
	    "  --force        every pending row, due or not\n"
	    "  --now TIME     run as if the clock said TIME (tests)\n"
	    "  --init         create the databases when there are none yet\n"
	    "                 (without it, a run on a host that is not set up\n"
	    "                 creates nothing and exits 0)\n"
	    "  --print-config print the resolved settings (never a token) "
	    "and exit\n"
	    "  --version      print the version and exit\n"
	    "  --help         print this and exit\n", USAGE,
	    CONFIG_FILE_DEFAULT, RETRYQ_LIMIT_DEFAULT);
}

int
main(int argc, char *argv[])
{
	struct award_config	 cfg;
	struct award_ctx	*ctx;
	struct retry_run	 run;
	struct yk_client	*yk = NULL;
	char			 err[CONFIG_ERR_MAX];
	const char		*val, *file;
	long long		 limit = RETRYQ_LIMIT_DEFAULT;
	struct retain_counts	 kept;
	int			 force = 0, lockfd, rc, r, explicit;
	int			 init = 0, print = 0;

	memtune_sqlite();
	/* --print-config shows the settings as the responder reads them. */
	for (r = 1; r < argc && strcmp(argv[r], "--print-config") != 0; r++)
		continue;
	if (r == argc)
		config_tokens_unused();
	if ((r = config_start(PROG, argc, argv, value_flags, help, &cfg,
	    &file, &explicit)) != -1)
		return r;
	for (int i = 1; i < argc; i++) {
		if (config_flag_value("--config", argc, argv, &i, &val) != 0)
			continue;
		if ((r = config_flag(&cfg, argc, argv, &i, err,
		    sizeof(err))) != 0) {
			if (r == -1) {
				config_startup_error(PROG, err);
				return 1;
			}
		} else if (strcmp(argv[i], "--force") == 0) {
			force = 1;
		} else if (strcmp(argv[i], "--init") == 0) {
			init = 1;
		} else if (strcmp(argv[i], "--print-config") == 0) {
			print = 1;
		} else if ((r = config_flag_int("--limit", argc, argv, &i,
		    RETRYQ_LIMIT_MAX, &limit, err, sizeof(err))) != 0) {
			if (r == -1) {
				config_startup_error(PROG, err);
				return 1;
			}
		} else if ((r = config_flag_value("--now", argc, argv, &i,
		    &val)) != 0) {
			/* For tests: run as if the time were TIME. */
			if (r == -1 || atime_parse(val, &cfg.now_ms) == -1) {
				config_startup_error(PROG, "--now: needs an "
				    "ISO-8601 time");
				return 1;
			}
		} else {
			config_unknown_arg(argv[i], USAGE);
			return 1;
		}
	}
	log_set_level(cfg.log_level);
	if (print)
		return config_print(&cfg, stdout) == 0 ? 0 : 1;

	/*
	 * Not set up yet (SPEC.md §6): cron runs this before the operator
	 * has named the databases; creating one now would pair it with the
	 * wrong bot database. Only award-fcgi or --init creates them.
	 */
	if (!init && (r = db_setup_exit(&cfg, PROG)) != -1)
		return r;
	/* As the responder's worker: heap kept between transactions. */
	memtune_process(0);

	/*
	 * Open first: the run lock is taken on the database file, which
	 * opening creates on a new host.
	 */
	if ((ctx = award_ctx_open(&cfg, &roles_writer, err,
	    sizeof(err))) == NULL) {
		config_startup_error(PROG, err);
		return 1;
	}
	/* Its groups' savepoints journal in memory, as the responder's. */
	if (memtune_writer(ctx->db) == -1)
		log_msg(LOG_WARN, "writer settings not applied",
		    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
	if ((lockfd = retryq_lock(cfg.db_path, err, sizeof(err))) == -2) {
		award_ctx_close(ctx);
		log_msg(LOG_INFO, "another retry run is in progress; exiting",
		    LF_END);
		return 0;
	}
	if (lockfd == -1) {
		award_ctx_close(ctx);
		config_startup_error(PROG, err);
		return 1;
	}
	/*
	 * Rows saved unconfirmed are verified with the API (SPEC.md §11)
	 * whenever its shop id and key are set, whether or not the
	 * responder verifies today: they were queued when it did.
	 */
	snprintf(err, sizeof(err), "libcurl: global set-up failed");
	if (config_yookassa_missing(&cfg) == NULL && (yk_global_init() == -1 ||
	    (yk = yk_open(&cfg, err, sizeof(err))) == NULL)) {
		award_ctx_close(ctx);
		close(lockfd);
		config_startup_error(PROG, err);
		return 1;
	}
	rc = job_retry_run_verified(ctx, yk, force, (int)limit, &run) == 0 ?
	    0 : 1;
	yk_close(yk);
	/* Retention after a run that met no outage (SPEC.md §6). */
	if (rc == 0 && retain_run(ctx, award_ctx_now(ctx), &kept, err,
	    sizeof(err)) == -1) {
		log_msg(LOG_ERROR, "retention stopped", LF_STR("error", err),
		    LF_INT("retry_runs", kept.retry_runs),
		    LF_INT("reconcile_runs", kept.reconcile_runs),
		    LF_INT("done", kept.done), LF_END);
		rc = 1;
	} else if (rc == 0 && kept.retry_runs + kept.reconcile_runs +
	    kept.done > 0)
		log_msg(LOG_INFO, "retention: deleted old rows",
		    LF_INT("retry_runs", kept.retry_runs),
		    LF_INT("reconcile_runs", kept.reconcile_runs),
		    LF_INT("done", kept.done), LF_END);
	/* The admin views' totals: their upkeep is a writer's (totals.h). */
	if (rc == 0 && totals_sync(ctx) == -1)
		log_msg(LOG_WARN, "admin totals not brought up to date",
		    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
	award_ctx_close(ctx);
	close(lockfd);
	return rc;
}
