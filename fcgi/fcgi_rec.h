/*
 * FastCGI 1.0 records, parsed here with hard limits instead of by libfcgi's
 * fcgiapp (which aborts on a PARAMS pair whose lengths sum past what it can
 * allocate, and cannot read a connection without blocking a thread). Only
 * libfcgi's fastcgi.h is used: record types, flags, roles, status codes.
 * Bytes are decoded one by one; no struct is cast onto a wire buffer.
 *
 * A parser belongs to one connection. frec_feed() takes bytes as they
 * arrive, in pieces of any size, and stops when one whole request (BEGIN_
 * REQUEST, PARAMS to the empty record, STDIN to the empty record) is there.
 * One request per connection at a time (FCGI_MPXS_CONNS 0). Management
 * records are answered through the reply buffer; nothing here does I/O
 * except frec_send_response() (fcgi_out.c).
 */
#ifndef AWARD_FCGI_REC_H
#define AWARD_FCGI_REC_H

#include <stddef.h>
#include <stdint.h>

#include <fastcgi.h>

/*
 * Named limits: every one is checked before the bytes it counts are kept.
 * A request past FREC_PARAMS_MAX or FREC_PARAMS_BYTES (a client's many
 * headers, which nginx passes as HTTP_* pairs after its own) keeps the
 * pairs before the limit, the rest of its PARAMS is read and dropped, and
 * params_over is set: answered 431, the connection kept. The other limits
 * are protocol violations.
 */
#define FREC_PARAMS_MAX		128	/* name-value pairs in one request */
#define FREC_PARAMS_BYTES	(32 * 1024) /* encoded PARAMS stream */
#define FREC_KEEP_BYTES		4096	/* a buffer kept for the next request */
#define FREC_NV_MAX		(16 * 1024) /* name + value of one pair, summed */
#define FREC_MGMT_MAX		1024	/* content of a GET_VALUES record */
#define FREC_REPLY_MAX		2048	/* management replies not yet written */
#define FREC_CHUNK		65528	/* STDOUT content per record (8-aligned) */

enum frec_status {
	FREC_MORE,	/* all bytes taken; the request is not whole yet */
	FREC_READY,	/* a whole request; *used says how many bytes taken */
	FREC_ERROR	/* a protocol violation: close the connection */
};

struct frec_pair {
	uint32_t	 noff, nlen;	/* into raw */
	uint32_t	 voff, vlen;
};

struct frec {
	size_t		 max_body;	/* AWARD_MAX_BODY */
	const char	*err;		/* why FREC_ERROR, a static string */
	/* The record being read. */
	unsigned char	 hdr[FCGI_HEADER_LEN];
	size_t		 hlen;		/* header bytes so far */
	int		 type;
	uint16_t	 rid;
	size_t		 clen, cgot;	/* content length, content so far */
	size_t		 plen;		/* padding still to skip */
	int		 sink;		/* where content goes (fcgi_rec.c) */
	unsigned char	 mgmt[FREC_MGMT_MAX];
	/* The request (rid != 0 once BEGIN_REQUEST is read). */
	uint16_t	 id;
	int		 keep_conn;	/* FCGI_KEEP_CONN */
	int		 params_done, stdin_done;
	int		 params_over;	/* past a PARAMS limit: answer 431 */
	char		*raw;		/* the PARAMS stream, NUL-terminated pairs */
	size_t		 raw_len, raw_cap, scan;
	struct frec_pair pairs[FREC_PARAMS_MAX];
	size_t		 npairs;
	char		*body;		/* CONTENT_LENGTH + 1 bytes */
	char		*body_buf;	/* body's memory, kept while small */
	size_t		 body_cap;
	size_t		 body_len, content_length;
	int		 body_state;	/* enum in fcgi_rec.c */
	/* Management answers to write before anything else. */
	unsigned char	 reply[FREC_REPLY_MAX];
	size_t		 reply_len;
	int		 close_after_reply; /* an aborted request without keep */
};

/* Initialize p for a new connection; max_body bounds a request's body. */
void	frec_init(struct frec *p, size_t max_body);

/* Free what p holds; p may be reused after frec_init(). NULL is a no-op. */
void	frec_free(struct frec *p);

/*
 * Take up to len bytes of data. Returns FREC_MORE (every byte taken),
 * FREC_READY (a whole request; *used bytes taken, the rest belongs to a
 * later request: feed it after frec_next()), or FREC_ERROR (p->err says
 * why; close the connection). Replies may be added to p->reply in any
 * case: write them out before the response. Never aborts, whatever data is.
 */
enum frec_status frec_feed(struct frec *p, const unsigned char *data,
	    size_t len, size_t *used);

/* Forget the finished request; buffers are kept for the next one. */
void	frec_next(struct frec *p);

/* 1 while a request has begun and is not whole yet. */
int	frec_busy(const struct frec *p);

/* The value of parameter name in the ready request, or NULL. */
const char *frec_param(const struct frec *p, const char *name);

/*
 * The body of the ready request: 0 with *body (NUL-terminated, owned by p)
 * and *len; 1 when CONTENT_LENGTH is over max_body (the body was read and
 * dropped); -1 when CONTENT_LENGTH is malformed or the STDIN bytes differ
 * from it.
 */
int	frec_body(const struct frec *p, const char **body, size_t *len);

/*
 * Write head and body as FCGI_STDOUT records of request id, then the empty
 * STDOUT and FCGI_END_REQUEST (FCGI_REQUEST_COMPLETE), with one writev(2)
 * when the socket takes it all; a non-blocking fd is waited on for at most
 * timeout_ms in total. Returns 0, or -1 (errno set) when not delivered.
 */
int	frec_send_response(int fd, uint16_t id, const char *head,
	    size_t hlen, const char *body, size_t blen, int timeout_ms);

#endif
