/*
 * Unit tests for fcgi/fcgi_rec.c (FastCGI 1.0 records, issue 18 finding 2):
 * a whole request in one piece and split at every byte, every malformed
 * record kind, the 22-byte record that aborted libfcgi, limits on the
 * parameters (each pair, summed, count, total bytes), the body against
 * CONTENT_LENGTH and AWARD_MAX_BODY, management records and the response
 * framing.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../../fcgi/fcgi_rec.h"

#define MAXB	1024

struct buf {
	unsigned char	b[200000];
	size_t		n;
};

static void
rec(struct buf *w, int type, unsigned id, const void *c, size_t clen,
    unsigned pad)
{
	unsigned char *h = w->b + w->n;

	cr_assert(w->n + 8 + clen + pad <= sizeof(w->b));
	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(clen >> 8);
	h[5] = (unsigned char)clen;
	h[6] = (unsigned char)pad;
	h[7] = 0;
	memcpy(h + 8, c, clen);
	memset(h + 8 + clen, 0xee, pad);
	w->n += 8 + clen + pad;
}

static void
begin(struct buf *w, unsigned id, unsigned role, int keep)
{
	unsigned char b[8] = { (unsigned char)(role >> 8), (unsigned char)role,
	    (unsigned char)(keep ? FCGI_KEEP_CONN : 0) };

	rec(w, FCGI_BEGIN_REQUEST, id, b, 8, 0);
}

/* Append one pair, lengths in the short or long form as they need. */
static size_t
nv(unsigned char *o, const char *k, const char *v)
{
	size_t kl = strlen(k), vl = strlen(v), n = 0;

	o[n++] = (unsigned char)kl;
	if (vl < 128)
		o[n++] = (unsigned char)vl;
	else {
		o[n++] = (unsigned char)(0x80 | (vl >> 24));
		o[n++] = (unsigned char)(vl >> 16);
		o[n++] = (unsigned char)(vl >> 8);
		o[n++] = (unsigned char)vl;
	}
	memcpy(o + n, k, kl);
	memcpy(o + n + kl, v, vl);
	return n + kl + vl;
}

/* A whole webhook-like request with body, on id 1. */
static void
request(struct buf *w, const char *body, int keep, unsigned pad)
{
	unsigned char	p[512];
	char		cl[24];
	size_t		n = 0;

	snprintf(cl, sizeof(cl), "%zu", strlen(body));
	n += nv(p + n, "REQUEST_METHOD", "POST");
	n += nv(p + n, "DOCUMENT_URI", "/v1/payments/webhook");
	n += nv(p + n, "CONTENT_LENGTH", cl);
	n += nv(p + n, "EMPTY", "");
	begin(w, 1, FCGI_RESPONDER, keep);
	rec(w, FCGI_PARAMS, 1, p, n, pad);
	rec(w, FCGI_PARAMS, 1, "", 0, pad);
	if (*body != '\0')
		rec(w, FCGI_STDIN, 1, body, strlen(body), pad);
	rec(w, FCGI_STDIN, 1, "", 0, pad);
}

static enum frec_status
feed_all(struct frec *p, const struct buf *w, size_t *used)
{
	return frec_feed(p, w->b, w->n, used);
}

static void
check_webhook(struct frec *p, const char *want_body)
{
	const char	*b;
	size_t		 len;

	cr_assert_str_eq(frec_param(p, "REQUEST_METHOD"), "POST");
	cr_assert_str_eq(frec_param(p, "DOCUMENT_URI"),
	    "/v1/payments/webhook");
	cr_assert_str_eq(frec_param(p, "EMPTY"), "");
	cr_assert_null(frec_param(p, "HTTP_HOST"));
	cr_assert_eq(frec_body(p, &b, &len), 0);
	cr_assert_eq(len, strlen(want_body));
	cr_assert_str_eq(b, want_body);
}

Test(fcgi_rec, whole_request_in_one_piece)
{
	struct buf	w = { .n = 0 };
	struct frec	p;
	size_t		used;

	request(&w, "{\"a\":1}", 0, 0);
	frec_init(&p, MAXB);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_READY);
	cr_assert_eq(used, w.n);
	cr_assert_eq(p.id, 1);
	cr_assert_eq(p.keep_conn, 0);
	check_webhook(&p, "{\"a\":1}");
	frec_free(&p);
}

