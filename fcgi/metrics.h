/*
 * GET /v1/admin/metrics (SPEC.md §5): the database's totals from
 * stats_summary() and the responder's own counters (counters.h) as one
 * Prometheus text exposition (format 0.0.4) that `promtool check metrics`
 * accepts. Rendering only: no query here.
 */
#ifndef AWARD_METRICS_H
#define AWARD_METRICS_H

#include "stats.h"

struct counters;

/*
 * The exposition of s followed by counters_prom(c) (left out when c is
 * NULL). Returns a malloc'd string the caller frees, or NULL when out of
 * memory.
 */
char	*metrics_render(const struct stats_summary *s,
	    const struct counters *c);

#endif
