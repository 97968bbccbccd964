/*
 * Strict JSON for the validators of validate.c: validate_parse() takes a
 * body only when it is one JSON text of RFC 8259 within our bounds (depth,
 * no control byte or \u0000 in a string, numbers in JSON's grammar), and
 * validate_number_text() finds the text a number was written as, which
 * cJSON's tree does not keep. Not the field rules (ids, amounts, the
 * webhook and award bodies): those are validate.c.
 */
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* The bytes cJSON takes as one number (its parse_number). */
static size_t
number_span(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
	    s[i] == '-' || s[i] == '.' || s[i] == 'e' || s[i] == 'E'))
		i++;
	return i;
}

static size_t
skip_digits(const char *s, size_t i, size_t n)
{
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/*
 * 1 when the n bytes at s are one number of RFC 8259 §6. cJSON takes
 * whatever strtod() takes: 0123, 1. and 00 are not JSON.
 */
static int
json_number(const char *s, size_t n)
{
	size_t i = 0, j;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		i = skip_digits(s, i, n);
	else
		return 0;
	if (i < n && s[i] == '.') {
		if ((j = skip_digits(s, i + 1, n)) == i + 1)
			return 0;
		i = j;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if ((j = skip_digits(s, i, n)) == i)
			return 0;
		i = j;
	}
	return i == n;
}

/*
 * 1 when a JSON text nests at most VALIDATE_DEPTH_MAX deep (brackets in
 * strings ignored), its strings hold no control byte and no \u0000
 * escape (cJSON would end the C string there: "abc\0zzz" read as "abc"),
 * the only control bytes between its tokens are JSON's white space (tab,
 * LF, CR: cJSON skips every byte up to the space as if it were one), and
 * its numbers follow JSON's grammar.
 */
static int
scan_ok(const char *s, size_t len)
{
	int	depth = 0, in_str = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			/* JSON forbids them; a NUL would cut the string. */
			if ((unsigned char)c < 0x20)
				return 0;
			if (c == '\\') {
				/* cJSON would cut the string at a NUL. */
				if (len - i >= 6 && memcmp(s + i + 1, "u0000",
				    5) == 0)
					return 0;
				i++;
			} else if (c == '"')
				in_str = 0;
		} else if (c == '"')
			in_str = 1;
		else if ((unsigned char)c < 0x20 && c != '\t' && c != '\n' &&
		    c != '\r')
			return 0;
		else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t n = number_span(s + i, len - i);

			if (!json_number(s + i, n))
				return 0;
			i += n - 1;
		} else if (c == '{' || c == '[') {
			if (++depth > VALIDATE_DEPTH_MAX)
				return 0;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 1;
}

cJSON *
validate_parse(const char *body, size_t len)
{
	const char	*end = NULL;
	cJSON		*tree;

	if (body == NULL || len == 0 || !scan_ok(body, len))
		return NULL;
	if ((tree = cJSON_ParseWithLengthOpts(body, len, &end, 0)) == NULL)
		return NULL;
	/* One JSON value and nothing after it but white space. */
	for (; end != NULL && end < body + len; end++)
		if (*end != ' ' && *end != '\t' && *end != '\r' &&
		    *end != '\n') {
			cJSON_Delete(tree);
			return NULL;
		}
	return tree;
}

/*
 * Walking a body in step with the tree cJSON made of it. cJSON keeps no
 * token text, but it parses in document order and keeps every member,
 * duplicates included, so the n-th child in the tree is the n-th value in
 * the text. The walk skips white space as cJSON does (any byte <= 32) and
 * gives up (-1) on anything it does not expect.
 */
struct walk {
	const char	*p, *end;
	const cJSON	*target;
	const char	*found;
};

static void
walk_ws(struct walk *w)
{
	while (w->p < w->end && (unsigned char)*w->p <= 32)
		w->p++;
}

static int
walk_char(struct walk *w, char c)
{
	walk_ws(w);
	if (w->p >= w->end || *w->p != c)
		return -1;
	w->p++;
	return 0;
}

