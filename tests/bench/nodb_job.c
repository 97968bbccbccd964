/*
 * For make bench only (issue 14): award-fcgi with the database taken out
 * of its writer. Linked as build/bench/award-fcgi-nodb from the same
 * objects as award-fcgi, with -Wl,--wrap=job_run_group_more, so that the
 * writer's group call lands here: every award job is answered "awarded"
 * (one ticket) and nothing is read or written. hotpath.sh's nodb row runs
 * it behind the same nginx as the empty libfcgi responder: what nginx,
 * the poll thread, the hand-over to the writer and the answer cost
 * without the SQL. It says nothing true to a caller and is never
 * installed.
 */
#include <string.h>

#include "job.h"

void	__wrap_job_run_group_more(struct award_ctx *ctx, struct job **jobs,
	    size_t *n, size_t max, job_more_fn more, void *arg,
	    struct job_group_stats *st);

void
__wrap_job_run_group_more(struct award_ctx *ctx, struct job **jobs,
    size_t *n, size_t max, job_more_fn more, void *arg,
    struct job_group_stats *st)
{
	(void)ctx;
	(void)max;
	(void)more;
	(void)arg;
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < *n; i++) {
		struct job *j = jobs[i];

		j->outcome = JOB_DONE;
		if (j->kind == JOB_AWARD) {
			memset(&j->aout, 0, sizeof(j->aout));
			j->aout.result = AWARD_AWARDED;
			j->aout.tickets = 1;
		}
	}
	st->jobs = *n;
	st->committed = 1;
}
