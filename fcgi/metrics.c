/*
 * The Prometheus text of the admin metrics (metrics.h). Names follow the
 * Prometheus conventions: base units (seconds), "_total" on counters only,
 * HELP and TYPE before every family. Database totals are gauges (a count
 * of rows can be taken back by hand), except retry runs, which only grow.
 */
#include <stdint.h>
#include <stdlib.h>

#include "counters.h"
#include "metrics.h"
#include "textbuf.h"

#ifndef AWARD_VERSION
#define AWARD_VERSION	"unknown"
#endif

static void
family(struct tbuf *b, const char *name, const char *type, const char *help)
{
	tbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} v, value escaped. */
static void
sample(struct tbuf *b, const char *name, const char *label,
    const char *value, int64_t v)
{
	tbuf_printf(b, "%s{%s=\"", name, label);
	tbuf_label(b, value);
	tbuf_printf(b, "\"} %lld\n", (long long)v);
}

/* Milliseconds as seconds with three decimals, exactly. */
static void
seconds(struct tbuf *b, const char *name, int64_t ms)
{
	const char *sign = ms < 0 ? "-" : "";

	if (ms < 0)
		ms = -ms;
	tbuf_printf(b, "%s %s%lld.%03lld\n", name, sign, (long long)(ms / 1000),
	    (long long)(ms % 1000));
}

static void
ledger(struct tbuf *b, const struct stats_summary *s)
{
	family(b, "award_ledger_rows", "gauge",
	    "Rows of the ticket ledger by reason.");
	for (size_t i = 0; i < s->nledger; i++)
		sample(b, "award_ledger_rows", "reason", s->ledger[i].name,
		    s->ledger[i].rows);
	family(b, "award_ledger_tickets", "gauge",
	    "Sum of the ticket ledger's deltas by reason.");
	for (size_t i = 0; i < s->nledger; i++)
		sample(b, "award_ledger_tickets", "reason", s->ledger[i].name,
		    s->ledger[i].tickets);
	family(b, "award_ledger_rows_last_24h", "gauge",
	    "Ledger rows created in the last 24 hours, by reason.");
	for (size_t i = 0; i < s->nledger; i++)
		sample(b, "award_ledger_rows_last_24h", "reason",
		    s->ledger[i].name, s->ledger[i].rows_24h);
}

static void
payments(struct tbuf *b, const struct stats_summary *s)
{
	int64_t refunded = 0;

	family(b, "award_payments", "gauge",
	    "Payments seen, by the outcome of their award.");
	for (size_t i = 0; i < s->npayments; i++) {
		sample(b, "award_payments", "outcome", s->payments[i].name,
		    s->payments[i].rows);
		refunded += s->payments[i].tickets;
	}
	family(b, "award_payments_refunded", "gauge",
	    "Payments refunded in full.");
	tbuf_printf(b, "award_payments_refunded %lld\n", (long long)refunded);
}

static void
queue(struct tbuf *b, const struct stats_summary *s)
{
	family(b, "award_failed_awards", "gauge",
	    "Rows of the retry queue (failed_awards) by status.");
	sample(b, "award_failed_awards", "status", "pending", s->pending);
	sample(b, "award_failed_awards", "status", "done", s->done);
	/* An acknowledged dead row no longer alerts (SPEC.md §5 .../ack). */
	sample(b, "award_failed_awards", "status", "dead", s->dead - s->acked);
	sample(b, "award_failed_awards", "status", "acknowledged", s->acked);
	family(b, "award_failed_awards_oldest_pending_age_seconds", "gauge",
	    "Age of the oldest pending row of the retry queue; 0 when none.");
	seconds(b, "award_failed_awards_oldest_pending_age_seconds",
	    s->oldest_pending_ms >= 0 && s->now_ms > s->oldest_pending_ms ?
	    s->now_ms - s->oldest_pending_ms : 0);
}

static void
runs(struct tbuf *b, const struct stats_summary *s)
{
	const struct stats_run *r = &s->run;

	family(b, "award_retry_runs_total", "counter",
	    "Retry runs that took the lock, all time (retention keeps the count).");
	tbuf_printf(b, "award_retry_runs_total %lld\n",
	    (long long)s->runs_total);
	family(b, "award_retry_stale", "gauge", "1 when rows are pending and "
	    "no retry run finished in the last 15 minutes (or none ever ran).");
	tbuf_printf(b, "award_retry_stale %d\n", s->retry_stale ? 1 : 0);
	/*
	 * SPEC.md §5 names this one: declared always, as the reconcile
	 * one is, but no sample until a run ended, rather than a made-up
	 * time.
	 */
	family(b, "award_retry_last_run_timestamp_seconds", "gauge",
	    "When the last retry run ended, in seconds since the epoch.");
	if (!r->present || r->ended_ms < 0)
		return;
	seconds(b, "award_retry_last_run_timestamp_seconds", r->ended_ms);
	family(b, "award_retry_last_run_duration_seconds", "gauge",
	    "Duration of the last retry run.");
	seconds(b, "award_retry_last_run_duration_seconds", r->duration_ms);
	family(b, "award_retry_last_run_rows", "gauge",
	    "Rows of the last retry run, by what became of them.");
	sample(b, "award_retry_last_run_rows", "result", "picked", r->picked);
	sample(b, "award_retry_last_run_rows", "result", "awarded",
	    r->awarded);
	sample(b, "award_retry_last_run_rows", "result", "duplicate",
	    r->duplicate);
	sample(b, "award_retry_last_run_rows", "result", "not_eligible",
	    r->not_eligible);
	sample(b, "award_retry_last_run_rows", "result", "refunds",
	    r->refunds);
	sample(b, "award_retry_last_run_rows", "result", "failed", r->failed);
	sample(b, "award_retry_last_run_rows", "result", "dead", r->dead);
	sample(b, "award_retry_last_run_rows", "result", "not_confirmed",
	    r->not_confirmed);
	family(b, "award_retry_last_run_stopped", "gauge",
	    "1 when the last retry run stopped on an outage.");
	tbuf_printf(b, "award_retry_last_run_stopped %d\n", r->stopped ? 1 : 0);
}

char *
metrics_render(const struct stats_summary *s, const struct counters *c)
{
	struct tbuf	 b = TBUF_INIT;
	char		*own;

	ledger(&b, s);
	payments(&b, s);
	queue(&b, s);
	runs(&b, s);
	family(&b, "award_contest_running", "gauge",
	    "1 while a contest is running.");
	tbuf_printf(&b, "award_contest_running %d\n", s->contest_running);
	if (s->backup_ms >= 0) {
		family(&b, "award_backup_last_timestamp_seconds", "gauge",
		    "The snapshot instant of the last backup award-backup "
		    "took, in seconds since the epoch.");
		seconds(&b, "award_backup_last_timestamp_seconds",
		    s->backup_ms);
	}
	family(&b, "award_build_info", "gauge",
	    "The running build: its version in a label, value 1.");
	sample(&b, "award_build_info", "version", AWARD_VERSION, 1);
	if (c != NULL) {
		if ((own = counters_prom(c)) == NULL)
			b.failed = 1;
		else {
			tbuf_str(&b, own);
			free(own);
		}
	}
	return tbuf_finish(&b);
}