static int
walk_string(struct walk *w)
{
	if (walk_char(w, '"') == -1)
		return -1;
	while (w->p < w->end && *w->p != '"')
		w->p += *w->p == '\\' && w->end - w->p > 1 ? 2 : 1;
	if (w->p >= w->end)
		return -1;
	w->p++;
	return 0;
}

/* 1 when w->target was reached (w->found set), 0 when v was passed. */
static int
walk_value(struct walk *w, const cJSON *v, int depth)
{
	const cJSON	*c;
	size_t		 n;
	int		 rc, obj;

	if (depth > VALIDATE_DEPTH_MAX)
		return -1;
	walk_ws(w);
	if (v == w->target) {
		w->found = w->p;
		return 1;
	}
	switch (v->type & 0xFF) {
	case cJSON_Object:
	case cJSON_Array:
		obj = (v->type & 0xFF) == cJSON_Object;
		if (walk_char(w, obj ? '{' : '[') == -1)
			return -1;
		for (c = v->child; c != NULL; c = c->next) {
			if (obj && (walk_string(w) == -1 ||
			    walk_char(w, ':') == -1))
				return -1;
			if ((rc = walk_value(w, c, depth + 1)) != 0)
				return rc;
			if (c->next != NULL && walk_char(w, ',') == -1)
				return -1;
		}
		return walk_char(w, obj ? '}' : ']');
	case cJSON_String:
		return walk_string(w);
	case cJSON_Number:
		n = number_span(w->p, (size_t)(w->end - w->p));
		break;
	case cJSON_True:
	case cJSON_NULL:
		n = 4;
		break;
	case cJSON_False:
		n = 5;
		break;
	default:
		return -1;
	}
	if (n == 0 || n > (size_t)(w->end - w->p))
		return -1;
	w->p += n;
	return 0;
}

/*
 * Where node target of root (the tree of body[0..len)) begins in body:
 * w is left just past the walk, w->found on the node's first byte.
 * 0, or -1 when target is not found.
 */
static int
walk_to(struct walk *w, const char *body, size_t len, const cJSON *root,
    const cJSON *target)
{
	w->p = body;
	w->end = body + len;
	w->target = target;
	w->found = NULL;
	/* cJSON skips a UTF-8 byte order mark at the start. */
	if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0)
		w->p += 3;
	return walk_value(w, root, 0) == 1 && w->found != NULL ? 0 : -1;
}

int
validate_number_text(const char *body, size_t len, const cJSON *root,
    const cJSON *v, const char **tok, size_t *toklen)
{
	struct walk w;

	*tok = NULL;
	*toklen = 0;
	if (body == NULL || root == NULL || !cJSON_IsNumber(v) ||
	    walk_to(&w, body, len, root, v) == -1)
		return -1;
	*tok = w.found;
	*toklen = number_span(w.found, (size_t)(w.end - w.found));
	return *toklen > 0 ? 0 : -1;
}

struct validate_span *
validate_element_spans(const char *body, size_t len, const cJSON *root,
    const cJSON *array, size_t n)
{
	struct walk		 w;
	struct validate_span	*spans;
	const cJSON		*c;
	size_t			 i = 0;

	if (body == NULL || root == NULL || !cJSON_IsArray(array) ||
	    (spans = calloc(n > 0 ? n : 1, sizeof(*spans))) == NULL)
		return NULL;
	if (walk_to(&w, body, len, root, array) == -1)
		goto fail;
	/* From the array's '[', each element walked once, to its end. */
	w.p = w.found;
	w.target = NULL;
	if (walk_char(&w, '[') == -1)
		goto fail;
	for (c = array->child; c != NULL && i < n; c = c->next, i++) {
		walk_ws(&w);
		spans[i].text = w.p;
		if (walk_value(&w, c, 1) != 0)
			goto fail;
		spans[i].len = (size_t)(w.p - spans[i].text);
		if (c->next != NULL && walk_char(&w, ',') == -1)
			goto fail;
	}
	if (c == NULL && i == n)
		return spans;
fail:
	free(spans);
	return NULL;
}
