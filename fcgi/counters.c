/*
 * Shared counters (counters.h). Histograms store per-bucket counts and
 * are made cumulative only when rendered; sums are kept in microseconds
 * so that every field is a 64-bit integer updated with one atomic add.
 */
#include <sys/mman.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "route_ids.h"

#define CLASS__MAX	5	/* 1xx .. 5xx */

static const double dur_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10,
};
#define DUR__MAX	(sizeof(dur_bounds) / sizeof(dur_bounds[0]))

static const double group_bounds[] = {
	1, 2, 4, 8, 16, 32, 64, 128, 256,
};
#define GROUP__MAX	(sizeof(group_bounds) / sizeof(group_bounds[0]))

static const double commit_bounds[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	5,
};
#define COMMIT__MAX	(sizeof(commit_bounds) / sizeof(commit_bounds[0]))

/* Bucket counts; the last one is +Inf. */
struct hist_dur {
	uint64_t	bucket[DUR__MAX + 1];
	uint64_t	sum_us;
};

struct counters {
	uint64_t	requests[ROUTE__MAX][CLASS__MAX];
	struct hist_dur	duration[ROUTE__MAX];
	uint64_t	group[GROUP__MAX + 1];
	uint64_t	group_jobs;		/* sum of group sizes */
	uint64_t	checkpoints[CKPT__MAX];
	uint64_t	commit[COMMIT__MAX + 1];
	uint64_t	commit_sum_us;
	uint64_t	fallback_jobs;
	uint64_t	ignored[2];	/* ignored_reasons */
	uint64_t	heartbeat[COUNTERS_HEARTBEATS];
};

static const char *const ignored_reasons[2] = { "event", "test_payment" };
static const char *const ckpt_reasons[CKPT__MAX] = { "pages", "quiet",
    "bound" };

struct counters *
counters_new(void)
{
	void *p = mmap(NULL, sizeof(struct counters), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void
counters_free(struct counters *c)
{
	if (c != NULL)
		munmap(c, sizeof(*c));
}

uint64_t *
counters_heartbeat(struct counters *c, unsigned i)
{
	return c != NULL ? &c->heartbeat[i % COUNTERS_HEARTBEATS] : NULL;
}

uint64_t
counters_heartbeat_get(const uint64_t *hb)
{
	return hb != NULL ? __atomic_load_n(hb, __ATOMIC_RELAXED) : 0;
}

static void
add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t
load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static size_t
bucket(const double *bounds, size_t n, double v)
{
	size_t i;

	for (i = 0; i < n && v > bounds[i]; i++)
		continue;
	return i;
}

static uint64_t
to_us(double seconds)
{
	return seconds <= 0 ? 0 : (uint64_t)(seconds * 1e6 + 0.5);
}

void
counters_request(struct counters *c, const char *route, int status,
    double seconds)
{
	size_t r = route_id(route), k;

	if (c == NULL)
		return;
	k = status >= 100 && status < 600 ? (size_t)(status / 100 - 1) :
	    CLASS__MAX - 1;
	add(&c->requests[r][k], 1);
	add(&c->duration[r].bucket[bucket(dur_bounds, DUR__MAX, seconds)], 1);
	add(&c->duration[r].sum_us, to_us(seconds));
}

void
counters_group(struct counters *c, size_t jobs, double seconds)
{
	if (c == NULL)
		return;
	add(&c->group[bucket(group_bounds, GROUP__MAX, (double)jobs)], 1);
	add(&c->group_jobs, jobs);
	add(&c->commit[bucket(commit_bounds, COMMIT__MAX, seconds)], 1);
	add(&c->commit_sum_us, to_us(seconds));
}

void
counters_checkpoint(struct counters *c, enum ckpt_reason why)
{
	if (c != NULL && why < CKPT__MAX)
		add(&c->checkpoints[why], 1);
}

void
counters_fallback(struct counters *c, size_t jobs)
{
	if (c != NULL)
		add(&c->fallback_jobs, jobs);
}

void
counters_ignored(struct counters *c, const char *reason)
{
	if (c != NULL)
		add(&c->ignored[reason != NULL &&
		    strcmp(reason, ignored_reasons[1]) == 0], 1);
}

/* A growing text buffer; on allocation failure it stays failed. */
struct text {
	char	*s;
	size_t	 len, cap;
	int	 failed;
};

static void
put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct text *t, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = 1;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		size_t	 cap = (t->cap + (size_t)n + 1) * 2;
		char	*p = realloc(t->s, cap);

		if (p == NULL) {
			t->failed = 1;
			return;
		}
		t->s = p;
		t->cap = cap;
	}
}

