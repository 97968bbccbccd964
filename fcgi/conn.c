/*
 * The poll loop of a worker (conn.h). One thread owns every connection
 * that is not at a request thread: it accepts, checks a TCP peer against
 * AWARD_FCGI_ALLOW once per connection (the address comes with accept4:
 * no getpeername, none at all on a unix socket), reads FastCGI records
 * without blocking and hands a request over only when it is whole. A peer
 * that stalls mid-record holds a slot in the poll set until its read
 * deadline (AWARD_READ_TIMEOUT_MS, per request), never a thread.
 *
 * epoll rather than poll(2): the set holds every kept connection (nginx's
 * upstream keepalive pool, idle most of the time) plus any stalled ones,
 * and a turn of the loop should cost what is ready, not what is open.
 * Each connection is in the set once, edge-triggered, from accept to
 * close: no epoll_ctl per request (re-arming a one-shot event was one
 * system call in eight, issue 14). An edge says bytes arrived; the loop
 * reads until read(2) would block, or until a request is whole. While a
 * request is out (at the writer or a request thread) an edge only marks
 * the connection unread, and nothing here touches its socket; so does a
 * read that filled the buffer (more may wait), and a request read with
 * the peer's end behind it (EPOLLRDHUP came with the bytes: no edge
 * would come again for that end). When the request comes back, an
 * unread connection is read at once; any other waits for its next edge.
 * A connection closed while its event is still in the batch being
 * handled is freed only after the batch.
 *
 * Lists: connections being read, in deadline order (the timeout is the
 * same for all, so appending keeps them sorted), and idle kept ones, in
 * the order they became idle (the oldest is shed first). Accepting, the
 * peer check and the limits on connections are in conn_accept.c.
 */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "connset.h"
#include "log.h"

#define READ_CHUNK	16384	/* bytes per read(2) */
#define READS_PER_TURN	4	/* then other connections get their turn */
#define EVENTS_MAX	64
#define TICK_MS		1000	/* the longest wait: heartbeat, back-off */
#define LOG_EVERY_MS	10000	/* one line per kind of repeated error */

int64_t
cs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
list_add(struct clist *l, struct conn *c)
{
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->n++;
}

static void
list_del(struct clist *l, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	l->n--;
}

static struct clist *
list_of(struct connset *cs, struct conn *c)
{
	if (c->state == CS_READING)
		return &cs->reading;
	if (c->state == CS_IDLE)
		return &cs->idle;
	return NULL;
}

/* Move c to state st; entering a list starts its deadline. */
void
cs_set_state(struct connset *cs, struct conn *c, enum conn_state st)
{
	struct clist *l = list_of(cs, c);

	if (l != NULL)
		list_del(l, c);
	c->state = st;
	if (st == CS_READING)
		c->deadline_ms = cs_now_ms() + cs->cfg->read_timeout_ms;
	else if (st == CS_IDLE)
		c->deadline_ms = cs_now_ms() + CONN_IDLE_TIMEOUT_MS;
	if ((l = list_of(cs, c)) != NULL)
		list_add(l, c);
}

void
cs_close(struct connset *cs, struct conn *c)
{
	cs_set_state(cs, c, CS_CLOSED);
	close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	c->qnext = cs->grave;
	cs->grave = c;
}

static void
bury(struct connset *cs)
{
	while (cs->grave != NULL) {
		struct conn *c = cs->grave;

		cs->grave = c->qnext;
		frec_free(&c->fr);
		free(c->pend);
		free(c);
	}
}

void
cs_logrl(struct ratelog *rl, enum log_level lv, const char *msg,
    const char *k, const char *v)
{
	long long n;

	if (ratelog_due(rl, cs_now_ms(), LOG_EVERY_MS, &n))
		log_msg(lv, msg, LF_STR(k, v), LF_INT("repeated", n), LF_END);
}

/*
 * EPOLL_CTL_MOD again (rearm) looks at the socket at once: readable, its
 * event comes with the next turn.
 */
#define CONN_ENDED	(EPOLLRDHUP | EPOLLHUP | EPOLLERR)

