/*
 * FastCGI 1.0 record parser and response writer (see fcgi_rec.h). The
 * parser is a byte-stream state machine: header (8 bytes), content,
 * padding. It keeps no record whole: content goes straight to where it
 * belongs (the PARAMS stream, the body, a small management buffer) or is
 * skipped, so a record costs no more memory than the limits allow, in
 * whatever pieces it arrives. Which layer enforces what: nginx bounds the
 * HTTP request (client_max_body_size, header buffers); this file bounds
 * every FastCGI record, the parameters (FREC_*) and the body (AWARD_MAX_
 * BODY against CONTENT_LENGTH); the handlers validate each field.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi_rec.h"

/* Where the content of the record being read goes. */
enum sink {
	SINK_SKIP,
	SINK_BEGIN,	/* BEGIN_REQUEST body, into mgmt */
	SINK_MGMT,	/* GET_VALUES, into mgmt */
	SINK_PARAMS,
	SINK_BODY
};

enum body_state {
	BODY_OK,
	BODY_TOO_LARGE,	/* CONTENT_LENGTH over max_body: bytes dropped */
	BODY_BAD	/* CONTENT_LENGTH malformed, or STDIN differs from it */
};

void
frec_init(struct frec *p, size_t max_body)
{
	memset(p, 0, sizeof(*p));
	p->max_body = max_body;
}

void
frec_free(struct frec *p)
{
	if (p == NULL)
		return;
	free(p->raw);
	free(p->body_buf);
	p->raw = p->body = p->body_buf = NULL;
	p->raw_cap = p->body_cap = 0;
}

int
frec_busy(const struct frec *p)
{
	return p->id != 0 || p->hlen > 0;
}

void
frec_next(struct frec *p)
{
	p->id = 0;
	p->keep_conn = 0;
	p->params_done = p->stdin_done = p->params_over = 0;
	p->raw_len = p->scan = p->npairs = 0;
	p->body_len = p->content_length = 0;
	p->body_state = BODY_OK;
	/* A kept connection holds no more than a small request's buffers. */
	if (p->raw_cap > FREC_KEEP_BYTES) {
		free(p->raw);
		p->raw = NULL;
		p->raw_cap = 0;
	}
	if (p->body_cap > FREC_KEEP_BYTES) {
		free(p->body_buf);
		p->body_buf = NULL;
		p->body_cap = 0;
	}
	p->body = NULL;
}

static enum frec_status
fail(struct frec *p, const char *why)
{
	p->err = why;
	return FREC_ERROR;
}

/*
 * The request's PARAMS passed FREC_PARAMS_MAX or FREC_PARAMS_BYTES: keep
 * the whole pairs read so far, drop the rest as it comes (fcgi_rec.h),
 * the rest of this record too: a record that arrives in pieces must not
 * be appended after a cut in the middle of a pair.
 */
static enum frec_status
params_over(struct frec *p)
{
	p->params_over = 1;
	p->raw_len = p->scan;
	p->sink = SINK_SKIP;
	return FREC_MORE;
}

static void
put16(unsigned char *b, unsigned v)
{
	b[0] = (unsigned char)(v >> 8);
	b[1] = (unsigned char)v;
}

static void
put_header(unsigned char *b, int type, unsigned id, size_t clen)
{
	b[0] = FCGI_VERSION_1;
	b[1] = (unsigned char)type;
	put16(b + 2, id);
	put16(b + 4, (unsigned)clen);
	b[6] = 0;	/* padding */
	b[7] = 0;
}

/* Append a whole record to the reply buffer; -1 when it is full. */
static int
reply(struct frec *p, int type, unsigned id, const unsigned char *c,
    size_t clen)
{
	if (FCGI_HEADER_LEN + clen > sizeof(p->reply) - p->reply_len)
		return -1;
	put_header(p->reply + p->reply_len, type, id, clen);
	memcpy(p->reply + p->reply_len + FCGI_HEADER_LEN, c, clen);
	p->reply_len += FCGI_HEADER_LEN + clen;
	return 0;
}

static int
reply_end(struct frec *p, unsigned id, int protocol_status)
{
	unsigned char b[8] = { 0, 0, 0, 0, (unsigned char)protocol_status };

	return reply(p, FCGI_END_REQUEST, id, b, sizeof(b));
}

/*
 * Decode one name or value length (FastCGI 1.0 §3.4: one byte, or four
 * with the high bit set). 0 decoded, 1 more bytes needed.
 */
