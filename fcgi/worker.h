/*
 * One worker process (SPEC.md §2): a poll loop that reads whole FastCGI
 * requests (conn.h), request threads, one writer (writer.h) that commits
 * every write in groups, a small pool of read connections the threads
 * share (readers.h), and a read deadline on every request (SPEC.md §7).
 */
#ifndef AWARD_WORKER_H
#define AWARD_WORKER_H

#include <stdint.h>

#include "config.h"

struct counters;

/*
 * Serve FastCGI requests on listen_fd until SIGTERM/SIGINT: then accept no
 * more, finish every accepted request, stop the writer. counters (shared
 * with the other workers) may be NULL. heartbeat (may be NULL) is advanced
 * by every turn of the poll loop, at least once a second: the supervisor
 * feeds systemd's watchdog only while it moves. Returns the process exit
 * status: 0 after a stop, 1 when the worker cannot start.
 */
int	worker_run(const struct award_config *cfg, int listen_fd,
	    struct counters *counters, uint64_t *heartbeat);

#endif
