/*
 * libFuzzer target for the responder's FastCGI record parser
 * (fcgi/fcgi_rec.c, issue 18 finding 2): the bytes are fed in pieces whose
 * sizes the first byte picks, as a socket would deliver them, and every
 * whole request is read back through the parser's accessors. Any abort,
 * overflow or leak is a finding. Not part of make test: `make fuzz`.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fcgi_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frec	p;
	size_t		piece, off = 0;

	if (size < 1)
		return 0;
	piece = (size_t)data[0] + 1;
	data++;
	size--;
	frec_init(&p, 4096);
	while (off < size) {
		size_t			n = size - off < piece ? size - off : piece;
		size_t			used;
		enum frec_status	st = frec_feed(&p, data + off, n, &used);

		if (used > n)
			__builtin_trap();
		off += used;
		p.reply_len = 0;	/* as if written */
		if (st == FREC_ERROR || p.close_after_reply)
			break;
		if (st == FREC_READY) {
			const char	*b;
			size_t		 len;

			(void)frec_param(&p, "CONTENT_LENGTH");
			(void)frec_param(&p, "REQUEST_METHOD");
			if (frec_body(&p, &b, &len) == 0 && strlen(b) > len)
				__builtin_trap();
			frec_next(&p);
		} else if (used == 0)
			break;
	}
	frec_free(&p);
	return 0;
}
