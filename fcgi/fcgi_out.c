/*
 * The responder's side of FastCGI 1.0 (fcgi_rec.h): a response framed as
 * FCGI_STDOUT records and FCGI_END_REQUEST, written with one writev(2)
 * when the socket takes it all. Record headers are encoded byte by byte.
 */
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atime.h"
#include "fcgi_rec.h"

#ifndef IOV_MAX
#define IOV_MAX 1024	/* Linux; POSIX guarantees at least 16 */
#endif

static void
put_header(unsigned char *b, int type, unsigned id, size_t clen)
{
	b[0] = FCGI_VERSION_1;
	b[1] = (unsigned char)type;
	b[2] = (unsigned char)(id >> 8);
	b[3] = (unsigned char)id;
	b[4] = (unsigned char)(clen >> 8);
	b[5] = (unsigned char)clen;
	b[6] = 0;	/* padding */
	b[7] = 0;
}

/* writev(2) all of iov[0..n), waiting for POLLOUT up to timeout_ms. */
static int
writev_all(int fd, struct iovec *iov, size_t n, int timeout_ms)
{
	int64_t end = atime_mono_ns() / 1000000 + timeout_ms;

	while (n > 0) {
		ssize_t w = writev(fd, iov, n > IOV_MAX ? IOV_MAX : (int)n);

		if (w == -1) {
			struct pollfd	pfd = { .fd = fd, .events = POLLOUT };
			int64_t		left = end - atime_mono_ns() / 1000000;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
				return -1;
			continue;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

#define SMALL_CHUNKS	8

int
frec_send_response(int fd, uint16_t id, const char *head, size_t hlen,
    const char *body, size_t blen, int timeout_ms)
{
	size_t		 nchunks = (blen + FREC_CHUNK - 1) / FREC_CHUNK;
	unsigned char	 hs[(1 + SMALL_CHUNKS) * FCGI_HEADER_LEN], *hb = hs;
	unsigned char	 tail[2 * FCGI_HEADER_LEN + 8];
	struct iovec	 is[2 * (1 + SMALL_CHUNKS) + 1], *iov = is;
	size_t		 n = 0;
	int		 rc = -1;

	if (hlen > FCGI_MAX_LENGTH) {
		errno = EINVAL;
		return -1;
	}
	if (nchunks > SMALL_CHUNKS &&
	    ((hb = malloc((1 + nchunks) * FCGI_HEADER_LEN)) == NULL ||
	    (iov = malloc((2 * (1 + nchunks) + 1) * sizeof(*iov))) == NULL))
		goto out;
	if (hlen > 0) {
		put_header(hb, FCGI_STDOUT, id, hlen);
		iov[n].iov_base = hb;
		iov[n++].iov_len = FCGI_HEADER_LEN;
		iov[n].iov_base = (void *)(uintptr_t)head;
		iov[n++].iov_len = hlen;
	}
	for (size_t i = 0; i < nchunks; i++) {
		size_t off = i * FREC_CHUNK;
		size_t c = blen - off < FREC_CHUNK ? blen - off : FREC_CHUNK;
		unsigned char *h = hb + (1 + i) * FCGI_HEADER_LEN;

		put_header(h, FCGI_STDOUT, id, c);
		iov[n].iov_base = h;
		iov[n++].iov_len = FCGI_HEADER_LEN;
		iov[n].iov_base = (void *)(uintptr_t)(body + off);
		iov[n++].iov_len = c;
	}
	put_header(tail, FCGI_STDOUT, id, 0);
	put_header(tail + FCGI_HEADER_LEN, FCGI_END_REQUEST, id, 8);
	memset(tail + 2 * FCGI_HEADER_LEN, 0, 8);
	tail[2 * FCGI_HEADER_LEN + 4] = FCGI_REQUEST_COMPLETE;
	iov[n].iov_base = tail;
	iov[n++].iov_len = sizeof(tail);
	rc = writev_all(fd, iov, n, timeout_ms);
out:
	if (hb != hs)
		free(hb);
	if (iov != is)
		free(iov);
	return rc;
}