Test(fcgi_rec, split_at_every_byte_boundary)
{
	struct buf	w = { .n = 0 };

	request(&w, "{\"event\":\"payment.succeeded\"}", 1, 3);
	for (size_t cut = 0; cut <= w.n; cut++) {
		struct frec	p;
		size_t		used;

		frec_init(&p, MAXB);
		if (cut > 0) {
			cr_assert_eq(frec_feed(&p, w.b, cut, &used),
			    cut == w.n ? FREC_READY : FREC_MORE, "cut %zu",
			    cut);
			cr_assert_eq(used, cut);
		}
		if (cut < w.n) {
			cr_assert_eq(frec_feed(&p, w.b + cut, w.n - cut,
			    &used), FREC_READY, "cut %zu", cut);
			cr_assert_eq(used, w.n - cut);
		}
		cr_assert_eq(p.keep_conn, 1);
		check_webhook(&p, "{\"event\":\"payment.succeeded\"}");
		frec_free(&p);
	}
}

Test(fcgi_rec, one_byte_at_a_time)
{
	struct buf	w = { .n = 0 };
	struct frec	p;
	size_t		used;
	enum frec_status st = FREC_MORE;

	request(&w, "xyz", 1, 7);
	frec_init(&p, MAXB);
	for (size_t i = 0; i < w.n; i++) {
		cr_assert_eq(st, FREC_MORE, "ready early at %zu", i);
		st = frec_feed(&p, w.b + i, 1, &used);
		cr_assert_eq(used, 1);
	}
	cr_assert_eq(st, FREC_READY);
	check_webhook(&p, "xyz");
	frec_free(&p);
}

Test(fcgi_rec, two_requests_back_to_back_on_a_kept_connection)
{
	struct buf	w = { .n = 0 };
	struct frec	p;
	size_t		used, first;

	request(&w, "one", 1, 0);
	first = w.n;
	request(&w, "second", 1, 0);
	frec_init(&p, MAXB);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_READY);
	cr_assert_eq(used, first, "the second request must not be taken");
	check_webhook(&p, "one");
	frec_next(&p);
	cr_assert_eq(frec_feed(&p, w.b + used, w.n - used, &used), FREC_READY);
	check_webhook(&p, "second");
	frec_free(&p);
}

/*
 * A kept connection reuses its body's memory from request to request: a
 * shorter body after a longer one, and an empty one, read as themselves
 * (no byte of the one before shows). A body over FREC_KEEP_BYTES is not
 * kept once its request is done.
 */
Test(fcgi_rec, kept_connection_bodies_each_their_own)
{
	static const char *const bodies[] = { "a longer body first", "short",
	    "", "x" };
	static struct buf	w;
	static char		big[FREC_KEEP_BYTES + 904];
	struct frec		p;
	size_t			used;

	frec_init(&p, sizeof(big) + 1);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		w.n = 0;
		request(&w, bodies[i], 1, 0);
		cr_assert_eq(feed_all(&p, &w, &used), FREC_READY, "%zu", i);
		check_webhook(&p, bodies[i]);
		frec_next(&p);
	}
	memset(big, 'b', sizeof(big) - 1);
	w.n = 0;
	request(&w, big, 1, 0);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_READY);
	check_webhook(&p, big);
	frec_next(&p);
	cr_assert_eq(p.body_cap, 0, "a %zu-byte body kept", sizeof(big));
	w.n = 0;
	request(&w, "after", 1, 0);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_READY);
	check_webhook(&p, "after");
	frec_free(&p);
}

static void
expect_error(struct buf *w, size_t max_body)
{
	struct frec	p;
	size_t		used;

	frec_init(&p, max_body);
	cr_assert_eq(feed_all(&p, w, &used), FREC_ERROR);
	cr_assert_not_null(p.err);
	frec_free(&p);
}