static int
nv_len(const unsigned char *b, size_t avail, uint32_t *len, size_t *used)
{
	if (avail < 1)
		return 1;
	if ((b[0] & 0x80) == 0) {
		*len = b[0];
		*used = 1;
		return 0;
	}
	if (avail < 4)
		return 1;
	*len = ((uint32_t)(b[0] & 0x7f) << 24) | ((uint32_t)b[1] << 16) |
	    ((uint32_t)b[2] << 8) | b[3];
	*used = 4;
	return 0;
}

/*
 * Check every pair of the PARAMS stream that has become whole, as soon as
 * its lengths are known: a pair whose lengths (each, or summed) pass the
 * limits is refused before one more byte of it is read.
 */
static enum frec_status
scan_params(struct frec *p)
{
	while (p->scan < p->raw_len) {
		const unsigned char *b = (const unsigned char *)p->raw + p->scan;
		size_t		 avail = p->raw_len - p->scan, h1, h2;
		uint32_t	 nl, vl;
		uint64_t	 need;

		if (nv_len(b, avail, &nl, &h1) != 0 ||
		    nv_len(b + h1, avail - h1, &vl, &h2) != 0)
			return FREC_MORE;
		if (nl == 0)
			return fail(p, "empty parameter name");
		if (nl > FREC_NV_MAX || vl > FREC_NV_MAX ||
		    (uint64_t)nl + vl > FREC_NV_MAX)
			return fail(p, "parameter name and value over "
			    "FREC_NV_MAX");
		need = (uint64_t)h1 + h2 + nl + vl;
		if (p->scan + need > FREC_PARAMS_BYTES)
			return params_over(p);
		if (need > avail)
			return FREC_MORE;
		if (p->npairs == FREC_PARAMS_MAX)
			return params_over(p);
		if (memchr(b + h1 + h2, '\0', (size_t)nl + vl) != NULL)
			return fail(p, "NUL byte in a parameter");
		p->pairs[p->npairs].noff = (uint32_t)(p->scan + h1 + h2);
		p->pairs[p->npairs].nlen = nl;
		p->pairs[p->npairs].voff = (uint32_t)(p->scan + h1 + h2 + nl);
		p->pairs[p->npairs].vlen = vl;
		p->npairs++;
		p->scan += (size_t)need;
	}
	return FREC_MORE;
}

const char *
frec_param(const struct frec *p, const char *name)
{
	size_t n = strlen(name);

	if (!p->params_done)
		return NULL;
	for (size_t i = 0; i < p->npairs; i++)
		if (p->pairs[i].nlen == n &&
		    memcmp(p->raw + p->pairs[i].noff, name, n) == 0)
			return p->raw + p->pairs[i].voff;
	return NULL;
}

/* The empty PARAMS record: terminate values in place, size the body. */
static enum frec_status
params_end(struct frec *p)
{
	const char	*cl;
	size_t		 v = 0;

	if (p->scan != p->raw_len)
		return fail(p, "parameters end inside a pair");
	if (p->raw == NULL && (p->raw = malloc(1)) == NULL)
		return fail(p, "out of memory");
	/* Each value is followed by the next pair's lengths, already read. */
	for (size_t i = 0; i < p->npairs; i++)
		p->raw[p->pairs[i].voff + p->pairs[i].vlen] = '\0';
	p->params_done = 1;
	if ((cl = frec_param(p, "CONTENT_LENGTH")) != NULL && *cl != '\0') {
		for (; *cl != '\0'; cl++) {
			if (*cl < '0' || *cl > '9' || v > SIZE_MAX / 10 - 1) {
				p->body_state = BODY_BAD;
				return FREC_MORE;
			}
			v = v * 10 + (size_t)(*cl - '0');
		}
	}
	p->content_length = v;
	if (v > p->max_body) {
		p->body_state = BODY_TOO_LARGE;
		return FREC_MORE;
	}
	if (v + 1 > p->body_cap) {
		free(p->body_buf);
		p->body_cap = 0;
		if ((p->body_buf = malloc(v + 1)) == NULL)
			return fail(p, "out of memory");
		p->body_cap = v + 1;
	}
	p->body = p->body_buf;
	return FREC_MORE;
}

