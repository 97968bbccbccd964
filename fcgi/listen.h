/*
 * The responder's listening socket: chosen, opened, and removed at the
 * end (listen.c). The supervisor only holds it; workers accept on it.
 */
#ifndef AWARD_LISTEN_H
#define AWARD_LISTEN_H

#include <sys/stat.h>

#include <stddef.h>

#include "config.h"

struct listen_sock {
	int		 fd;
	const char	*source;	/* for the start-up log line */
	const char	*unix_path;	/* a socket file this process made */
	struct stat	 id;		/* its identity */
};

/*
 * Open the socket: --listen (flag_listen set) or else one systemd passes
 * to this process, else AWARD_LISTEN when set, else one listening on fd 0,
 * else cfg->listen's default. ls->unix_path points into cfg. Returns 0, or
 * -1 with err set.
 */
int	listen_open(const struct award_config *cfg, int flag_listen,
	    struct listen_sock *ls, char *err, size_t errsz);

/*
 * Close the socket and remove its file if this process made it and it is
 * still that file (never one another process has put there since).
 */
void	listen_close(struct listen_sock *ls);

#endif