/* Issue 18 finding 2: name length 0x7ffffff0, value length 16. */
Test(fcgi_rec, huge_name_length_22_byte_record)
{
	struct buf	w = { .n = 0 };
	unsigned char	c[14] = { 0xff, 0xff, 0xff, 0xf0, 16 };
	struct frec	p;
	size_t		used;

	begin(&w, 1, FCGI_RESPONDER, 0);
	rec(&w, FCGI_PARAMS, 1, c, sizeof(c), 0);
	cr_assert_eq(8 + sizeof(c), 22);
	/* Refused as soon as the lengths are read, without the end record. */
	frec_init(&p, MAXB);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_ERROR);
	cr_assert_not_null(strstr(p.err, "FREC_NV_MAX"));
	frec_free(&p);
}

Test(fcgi_rec, name_and_value_each_under_but_sum_over_the_limit)
{
	struct buf	w = { .n = 0 };
	unsigned char	c[8];

	/* Each length alone is at the limit; together they pass it. */
	c[0] = 0x80 | ((FREC_NV_MAX >> 24) & 0x7f);
	c[1] = (FREC_NV_MAX >> 16) & 0xff;
	c[2] = (FREC_NV_MAX >> 8) & 0xff;
	c[3] = FREC_NV_MAX & 0xff;
	c[4] = 0x80;
	c[5] = 0;
	c[6] = 0;
	c[7] = 1;
	begin(&w, 1, FCGI_RESPONDER, 0);
	rec(&w, FCGI_PARAMS, 1, c, sizeof(c), 0);
	expect_error(&w, MAXB);
}

/*
 * Past a PARAMS limit (a client's many headers): the pairs before it kept,
 * the rest read and dropped, params_over set (a 431), and the connection
 * goes on to its next request.
 */
static void
expect_over(struct buf *w, const char *first, const char *dropped)
{
	struct frec	p;
	size_t		used, n = w->n;

	request(w, "next", 1, 0);
	frec_init(&p, MAXB);
	cr_assert_eq(frec_feed(&p, w->b, n, &used), FREC_READY, "%s", p.err);
	cr_assert_eq(used, n);
	cr_assert_eq(p.params_over, 1);
	cr_assert_not_null(frec_param(&p, first), "%s not kept", first);
	cr_assert_null(frec_param(&p, dropped), "%s kept", dropped);
	frec_next(&p);
	cr_assert_eq(frec_feed(&p, w->b + n, w->n - n, &used), FREC_READY);
	cr_assert_eq(p.params_over, 0);
	check_webhook(&p, "next");
	frec_free(&p);
}