/* One histogram's series; labels is "" or `route="x",`. */
static void
hist(struct text *t, const char *name, const char *labels,
    const double *bounds, size_t n, const uint64_t *b, double sum)
{
	uint64_t cum = 0;

	for (size_t i = 0; i < n; i++) {
		cum += load(&b[i]);
		put(t, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels, bounds[i],
		    (unsigned long long)cum);
	}
	cum += load(&b[n]);
	put(t, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels,
	    (unsigned long long)cum);
	if (labels[0] != '\0') {
		/* "route=\"x\"," without the trailing comma */
		put(t, "%s_sum{%.*s} %.9g\n", name, (int)strlen(labels) - 1,
		    labels, sum);
		put(t, "%s_count{%.*s} %llu\n", name, (int)strlen(labels) - 1,
		    labels, (unsigned long long)cum);
	} else {
		put(t, "%s_sum %.9g\n", name, sum);
		put(t, "%s_count %llu\n", name, (unsigned long long)cum);
	}
}

char *
counters_prom(const struct counters *c)
{
	struct text	t = { NULL, 0, 0, 0 };
	char		labels[64];

	if ((t.s = malloc(t.cap = 8192)) == NULL)
		return NULL;
	t.s[0] = '\0';
	put(&t, "# HELP award_http_requests_total Requests answered by the "
	    "responder, by route and status class.\n"
	    "# TYPE award_http_requests_total counter\n");
	for (size_t r = 0; r < ROUTE__MAX; r++)
		for (size_t k = 0; k < CLASS__MAX; k++)
			put(&t, "award_http_requests_total{route=\"%s\","
			    "code=\"%zuxx\"} %llu\n",
			    route_name((enum route_id)r), k + 1,
			    (unsigned long long)load(&c->requests[r][k]));
	put(&t, "# HELP award_http_request_duration_seconds Time from "
	    "reading a request to its answer, by route.\n"
	    "# TYPE award_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r < ROUTE__MAX; r++) {
		snprintf(labels, sizeof(labels), "route=\"%s\",",
		    route_name((enum route_id)r));
		hist(&t, "award_http_request_duration_seconds", labels,
		    dur_bounds, DUR__MAX, c->duration[r].bucket,
		    (double)load(&c->duration[r].sum_us) / 1e6);
	}
	put(&t, "# HELP award_writer_group_jobs Jobs (awards, refunds, "
	    "requeues) committed together in one transaction.\n"
	    "# TYPE award_writer_group_jobs histogram\n");
	hist(&t, "award_writer_group_jobs", "", group_bounds, GROUP__MAX,
	    c->group, (double)load(&c->group_jobs));
	put(&t, "# HELP award_writer_commit_duration_seconds Time from BEGIN "
	    "to the end of COMMIT of one group.\n"
	    "# TYPE award_writer_commit_duration_seconds histogram\n");
	hist(&t, "award_writer_commit_duration_seconds", "", commit_bounds,
	    COMMIT__MAX, c->commit, (double)load(&c->commit_sum_us) / 1e6);
	put(&t, "# HELP award_writer_fallback_jobs_total Jobs whose group "
	    "transaction failed and that ran again alone.\n"
	    "# TYPE award_writer_fallback_jobs_total counter\n"
	    "award_writer_fallback_jobs_total %llu\n",
	    (unsigned long long)load(&c->fallback_jobs));
	put(&t, "# HELP award_writer_checkpoints_total WAL checkpoints "
	    "begun by the responder, by why: pages (1000 new WAL pages), "
	    "quiet (no commit for a while after those), bound (the WAL at "
	    "its bound, between two groups).\n"
	    "# TYPE award_writer_checkpoints_total counter\n");
	for (size_t i = 0; i < CKPT__MAX; i++)
		put(&t, "award_writer_checkpoints_total{reason=\"%s\"} %llu\n",
		    ckpt_reasons[i],
		    (unsigned long long)load(&c->checkpoints[i]));
	put(&t, "# HELP award_webhook_ignored_total Notifications answered "
	    "200 ignored, by reason (another event, a test shop's).\n"
	    "# TYPE award_webhook_ignored_total counter\n");
	for (size_t i = 0; i < 2; i++)
		put(&t, "award_webhook_ignored_total{reason=\"%s\"} %llu\n",
		    ignored_reasons[i],
		    (unsigned long long)load(&c->ignored[i]));
	if (t.failed) {
		free(t.s);
		return NULL;
	}
	return t.s;
}
