/*
 * Exact integers in cJSON trees, as raw number text (see jsonw.h).
 */
#include <stdio.h>

#include "jsonw.h"

/* A JSON integer item for v; NULL when out of memory. */
static cJSON *
jsonw_int(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return cJSON_CreateRaw(buf);
}

int
jsonw_add_int(cJSON *o, const char *name, int64_t v)
{
	cJSON *item = jsonw_int(v);

	if (item == NULL)
		return -1;
	if (!cJSON_AddItemToObject(o, name, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}
