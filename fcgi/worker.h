/*
 * One pre-forked worker: its own database connection (statements prepared
 * once), then accept/handle/finish until told to stop.
 */
#ifndef AWARD_WORKER_H
#define AWARD_WORKER_H

#include "config.h"

/*
 * Serve FastCGI requests on listen_fd until SIGTERM/SIGINT (a request in
 * progress is finished first). Returns the process exit status: 0 after a
 * stop, 1 when the databases cannot be opened.
 */
int	worker_run(const struct award_config *cfg, int listen_fd);

#endif
