/*
 * The accepting half of the poll loop (connset.h). A TCP peer is checked
 * against AWARD_FCGI_ALLOW once per connection, with the address that
 * comes with accept4 (no getpeername; none at all on a unix socket).
 * Limits (conn.h): a new connection over CONN_READING_MAX, or over
 * CONN_PEER_READING_MAX from its TCP peer, pushes out the oldest one being
 * read (of that peer): a stalled connection is old, nginx's are fresh.
 * accept failing for want of descriptors (EMFILE, ENFILE) or memory sheds
 * the oldest idle connection and pauses accepting with a growing back-off:
 * it never spins, and its log line is rate-limited (ratelog.h).
 */
#define _GNU_SOURCE	/* accept4(2) */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "conn.h"
#include "connset.h"

#define ACCEPTS_PER_TURN 64

void
cs_listen(struct connset *cs, int on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0,
	    .data.ptr = &cs->tag_listen };

	if (cs->listening == on)
		return;
	if (epoll_ctl(cs->ep, EPOLL_CTL_MOD, cs->listen_fd, &ev) == 0)
		cs->listening = on;
}

/* Out of descriptors or memory: shed an idle connection, pause. */
static void
accept_backoff(struct connset *cs, int err)
{
	if (cs->idle.head != NULL)
		cs_close(cs, cs->idle.head);
	cs->backoff_ms = cs->backoff_ms == 0 ? CONN_BACKOFF_MIN_MS :
	    cs->backoff_ms * 2 > CONN_BACKOFF_MAX_MS ? CONN_BACKOFF_MAX_MS :
	    cs->backoff_ms * 2;
	cs->paused_until = cs_now_ms() + cs->backoff_ms;
	cs_listen(cs, 0);
	cs_logrl(&cs->rl_accept, LOG_ERROR, "accept failed; accepting paused",
	    "error", strerror(err));
}

/* 1 when the peer may talk to us; fills peer with its address. */
static int
peer_ok(struct connset *cs, const struct sockaddr_storage *ss, char *peer)
{
	const void *p;

	if (ss->ss_family == AF_INET)
		p = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	else
		return 0;
	if (inet_ntop(ss->ss_family, p, peer, CONN_PEER_MAX) == NULL)
		return 0;
	if (cidr_match(&cs->cfg->fcgi_allow, peer))
		return 1;
	cs_logrl(&cs->rl_peer, LOG_WARN, "FastCGI connection refused: peer not "
	    "in AWARD_FCGI_ALLOW", "peer", peer);
	return 0;
}

/* Make room for one more connection being read from peer. */
static void
make_room(struct connset *cs, const char *peer)
{
	struct conn	*oldest = NULL;
	size_t		 same = 0;

	if (peer[0] != '\0') {
		for (struct conn *c = cs->reading.head; c != NULL;
		    c = c->next)
			if (strcmp(c->peer, peer) == 0 && same++ == 0)
				oldest = c;
		if (same < CONN_PEER_READING_MAX)
			oldest = NULL;
	}
	if (oldest == NULL && cs->reading.n >= CONN_READING_MAX)
		oldest = cs->reading.head;
	if (oldest == NULL)
		return;
	cs_logrl(&cs->rl_evict, LOG_WARN, "too many connections still being "
	    "read; the oldest closed", "peer", peer);
	cs_close(cs, oldest);
}

void
cs_accept_some(struct connset *cs)
{
	for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
		struct sockaddr_storage	 ss;
		socklen_t		 sl = sizeof(ss);
		struct epoll_event	 ev;
		struct conn		*c;
		char			 peer[CONN_PEER_MAX] = "";
		int			 fd;

		fd = accept4(cs->listen_fd, cs->check_peer ?
		    (struct sockaddr *)&ss : NULL, cs->check_peer ? &sl : NULL,
		    SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			accept_backoff(cs, errno);
			return;
		}
		cs->backoff_ms = 0;
		if (cs->check_peer && !peer_ok(cs, &ss, peer)) {
			close(fd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			accept_backoff(cs, ENOMEM);
			return;
		}
		make_room(cs, peer);
		c->fd = fd;
		memcpy(c->peer, peer, sizeof(c->peer));
		frec_init(&c->fr, cs->cfg->max_body);
		c->state = CS_BUSY;	/* in no list yet */
		ev.events = CONN_EVENTS;
		ev.data.ptr = c;
		if (epoll_ctl(cs->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			close(fd);
			free(c);
			accept_backoff(cs, errno);
			return;
		}
		cs_set_state(cs, c, CS_READING);
	}
}
