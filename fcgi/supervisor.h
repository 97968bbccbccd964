/*
 * award-fcgi's supervisor (supervisor.c): worker processes, restarts,
 * reloads, the systemd notifications and watchdog.
 */
#ifndef AWARD_SUPERVISOR_H
#define AWARD_SUPERVISOR_H

#include <stddef.h>

#include "config.h"

#ifndef AWARD_VERSION
#define AWARD_VERSION "unknown"
#endif

/*
 * The command-line flags over c (after config_load_file()). *flag_listen
 * is set when --listen was given. Returns 0, -1 with err set for a bad
 * value, or the index of an unknown argument (> 0).
 */
int	supervisor_flags(struct award_config *c, int argc, char *argv[],
	    int *flag_listen, char *err, size_t errsz);

/* The databases of c open (and are the right pair): 0, or -1 with err. */
int	supervisor_probe(const struct award_config *c, char *err,
	    size_t errsz);

/*
 * Run workers for cfg on the listening socket fd (source names it in the
 * log) until SIGTERM/SIGINT, then let them finish and close fd. file,
 * explicit, argc and argv are what SIGHUP reloads the configuration from
 * (config_early(), supervisor_flags()). Returns the exit status.
 */
int	supervisor_run(const struct award_config *cfg, int fd,
	    const char *source, const char *file, int explicit, int argc,
	    char *argv[]);

#endif
