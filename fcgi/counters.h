/*
 * The responder's own numbers for /v1/admin/metrics (SPEC.md §5): requests
 * by route and status class, request duration by route, and the writer's
 * commit groups (jobs per group, commit duration, jobs that fell back).
 * They live in one shared anonymous mapping that the supervisor makes
 * before it forks, so every worker process adds to the same numbers and a
 * restarted worker never sets them back. Updates are relaxed atomics: no
 * lock, no system call. Not here: the database's totals (stats.c).
 */
#ifndef AWARD_COUNTERS_H
#define AWARD_COUNTERS_H

#include <stddef.h>

struct counters;

#include <stdint.h>

/* Heartbeat words, one per worker process (issue 18 finding 1). */
#define COUNTERS_HEARTBEATS	1024

/* Map a zeroed set of counters shared with future children; NULL on error. */
struct counters *counters_new(void);

/* Unmap; NULL is a no-op. */
void	counters_free(struct counters *c);

/*
 * One answered request: route is the route's label (route_name(); NULL
 * or unknown counts as "other"), status the HTTP status, seconds the time
 * from the request read to the answer. c may be NULL (no-op).
 */
void	counters_request(struct counters *c, const char *route, int status,
	    double seconds);

/* One commit group of jobs jobs whose COMMIT took seconds. */
void	counters_group(struct counters *c, size_t jobs, double seconds);

/*
 * One webhook answered "ignored" for reason: "event" (another event) or
 * "test_payment" (a test shop's, SPEC.md §5); anything else counts as
 * "event". c may be NULL.
 */
void	counters_ignored(struct counters *c, const char *reason);

/*
 * Checkpoints the writer's side ran (writer.c), by why: WAL pages added,
 * the load over, the WAL at its bound. c may be NULL.
 */
enum ckpt_reason { CKPT_PAGES_ADDED, CKPT_QUIET, CKPT_BOUND, CKPT__MAX };
void	counters_checkpoint(struct counters *c, enum ckpt_reason why);

/* jobs that left a failed group and ran alone (SPEC.md §2). */
void	counters_fallback(struct counters *c, size_t jobs);

/*
 * Heartbeat word i % COUNTERS_HEARTBEATS: a worker's poll loop advances
 * it (relaxed atomic add), the supervisor reads it with
 * counters_heartbeat_get() to feed systemd's watchdog only while every
 * worker makes progress. NULL when c is NULL.
 */
uint64_t *counters_heartbeat(struct counters *c, unsigned i);

/* The current value of a heartbeat word; 0 for NULL. */
uint64_t counters_heartbeat_get(const uint64_t *hb);

/*
 * The counters as Prometheus text exposition (version 0.0.4), HELP and
 * TYPE on every family. Returns a malloc'd string, or NULL when out of
 * memory.
 */
char	*counters_prom(const struct counters *c);

#endif
