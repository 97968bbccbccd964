/*
 * The worker process's one writer (SPEC.md §2): a thread that owns the
 * process's write connection and commits every write the request threads
 * hand it in groups (job_run_group: one transaction, a savepoint per job).
 * A request thread blocks in writer_* until the COMMIT that holds its job
 * has returned, so an answer never runs ahead of the disk; the poll thread
 * posts a job (writer_post) and is called back after that COMMIT instead.
 */
#ifndef AWARD_WRITER_H
#define AWARD_WRITER_H

#include <stddef.h>

#include "config.h"
#include "job.h"

struct writer;
struct counters;

/*
 * A job handed in without waiting (writer_post). The caller fills job and
 * done; done(wp) is called on the writer thread once the COMMIT that holds
 * the job has returned (job's outputs filled in, job.h), and must only
 * hand wp on: it runs between two groups. next is the writer's.
 */
struct writer_post {
	struct job		 job;
	void			(*done)(struct writer_post *);
	void			*arg;		/* the caller's */
	struct writer_post	*next;
};

/*
 * Open the write connection and start the writer thread. counters may be
 * NULL. Returns NULL with a one-line message in err.
 */
struct writer *writer_start(const struct award_config *cfg,
	    struct counters *counters, char *err, size_t errsz);

/*
 * Finish every job handed in, stop the thread, close the connection. No
 * writer_* call may be in progress or follow. NULL is a no-op.
 */
void	writer_stop(struct writer *w);

/*
 * Hand job (its kind and input filled, job.h) to the writer and wait
 * until its group has committed: the outcome and results are then in job
 * (UNAVAILABLE / RETRYQ_ERROR when nothing could be saved).
 */
void	writer_run(struct writer *w, struct job *job);

/*
 * Queue wp->job and return at once; wp->done(wp) follows its group's
 * COMMIT. wp must stay valid until then.
 */
void	writer_post(struct writer *w, struct writer_post *wp);

#endif