Test(fcgi_rec, params_stream_over_total_bytes)
{
	struct buf	w = { .n = 0 };
	static unsigned char c[30000];
	size_t		n = 0;
	char		k[16], v[9000];

	memset(v, 'v', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	/* Three records of three pairs each: the fourth pair passes 32 KB. */
	begin(&w, 1, FCGI_RESPONDER, 1);
	for (int r = 0, i = 0; r < 3; r++) {
		n = 0;
		for (int j = 0; j < 3; j++, i++) {
			snprintf(k, sizeof(k), "K%d", i);
			n += nv(c + n, k, v);
		}
		rec(&w, FCGI_PARAMS, 1, c, n, 0);
	}
	rec(&w, FCGI_PARAMS, 1, "", 0, 0);
	rec(&w, FCGI_STDIN, 1, "", 0, 0);
	expect_over(&w, "K2", "K3");
}

Test(fcgi_rec, too_many_params)
{
	struct buf	w = { .n = 0 };
	unsigned char	c[4000];
	size_t		n = 0;
	char		k[16];

	for (int i = 0; i <= FREC_PARAMS_MAX; i++) {
		snprintf(k, sizeof(k), "P%d", i & 0xffff);
		n += nv(c + n, k, "");
	}
	begin(&w, 1, FCGI_RESPONDER, 1);
	rec(&w, FCGI_PARAMS, 1, c, n / 2, 0);
	rec(&w, FCGI_PARAMS, 1, c + n / 2, n - n / 2, 0);
	rec(&w, FCGI_PARAMS, 1, "", 0, 0);
	rec(&w, FCGI_STDIN, 1, "", 0, 0);
	expect_over(&w, "P127", "P128");
}

/*
 * The same past the pair limit, but the record arrives in pieces (as a
 * PARAMS record over one read does): what follows the limit within the
 * record is dropped, never parsed from the middle of a pair. Values of
 * UTF-8 bytes (>= 0x80) read as lengths would refuse the connection.
 */
Test(fcgi_rec, too_many_params_in_pieces)
{
	static struct buf	w;
	static unsigned char	c[40000];
	struct frec		p;
	size_t			n = 0, at = 0, used, end, piece;
	char			k[24], v[121];
	enum frec_status	st = FREC_MORE;

	for (size_t i = 0; i + 1 < sizeof(v); i += 2) {
		v[i] = (char)0xc3;
		v[i + 1] = (char)0xa9;
	}
	v[sizeof(v) - 1] = '\0';
	for (int i = 0; i < 200; i++) {
		snprintf(k, sizeof(k), "HTTP_X_H%d", i);
		n += nv(c + n, k, v);
	}
	w.n = 0;
	begin(&w, 1, FCGI_RESPONDER, 1);
	rec(&w, FCGI_PARAMS, 1, c, n, 0);
	rec(&w, FCGI_PARAMS, 1, "", 0, 0);
	rec(&w, FCGI_STDIN, 1, "", 0, 0);
	end = w.n;
	request(&w, "next", 1, 0);
	for (piece = 1000; piece <= 16384; piece *= 4) {
		frec_init(&p, MAXB);
		for (at = 0; at < end && st != FREC_READY; at += used) {
			st = frec_feed(&p, w.b + at, end - at < piece ?
			    end - at : piece, &used);
			cr_assert_neq(st, FREC_ERROR, "pieces of %zu: %s",
			    piece, p.err);
		}
		cr_assert_eq(st, FREC_READY);
		cr_assert_eq(p.params_over, 1);
		cr_assert_not_null(frec_param(&p, "HTTP_X_H127"));
		cr_assert_null(frec_param(&p, "HTTP_X_H128"));
		frec_next(&p);
		cr_assert_eq(frec_feed(&p, w.b + end, w.n - end, &used),
		    FREC_READY, "%s", p.err);
		check_webhook(&p, "next");
		frec_free(&p);
		st = FREC_MORE;
	}
}

Test(fcgi_rec, params_end_inside_a_pair)
{
	struct buf	w = { .n = 0 };
	unsigned char	c[3] = { 4, 4, 'A' };

	begin(&w, 1, FCGI_RESPONDER, 0);
	rec(&w, FCGI_PARAMS, 1, c, sizeof(c), 0);
	rec(&w, FCGI_PARAMS, 1, "", 0, 0);
	expect_error(&w, MAXB);
}

Test(fcgi_rec, nul_in_a_parameter)
{
	struct buf	w = { .n = 0 };
	unsigned char	c[6] = { 2, 2, 'A', 'B', 'x', '\0' };

	begin(&w, 1, FCGI_RESPONDER, 0);
	rec(&w, FCGI_PARAMS, 1, c, sizeof(c), 0);
	expect_error(&w, MAXB);
}

Test(fcgi_rec, empty_parameter_name)
{
	struct buf	w = { .n = 0 };
	unsigned char	c[3] = { 0, 1, 'x' };

	begin(&w, 1, FCGI_RESPONDER, 0);
	rec(&w, FCGI_PARAMS, 1, c, sizeof(c), 0);
	expect_error(&w, MAXB);
}

Test(fcgi_rec, bad_version)
{
	struct buf w = { .n = 0 };

	begin(&w, 1, FCGI_RESPONDER, 0);
	w.b[0] = 2;
	expect_error(&w, MAXB);
}

Test(fcgi_rec, begin_request_wrong_length_or_null_id)
{
	struct buf w = { .n = 0 };

	rec(&w, FCGI_BEGIN_REQUEST, 1, "\0\1\0\0\0\0\0\0\0", 9, 0);
	expect_error(&w, MAXB);
	w.n = 0;
	begin(&w, 0, FCGI_RESPONDER, 0);
	expect_error(&w, MAXB);
}

Test(fcgi_rec, begin_request_twice)
{
	struct buf w = { .n = 0 };

	begin(&w, 1, FCGI_RESPONDER, 0);
	begin(&w, 1, FCGI_RESPONDER, 0);
	expect_error(&w, MAXB);
}

Test(fcgi_rec, stdin_before_params_end)
{
	struct buf w = { .n = 0 };

	begin(&w, 1, FCGI_RESPONDER, 0);
	rec(&w, FCGI_STDIN, 1, "x", 1, 0);
	expect_error(&w, MAXB);
}

Test(fcgi_rec, params_after_their_end)
{
	struct buf	w = { .n = 0 };
	unsigned char	c[8];
	size_t		n = nv(c, "A", "b");

	begin(&w, 1, FCGI_RESPONDER, 0);
	rec(&w, FCGI_PARAMS, 1, "", 0, 0);
	rec(&w, FCGI_PARAMS, 1, c, n, 0);
	expect_error(&w, MAXB);
}

Test(fcgi_rec, params_or_stdin_on_the_null_id)
{
	struct buf w = { .n = 0 };

	rec(&w, FCGI_PARAMS, 0, "", 0, 0);
	expect_error(&w, MAXB);
	w.n = 0;
	rec(&w, FCGI_STDIN, 0, "", 0, 0);
	expect_error(&w, MAXB);
}

Test(fcgi_rec, get_values_too_long)
{
	struct buf		w = { .n = 0 };
	static unsigned char	c[FREC_MGMT_MAX + 1];

	rec(&w, FCGI_GET_VALUES, 0, c, sizeof(c), 0);
	expect_error(&w, MAXB);
}

Test(fcgi_rec, body_over_max_body_is_read_and_refused)
{
	struct buf	w = { .n = 0 };
	struct frec	p;
	size_t		used, len;
	const char	*b;

	request(&w, "0123456789", 0, 0);
	frec_init(&p, 5);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_READY);
	cr_assert_eq(frec_body(&p, &b, &len), 1);
	cr_assert_null(p.body, "nothing of a too large body is kept");
	frec_free(&p);
}

