/*
 * Within the poll loop only (conn.c, conn_accept.c): the connection set
 * and what both halves share. Callers of the loop include conn.h.
 */
#ifndef AWARD_CONNSET_H
#define AWARD_CONNSET_H

#include <sys/epoll.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "ratelog.h"

/*
 * No conn.h here: conn.c includes this header, and conn.h's module must
 * not depend on it in turn (scripts/check-includes.sh).
 */
struct award_config;
struct conn;

/* Edge-triggered from accept to close (conn.c says why). */
#define CONN_EVENTS	(EPOLLIN | EPOLLRDHUP | EPOLLET)

enum conn_state { CS_READING, CS_IDLE, CS_BUSY, CS_CLOSED };

struct clist {
	struct conn	*head, *tail;
	size_t		 n;
};

struct connset {
	const struct award_config *cfg;
	int		 listen_fd, check_peer, ep, efd;
	void		(*dispatch)(void *, struct conn *); /* conn_dispatch_fn */
	void		*arg;
	uint64_t	*heartbeat;
	struct clist	 reading, idle;
	size_t		 busy;
	struct conn	*grave;		/* closed during this batch */
	int		 listening, stopping, backoff_ms;
	int64_t		 paused_until;
	pthread_mutex_t	 mu;		/* done, signalled */
	struct conn	*done;
	int		 signalled;
	struct ratelog	 rl_accept, rl_bad, rl_evict, rl_late, rl_peer;
	char		 tag_listen, tag_done, tag_stop;
};

/* conn.c */
int64_t	cs_now_ms(void);
/* Move c to state st; entering a list starts its deadline. */
void	cs_set_state(struct connset *cs, struct conn *c, enum conn_state st);
/* Close c now; it is freed after the batch of events being handled. */
void	cs_close(struct connset *cs, struct conn *c);
/* A log line of its kind at most every LOG_EVERY_MS, with a count. */
void	cs_logrl(struct ratelog *rl, enum log_level lv, const char *msg,
	    const char *k, const char *v);

/* conn_accept.c */
/* Watch the listening socket for connections (on) or not. */
void	cs_listen(struct connset *cs, int on);
/* Accept what waits, at most ACCEPTS_PER_TURN, into the reading list. */
void	cs_accept_some(struct connset *cs);

#endif
