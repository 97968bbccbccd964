/*
 * award-fcgi: wires the configuration (file, environment, flags) to the
 * listening socket (listen.c) and the supervisor (supervisor.c), which
 * pre-forks the workers (worker.c). Start-up errors are one JSON line on
 * stderr and exit 1 (SPEC.md §7, §8).
 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "listen.h"
#include "log.h"
#include "memtune.h"
#include "sqlmem.h"
#include "supervisor.h"

#define PROG "award-fcgi"
#define USAGE PROG " [--config PATH] [--listen unix:PATH|HOST:PORT] " \
	"[--workers N] [--threads N] [--db PATH] [--bot-db PATH] [--check]"

/* Flags whose value is the next argument (config_early()). */
static const char *const value_flags[] = { "--db", "--bot-db", "--listen",
	"--workers", "--threads", NULL };

static void
help(void)
{
	printf("usage: %s\n"
	    "  --config PATH   configuration file (default %s, read when it "
	    "exists;\n"
	    "                  AWARD_CONFIG names one, \"\" none)\n"
	    "  --listen ADDR   unix:PATH or HOST:PORT (AWARD_LISTEN); without "
	    "it a socket\n"
	    "                  from systemd (LISTEN_FDS) or on fd 0 is used "
	    "when present\n"
	    "  --workers N     worker processes (AWARD_WORKERS)\n"
	    "  --threads N     request threads per worker (AWARD_THREADS)\n"
	    "  --db PATH       service database (AWARD_DB)\n"
	    "  --bot-db PATH   bot database (AWARD_BOT_DB)\n"
	    "  --check         check the configuration, both databases, their "
	    "pairing\n"
	    "                  and the tokens, one line each; exit 0 or 1; "
	    "creates nothing\n"
	    "  --version       print the version and exit\n"
	    "  --help          print this and exit\n"
	    "Signals: TERM/INT stop after in-flight requests; HUP reloads "
	    "the configuration.\n", USAGE, CONFIG_FILE_DEFAULT);
}

int
main(int argc, char *argv[])
{
	struct award_config	 cfg;
	struct listen_sock	 ls;
	char			 err[CONFIG_ERR_MAX];
	const char		*file;
	int			 r, explicit, flag_listen, check = 0;

	memtune_sqlite();
	memtune_json();
	if ((r = config_start(PROG, argc, argv, value_flags, help, NULL,
	    &file, &explicit)) != -1)
		return r;
	for (int i = 1; i < argc; i++)
		check |= strcmp(argv[i], "--check") == 0;
	if (config_load_file(&cfg, file, err, sizeof(err)) == -1 ||
	    (r = supervisor_flags(&cfg, argc, argv, &flag_listen, err,
	    sizeof(err))) < 0) {
		if (check)
			printf("FAIL configuration: %s\n", err);
		else
			config_startup_error(PROG, err);
		return 1;
	}
	if (r > 0) {
		config_unknown_arg(argv[r], USAGE);
		return 1;
	}
	log_set_level(cfg.log_level);
	/* The first-day check (issue 17): looks, creates nothing. */
	if (check)
		return db_check(&cfg, stdout) == 0 ? 0 : 1;
	/* Configuration and database errors surface here, at start. */
	if (supervisor_probe(&cfg, err, sizeof(err)) == -1) {
		config_startup_error(PROG, err);
		return 1;
	}
	/* The probe's memory goes back: the supervisor itself holds none. */
	sqlmem_release();
	malloc_trim(0);
	if (listen_open(&cfg, flag_listen, &ls, err, sizeof(err)) == -1) {
		config_startup_error(PROG, err);
		return 1;
	}
	r = supervisor_run(&cfg, ls.fd, ls.source, file, explicit, argc, argv);
	ls.fd = -1;	/* closed by the supervisor */
	listen_close(&ls);
	if (r == 0)
		log_msg(LOG_INFO, "stopped", LF_END);
	return r;
}
