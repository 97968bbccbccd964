/*
 * libFuzzer target for what award-reconcile and verification read from
 * YooKassa's API (SPEC.md §11): the list and object parsers of
 * common/yookassa.c, then every item through the validators the run
 * applies (validate_api_payment, validate_api_refund). The first byte
 * picks list or object. Not part of make test: `make fuzz`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"
#include "yookassa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
judge(const char *text, size_t len, const cJSON *root, const cJSON *it)
{
	struct award_req	a;
	struct refund_req	r;
	char			err[256];
	int			no_order;

	(void)validate_api_payment(text, len, root, it, &a, &no_order, err,
	    sizeof(err));
	(void)validate_api_refund(it, &r, err, sizeof(err));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yk_page		 p;
	struct yk_object	 o;
	const cJSON		*it;
	char			 err[YK_ERR_MAX], *text;

	if (size < 1)
		return 0;
	/* The parsers take ownership of a malloc'd copy. */
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] % 2 == 0) {
		if (yk_parse_list(text, size - 1, &p, err, sizeof(err)) == 0) {
			cJSON_ArrayForEach(it, p.items)
				judge(p.text, p.len, p.root, it);
			yk_page_free(&p);
		}
	} else if (yk_parse_object(text, size - 1, &o, err, sizeof(err)) ==
	    0) {
		judge(o.text, o.len, o.root, o.root);
		yk_object_free(&o);
	}
	return 0;
}