static int
rearm(struct connset *cs, struct conn *c)
{
	struct epoll_event ev = { .events = CONN_EVENTS, .data.ptr = c };

	return epoll_ctl(cs->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/*
 * Feed bytes to c's parser. 1 when a whole request went to a thread, 0
 * when c waits for more, -1 when c must be closed.
 */
static int
consume(struct connset *cs, struct conn *c, const unsigned char *d,
    size_t n)
{
	enum frec_status	st;
	size_t			used, left;
	ssize_t			w;

	if (n > 0 && c->state == CS_IDLE)
		cs_set_state(cs, c, CS_READING);
	st = frec_feed(&c->fr, d, n, &used);
	left = c->fr.reply_len;
	w = left > 0 ? send(c->fd, c->fr.reply, left, MSG_DONTWAIT |
	    MSG_NOSIGNAL) : 0;
	c->fr.reply_len = 0;
	if (w < 0 || (size_t)w != left)
		return -1;
	if (st == FREC_ERROR) {
		cs_logrl(&cs->rl_bad, LOG_WARN, "FastCGI record refused; "
		    "connection closed", "error", c->fr.err);
		return -1;
	}
	if (c->fr.close_after_reply)
		return -1;
	if (st == FREC_MORE) {
		if (!frec_busy(&c->fr) && c->state == CS_READING)
			cs_set_state(cs, c, CS_IDLE);
		return 0;
	}
	if (used < n) {
		if ((c->pend = malloc(n - used)) == NULL)
			return -1;
		memcpy(c->pend, d + used, n - used);
		c->pend_len = n - used;
	}
	cs_set_state(cs, c, CS_BUSY);
	cs->busy++;
	cs->dispatch(cs->arg, c);
	return 1;
}

/*
 * Read c until read(2) would block or a request is whole (then c is
 * unread when that read filled the buffer, or when the peer's end came:
 * more may wait). After READS_PER_TURN full reads c waits for the next
 * turn (rearm).
 */
static void
on_readable(struct connset *cs, struct conn *c)
{
	unsigned char buf[READ_CHUNK];

	c->unread = 0;
	for (int i = 0; i < READS_PER_TURN; i++) {
		ssize_t r = read(c->fd, buf, sizeof(buf));
		int rc;

		if (r > 0) {
			if ((rc = consume(cs, c, buf, (size_t)r)) == 1) {
				c->unread = (size_t)r == sizeof(buf) ||
				    c->ended;
				return;
			}
			if (rc == -1) {
				cs_close(cs, c);
				return;
			}
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		cs_close(cs, c);	/* end of file, or an error */
		return;
	}
	if (rearm(cs, c) == -1)
		cs_close(cs, c);
}

/* An event of connection c, in a batch of conn_run. */
static void
on_event(struct connset *cs, struct conn *c, uint32_t events)
{
	if (c->state == CS_CLOSED)
		return;
	if (events & CONN_ENDED)
		c->ended = 1;
	if (c->state == CS_BUSY)
		c->unread = 1;	/* its request is out: read when back */
	else
		on_readable(cs, c);
}

/* Connections back from the request threads and the writer. */
static void
on_done(struct connset *cs)
{
	struct conn	*list, *c;
	uint64_t	 v;

	if (read(cs->efd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		log_msg(LOG_ERROR, "eventfd read failed", LF_STR("error",
		    strerror(errno)), LF_END);
	pthread_mutex_lock(&cs->mu);
	list = cs->done;
	cs->done = NULL;
	cs->signalled = 0;
	pthread_mutex_unlock(&cs->mu);
	/* The lines of the answers sent here: one write after them. */
	log_batch_begin();
	while ((c = list) != NULL) {
		unsigned char	*pend = c->pend;
		size_t		 plen = c->pend_len;
		int		 rc = 0;

		list = c->qnext;
		cs->busy--;
		if (c->finish != NULL) {
			int (*finish)(struct conn *) = c->finish;

			c->finish = NULL;
			c->keep = finish(c);
		}
		c->pend = NULL;
		c->pend_len = 0;
		if (!c->keep || (cs->stopping && plen == 0)) {
			free(pend);
			cs_close(cs, c);
			continue;
		}
		frec_next(&c->fr);
		if (cs->idle.n >= CONN_IDLE_MAX)
			cs_close(cs, cs->idle.head);
		cs_set_state(cs, c, CS_IDLE);
		if (plen > 0)
			rc = consume(cs, c, pend, plen);
		free(pend);
		if (rc == -1)
			cs_close(cs, c);
		else if (rc == 0 && c->unread)
			on_readable(cs, c);
	}
	log_batch_end();
}

/* Close what is past its deadline; ms until the next deadline. */
static int
expire(struct connset *cs, int64_t now)
{
	int64_t next = now + TICK_MS;

	while (cs->reading.head != NULL &&
	    cs->reading.head->deadline_ms <= now) {
		cs_logrl(&cs->rl_late, LOG_WARN, "read deadline passed; request "
		    "dropped", "peer", cs->reading.head->peer);
		cs_close(cs, cs->reading.head);
	}
	while (cs->idle.head != NULL && cs->idle.head->deadline_ms <= now)
		cs_close(cs, cs->idle.head);
	if (cs->reading.head != NULL && cs->reading.head->deadline_ms < next)
		next = cs->reading.head->deadline_ms;
	if (cs->idle.head != NULL && cs->idle.head->deadline_ms < next)
		next = cs->idle.head->deadline_ms;
	if (cs->paused_until != 0 && cs->paused_until < next)
		next = cs->paused_until;
	return next > now ? (int)(next - now) : 0;
}

static void
begin_stop(struct connset *cs, int stop_fd)
{
	cs->stopping = 1;
	epoll_ctl(cs->ep, EPOLL_CTL_DEL, stop_fd, NULL);
	epoll_ctl(cs->ep, EPOLL_CTL_DEL, cs->listen_fd, NULL);
	cs->listening = 0;
	while (cs->idle.head != NULL)
		cs_close(cs, cs->idle.head);
	/*
	 * A request begun gets at most CONN_STOP_READ_MS more to arrive;
	 * the list stays in deadline order. One not begun is not waited for.
	 */
	for (struct conn *c = cs->reading.head, *n; c != NULL; c = n) {
		n = c->next;
		if (!frec_busy(&c->fr))
			cs_close(cs, c);
		else if (c->deadline_ms > cs_now_ms() + CONN_STOP_READ_MS)
			c->deadline_ms = cs_now_ms() + CONN_STOP_READ_MS;
	}
}

int
conn_run(struct connset *cs, int stop_fd)
{
	struct epoll_event	ev = { .events = EPOLLIN,
	    .data.ptr = &cs->tag_stop }, evs[EVENTS_MAX];

	if (epoll_ctl(cs->ep, EPOLL_CTL_ADD, stop_fd, &ev) == -1)
		return -1;
	for (;;) {
		int64_t	now = cs_now_ms();
		int	timeout = expire(cs, now), n;

		bury(cs);
		if (cs->stopping && cs->reading.n == 0 && cs->busy == 0)
			break;
		n = epoll_wait(cs->ep, evs, EVENTS_MAX, timeout);
		if (n == -1 && errno != EINTR) {
			log_msg(LOG_ERROR, "epoll_wait failed", LF_STR("error",
			    strerror(errno)), LF_END);
			return -1;
		}
		if (cs->heartbeat != NULL)
			__atomic_fetch_add(cs->heartbeat, 1, __ATOMIC_RELAXED);
		if (cs->paused_until != 0 && cs_now_ms() >= cs->paused_until) {
			cs->paused_until = 0;
			if (!cs->stopping)
				cs_listen(cs, 1);
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (p == &cs->tag_stop)
				begin_stop(cs, stop_fd);
			else if (p == &cs->tag_listen) {
				if (!cs->stopping)
					cs_accept_some(cs);
			} else if (p == &cs->tag_done)
				on_done(cs);
			else
				on_event(cs, p, evs[i].events);
		}
	}
	return 0;
}

void
conn_done(struct connset *cs, struct conn *c, int keep)
{
	int		wake;
	uint64_t	one = 1;

	pthread_mutex_lock(&cs->mu);
	c->keep = keep;
	c->qnext = cs->done;
	cs->done = c;
	wake = !cs->signalled;
	cs->signalled = 1;
	pthread_mutex_unlock(&cs->mu);
	if (wake && write(cs->efd, &one, sizeof(one)) == -1)
		log_msg(LOG_ERROR, "eventfd write failed", LF_STR("error",
		    strerror(errno)), LF_END);
}

struct connset *
conn_new(const struct award_config *cfg, int listen_fd, int check_peer,
    conn_dispatch_fn dispatch, void *arg, uint64_t *heartbeat)
{
	struct connset		*cs;
	struct epoll_event	 ev = { .events = EPOLLIN };

	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return NULL;
	cs->cfg = cfg;
	cs->listen_fd = listen_fd;
	cs->check_peer = check_peer;
	cs->dispatch = dispatch;
	cs->arg = arg;
	cs->heartbeat = heartbeat;
	cs->efd = -1;
	pthread_mutex_init(&cs->mu, NULL);
	if ((cs->ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (cs->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		goto fail;
	ev.data.ptr = &cs->tag_done;
	if (epoll_ctl(cs->ep, EPOLL_CTL_ADD, cs->efd, &ev) == -1)
		goto fail;
	ev.data.ptr = &cs->tag_listen;
	if (epoll_ctl(cs->ep, EPOLL_CTL_ADD, listen_fd, &ev) == -1)
		goto fail;
	cs->listening = 1;
	return cs;
fail:
	conn_free(cs);
	return NULL;
}

void
conn_free(struct connset *cs)
{
	if (cs == NULL)
		return;
	while (cs->reading.head != NULL)
		cs_close(cs, cs->reading.head);
	while (cs->idle.head != NULL)
		cs_close(cs, cs->idle.head);
	bury(cs);
	if (cs->ep != -1)
		close(cs->ep);
	if (cs->efd != -1)
		close(cs->efd);
	pthread_mutex_destroy(&cs->mu);
	free(cs);
}
