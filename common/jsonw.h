/*
 * Writing integers into cJSON trees exactly. cJSON keeps numbers as double
 * and prints them with 15 significant digits, so a telegram id such as
 * 9007199254740991 (SPEC.md §5 allows up to 2^53-1) would come out as
 * 9.00719925474099e+15. These helpers write the decimal text instead.
 */
#ifndef AWARD_JSONW_H
#define AWARD_JSONW_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* Add name: v to object o; returns 0 or -1 (out of memory). */
int	 jsonw_add_int(cJSON *o, const char *name, int64_t v);

#endif