Test(fcgi_rec, body_longer_or_shorter_than_content_length)
{
	struct buf	w = { .n = 0 };
	unsigned char	c[64];
	size_t		n, used, len;
	struct frec	p;
	const char	*b;

	for (int longer = 0; longer < 2; longer++) {
		w.n = 0;
		n = nv(c, "CONTENT_LENGTH", "4");
		begin(&w, 1, FCGI_RESPONDER, 0);
		rec(&w, FCGI_PARAMS, 1, c, n, 0);
		rec(&w, FCGI_PARAMS, 1, "", 0, 0);
		rec(&w, FCGI_STDIN, 1, "abcdef", longer ? 6 : 3, 0);
		rec(&w, FCGI_STDIN, 1, "", 0, 0);
		frec_init(&p, MAXB);
		cr_assert_eq(feed_all(&p, &w, &used), FREC_READY);
		cr_assert_eq(frec_body(&p, &b, &len), -1);
		frec_free(&p);
	}
}

Test(fcgi_rec, malformed_content_length)
{
	struct buf	w = { .n = 0 };
	unsigned char	c[64];
	size_t		n = nv(c, "CONTENT_LENGTH", "-1"), used, len;
	struct frec	p;
	const char	*b;

	begin(&w, 1, FCGI_RESPONDER, 0);
	rec(&w, FCGI_PARAMS, 1, c, n, 0);
	rec(&w, FCGI_PARAMS, 1, "", 0, 0);
	rec(&w, FCGI_STDIN, 1, "", 0, 0);
	frec_init(&p, MAXB);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_READY);
	cr_assert_eq(frec_body(&p, &b, &len), -1);
	frec_free(&p);
}

/* The type byte of the first reply record, and its request id. */
static void
check_reply(const struct frec *p, int type, unsigned id)
{
	cr_assert_geq(p->reply_len, 8);
	cr_assert_eq(p->reply[1], type);
	cr_assert_eq((p->reply[2] << 8) | p->reply[3], id);
}

Test(fcgi_rec, unknown_type_answered)
{
	struct buf	w = { .n = 0 };
	struct frec	p;
	size_t		used;

	rec(&w, 42, 0, "junk", 4, 4);
	frec_init(&p, MAXB);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_MORE);
	check_reply(&p, FCGI_UNKNOWN_TYPE, 0);
	cr_assert_eq(p.reply[8], 42);
	frec_free(&p);
}

