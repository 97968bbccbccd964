/*
 * The worker's connections (issue 14, issue 18 findings 1 and 3): one
 * thread polls the listening socket and every connection, reads FastCGI
 * records without blocking (fcgi_rec.h) and hands a request to the
 * request threads only once it has arrived whole. Kept connections
 * (FCGI_KEEP_CONN) come back to the poll set after their response. Not
 * here: what a request means (routes.h) or how threads are run (worker.c).
 */
#ifndef AWARD_CONN_H
#define AWARD_CONN_H

#include <stdint.h>

#include "config.h"
#include "fcgi_rec.h"

/* Named limits of the poll loop. */
#define CONN_READING_MAX	1024	/* connections with a request half read */
#define CONN_PEER_READING_MAX	64	/* the same, per TCP peer address */
#define CONN_IDLE_MAX		1024	/* kept connections between requests */
#define CONN_IDLE_TIMEOUT_MS	75000	/* above nginx's keepalive_timeout */
#define CONN_BACKOFF_MIN_MS	50	/* accept after EMFILE: first pause */
#define CONN_BACKOFF_MAX_MS	1000
#define CONN_STOP_READ_MS	10000	/* at SIGTERM: reading a request begun */
#define CONN_PEER_MAX		46	/* INET6_ADDRSTRLEN */

struct connset;

/* One connection, as a request thread sees it while it holds it. */
struct conn {
	int		 fd;
	struct frec	 fr;		/* the whole request */
	char		 peer[CONN_PEER_MAX]; /* TCP peer, "" on unix */
	/* The rest belongs to the poll loop (conn.c). */
	int		 state;
	int64_t		 deadline_ms;
	struct conn	*prev, *next;	/* the reading or idle list */
	struct conn	*qnext;		/* the done queue */
	int		 keep;		/* set by conn_done() */
	int		 unread;	/* bytes, or the end, may wait unread */
	int		 ended;		/* the peer's end (or an error) came */
	/*
	 * Set by the dispatcher for a request it answers on the poll thread
	 * (worker.c): called there when c comes back through conn_done(),
	 * to send the answer; its result is kept, conn_done()'s is not.
	 */
	int		(*finish)(struct conn *c);
	void		*ex;		/* the dispatcher's, for finish */
	unsigned char	*pend;		/* bytes after the request */
	size_t		 pend_len;
};

/*
 * Called on the poll thread with a connection whose request is whole: the
 * callee owns c until it calls conn_done().
 */
typedef void	(*conn_dispatch_fn)(void *arg, struct conn *c);

/*
 * A poll loop on listen_fd (non-blocking) for cfg (AWARD_READ_TIMEOUT_MS,
 * AWARD_MAX_BODY, AWARD_FCGI_ALLOW when check_peer). heartbeat, when not
 * NULL, is advanced on every turn of the loop (the supervisor's watchdog).
 * Returns NULL when out of memory or descriptors.
 */
struct connset *conn_new(const struct award_config *cfg, int listen_fd,
	    int check_peer, conn_dispatch_fn dispatch, void *arg,
	    uint64_t *heartbeat);

/*
 * Serve until stop_fd (a signalfd) is readable; then accept no more,
 * close idle connections, finish reading the requests begun (each within
 * its deadline) and wait until every dispatched request is done. Returns
 * 0, or -1 when the poll itself failed.
 */
int	conn_run(struct connset *cs, int stop_fd);

/*
 * From any thread: the response to c is written (keep: and delivered,
 * and the peer asked to keep the connection), or c->finish will write it.
 * The poll thread takes c back: calls c->finish if set, then closes c or
 * polls it for the next request.
 */
void	conn_done(struct connset *cs, struct conn *c, int keep);

/* Close every connection and free cs. NULL is a no-op. */
void	conn_free(struct connset *cs);

#endif