/* The header is whole: check it and choose where its content goes. */
static enum frec_status
header_done(struct frec *p)
{
	const unsigned char *h = p->hdr;

	if (h[0] != FCGI_VERSION_1)
		return fail(p, "not FastCGI version 1");
	p->type = h[1];
	p->rid = (uint16_t)((h[2] << 8) | h[3]);
	p->clen = (size_t)((h[4] << 8) | h[5]);
	p->plen = h[6];
	p->cgot = 0;
	p->sink = SINK_SKIP;
	switch (p->type) {
	case FCGI_BEGIN_REQUEST:
		if (p->clen != 8 || p->rid == FCGI_NULL_REQUEST_ID)
			return fail(p, "malformed BEGIN_REQUEST");
		if (p->rid == p->id)
			return fail(p, "BEGIN_REQUEST for a request in progress");
		p->sink = SINK_BEGIN;
		break;
	case FCGI_ABORT_REQUEST:
	case FCGI_DATA:
		break;
	case FCGI_PARAMS:
		if (p->rid == FCGI_NULL_REQUEST_ID)
			return fail(p, "PARAMS without a request");
		if (p->rid != p->id)
			break;	/* not an active request: ignored (§3.3) */
		if (p->params_done)
			return fail(p, "PARAMS after their end");
		if (p->params_over)
			break;	/* dropped */
		if (p->raw_len + p->clen > FREC_PARAMS_BYTES) {
			params_over(p);
			break;
		}
		if (p->raw_len + p->clen + 1 > p->raw_cap) {
			size_t	 cap = p->raw_cap < 1024 ? 1024 : p->raw_cap;
			char	*n;

			while (cap < p->raw_len + p->clen + 1)
				cap *= 2;
			if ((n = realloc(p->raw, cap)) == NULL)
				return fail(p, "out of memory");
			p->raw = n;
			p->raw_cap = cap;
		}
		p->sink = SINK_PARAMS;
		break;
	case FCGI_STDIN:
		if (p->rid == FCGI_NULL_REQUEST_ID)
			return fail(p, "STDIN without a request");
		if (p->rid != p->id)
			break;
		if (!p->params_done || p->stdin_done)
			return fail(p, "STDIN out of order");
		p->sink = SINK_BODY;
		break;
	case FCGI_GET_VALUES:
		if (p->clen > FREC_MGMT_MAX)
			return fail(p, "GET_VALUES over FREC_MGMT_MAX");
		p->sink = SINK_MGMT;
		break;
	default:
		break;	/* answered FCGI_UNKNOWN_TYPE at its end */
	}
	return FREC_MORE;
}

/* FCGI_GET_VALUES: answer the variables we know (FastCGI 1.0 §4.1). */
static enum frec_status
get_values(struct frec *p)
{
	static const char *const known[][2] = {
		{ FCGI_MAX_CONNS, "1024" },
		{ FCGI_MAX_REQS, "1024" },
		{ FCGI_MPXS_CONNS, "0" },
	};
	unsigned char	 out[128];
	size_t		 off = 0, n = 0;

	while (off < p->clen) {
		uint32_t nl, vl;
		size_t h1, h2;

		if (nv_len(p->mgmt + off, p->clen - off, &nl, &h1) != 0 ||
		    nv_len(p->mgmt + off + h1, p->clen - off - h1, &vl,
		    &h2) != 0 || (uint64_t)nl + vl > p->clen - off - h1 - h2)
			return fail(p, "malformed GET_VALUES");
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			size_t kn = strlen(known[i][0]), kv = strlen(known[i][1]);

			if (nl != kn || memcmp(p->mgmt + off + h1 + h2,
			    known[i][0], kn) != 0 || n + 2 + kn + kv > sizeof(out))
				continue;
			out[n++] = (unsigned char)kn;
			out[n++] = (unsigned char)kv;
			memcpy(out + n, known[i][0], kn);
			memcpy(out + n + kn, known[i][1], kv);
			n += kn + kv;
		}
		off += h1 + h2 + nl + vl;
	}
	if (reply(p, FCGI_GET_VALUES_RESULT, FCGI_NULL_REQUEST_ID, out, n) ==
	    -1)
		return fail(p, "too many management records unanswered");
	return FREC_MORE;
}

