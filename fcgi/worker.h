/*
 * One worker process (SPEC.md §2): request threads over libfcgi, one writer
 * (writer.h) that commits every write in groups, a small pool of read
 * connections the threads share (readers.h), and a read deadline on every
 * request (SPEC.md §7).
 */
#ifndef AWARD_WORKER_H
#define AWARD_WORKER_H

#include "config.h"

struct counters;

/*
 * Serve FastCGI requests on listen_fd until SIGTERM/SIGINT: then accept no
 * more, finish every accepted request, stop the writer. counters (shared
 * with the other workers) may be NULL. Returns the process exit status:
 * 0 after a stop, 1 when the worker cannot start.
 */
int	worker_run(const struct award_config *cfg, int listen_fd,
	    struct counters *counters);

#endif