Test(fcgi_rec, get_values_answered)
{
	struct buf	w = { .n = 0 };
	unsigned char	c[64];
	size_t		n = nv(c, FCGI_MPXS_CONNS, ""), used;
	struct frec	p;

	n += nv(c + n, "OTHER", "");
	rec(&w, FCGI_GET_VALUES, 0, c, n, 0);
	frec_init(&p, MAXB);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_MORE);
	check_reply(&p, FCGI_GET_VALUES_RESULT, 0);
	cr_assert_eq(p.reply_len, 8 + 2 + strlen(FCGI_MPXS_CONNS) + 1);
	cr_assert_eq(memcmp(p.reply + 10, FCGI_MPXS_CONNS "0",
	    strlen(FCGI_MPXS_CONNS) + 1), 0);
	frec_free(&p);
}

Test(fcgi_rec, management_flood_is_bounded)
{
	struct buf	w = { .n = 0 };

	for (int i = 0; i < FREC_REPLY_MAX / 16 + 1; i++)
		rec(&w, 77, 0, "", 0, 0);
	expect_error(&w, MAXB);
}

Test(fcgi_rec, other_role_refused)
{
	struct buf	w = { .n = 0 };
	struct frec	p;
	size_t		used;

	begin(&w, 3, FCGI_AUTHORIZER, 0);
	frec_init(&p, MAXB);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_MORE);
	check_reply(&p, FCGI_END_REQUEST, 3);
	cr_assert_eq(p.reply[8 + 4], FCGI_UNKNOWN_ROLE);
	cr_assert_eq(p.close_after_reply, 1);
	frec_free(&p);
}

Test(fcgi_rec, second_request_id_refused_cant_mpx)
{
	struct buf	w = { .n = 0 };
	struct frec	p;
	size_t		used;

	begin(&w, 1, FCGI_RESPONDER, 1);
	begin(&w, 2, FCGI_RESPONDER, 1);
	frec_init(&p, MAXB);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_MORE);
	check_reply(&p, FCGI_END_REQUEST, 2);
	cr_assert_eq(p.reply[8 + 4], FCGI_CANT_MPX_CONN);
	cr_assert_eq(p.id, 1);
	frec_free(&p);
}

Test(fcgi_rec, abort_request_ends_it)
{
	struct buf	w = { .n = 0 };
	struct frec	p;
	size_t		used;

	begin(&w, 1, FCGI_RESPONDER, 1);
	rec(&w, FCGI_ABORT_REQUEST, 1, "", 0, 0);
	frec_init(&p, MAXB);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_MORE);
	check_reply(&p, FCGI_END_REQUEST, 1);
	cr_assert_eq(p.id, 0);
	cr_assert_eq(p.close_after_reply, 0, "kept: the connection stays");
	/* The connection serves the next request. */
	w.n = 0;
	request(&w, "after", 1, 0);
	cr_assert_eq(feed_all(&p, &w, &used), FREC_READY);
	check_webhook(&p, "after");
	frec_free(&p);
}

Test(fcgi_rec, response_framing)
{
	int		sv[2];
	static char	body[3 * FREC_CHUNK + 17];
	static unsigned char got[sizeof(body) + 4096];
	size_t		n = 0, off = 0, data = 0;
	ssize_t		r;
	int		ends = 0;

	memset(body, 'b', sizeof(body));
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (fork() == 0) {
		close(sv[0]);
		_exit(frec_send_response(sv[1], 7, "Status: 200 OK\r\n\r\n", 18,
		    body, sizeof(body), 5000) == 0 ? 0 : 1);
	}
	close(sv[1]);
	while ((r = read(sv[0], got + n, sizeof(got) - n)) > 0)
		n += (size_t)r;
	close(sv[0]);
	while (off + 8 <= n) {
		size_t clen = (size_t)((got[off + 4] << 8) | got[off + 5]);

		cr_assert_eq(got[off], 1);
		cr_assert_eq((got[off + 2] << 8) | got[off + 3], 7);
		if (got[off + 1] == FCGI_STDOUT)
			data += clen;
		else {
			cr_assert_eq(got[off + 1], FCGI_END_REQUEST);
			ends++;
		}
		off += 8 + clen + got[off + 6];
	}
	cr_assert_eq(off, n);
	cr_assert_eq(data, 18 + sizeof(body));
	cr_assert_eq(ends, 1);
}