/* All content of the current record has been taken. */
static enum frec_status
content_done(struct frec *p)
{
	unsigned char t;

	switch (p->type) {
	case FCGI_BEGIN_REQUEST: {
		unsigned role = ((unsigned)p->mgmt[0] << 8) | p->mgmt[1];

		if (p->id != 0) {
			/* One request per connection at a time. */
			if (reply_end(p, p->rid, FCGI_CANT_MPX_CONN) == -1)
				return fail(p, "too many management records "
				    "unanswered");
		} else if (role != FCGI_RESPONDER) {
			if (reply_end(p, p->rid, FCGI_UNKNOWN_ROLE) == -1)
				return fail(p, "too many management records "
				    "unanswered");
			if (!(p->mgmt[2] & FCGI_KEEP_CONN))
				p->close_after_reply = 1;
		} else {
			p->id = p->rid;
			p->keep_conn = (p->mgmt[2] & FCGI_KEEP_CONN) != 0;
		}
		return FREC_MORE;
	}
	case FCGI_ABORT_REQUEST:
		if (p->rid != p->id || p->id == 0)
			return FREC_MORE;
		if (!p->keep_conn)
			p->close_after_reply = 1;
		if (reply_end(p, p->id, FCGI_REQUEST_COMPLETE) == -1)
			return fail(p, "too many management records unanswered");
		frec_next(p);
		return FREC_MORE;
	case FCGI_PARAMS:
		if (p->rid != p->id)
			return FREC_MORE;
		return p->clen == 0 ? params_end(p) : scan_params(p);
	case FCGI_STDIN:
		if (p->rid != p->id || p->clen != 0)
			return FREC_MORE;
		p->stdin_done = 1;
		if (p->body_state == BODY_OK &&
		    p->body_len != p->content_length)
			p->body_state = BODY_BAD;
		if (p->body != NULL)
			p->body[p->body_len] = '\0';
		return FREC_MORE;
	case FCGI_DATA:
		return FREC_MORE;
	case FCGI_GET_VALUES:
		return get_values(p);
	default:
		t = (unsigned char)p->type;
		{
			unsigned char b[8] = { t };

			if (reply(p, FCGI_UNKNOWN_TYPE, FCGI_NULL_REQUEST_ID,
			    b, sizeof(b)) == -1)
				return fail(p, "too many management records "
				    "unanswered");
		}
		return FREC_MORE;
	}
}

/* Take content bytes d[0..n) of the current record. */
static void
take_content(struct frec *p, const unsigned char *d, size_t n)
{
	switch (p->sink) {
	case SINK_BEGIN:
	case SINK_MGMT:
		memcpy(p->mgmt + p->cgot, d, n);
		break;
	case SINK_PARAMS:
		memcpy(p->raw + p->raw_len, d, n);
		p->raw_len += n;
		break;
	case SINK_BODY:
		if (p->body_state != BODY_OK)
			break;
		if (n > p->content_length - p->body_len) {
			p->body_state = BODY_BAD;
			break;
		}
		memcpy(p->body + p->body_len, d, n);
		p->body_len += n;
		break;
	default:
		break;
	}
}

enum frec_status
frec_feed(struct frec *p, const unsigned char *data, size_t len,
    size_t *used)
{
	size_t			off = 0;
	enum frec_status	st;

	*used = 0;
	while (off < len) {
		if (p->hlen < FCGI_HEADER_LEN) {
			p->hdr[p->hlen++] = data[off++];
			if (p->hlen < FCGI_HEADER_LEN)
				continue;
			if (header_done(p) == FREC_ERROR)
				goto err;
			if (p->clen == 0 && content_done(p) == FREC_ERROR)
				goto err;
		} else if (p->cgot < p->clen) {
			size_t n = p->clen - p->cgot;

			if (n > len - off)
				n = len - off;
			take_content(p, data + off, n);
			off += n;
			p->cgot += n;
			if (p->sink == SINK_PARAMS &&
			    scan_params(p) == FREC_ERROR)
				goto err;
			if (p->cgot == p->clen &&
			    content_done(p) == FREC_ERROR)
				goto err;
		} else {
			size_t n = p->plen < len - off ? p->plen : len - off;

			off += n;
			p->plen -= n;
		}
		if (p->hlen == FCGI_HEADER_LEN && p->cgot == p->clen &&
		    p->plen == 0) {
			/* The record is whole. */
			p->hlen = 0;
			if (p->stdin_done) {
				*used = off;
				return FREC_READY;
			}
			if (p->close_after_reply)
				break;
		}
	}
	*used = off;
	return FREC_MORE;
err:
	st = FREC_ERROR;
	*used = off;
	return st;
}

int
frec_body(const struct frec *p, const char **body, size_t *len)
{
	*body = NULL;
	*len = 0;
	if (p->body_state == BODY_TOO_LARGE)
		return 1;
	if (p->body_state != BODY_OK || !p->stdin_done)
		return -1;
	*body = p->body != NULL ? p->body : "";
	*len = p->body_len;
	return 0;
}
