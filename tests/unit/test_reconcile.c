/*
 * Unit tests for common/reconcile.c (SPEC.md §11) that need no API: the
 * summary line, byte for byte, its stop names, the reconcile_runs row,
 * and the run lock (one holder at a time; apart from the retry run's).
 * The runs themselves are tested against the mock API in
 * tests/integration/test_reconcile.sh.
 */
#include <unistd.h>

#include <criterion/criterion.h>

#include "reconcile.h"
#include "retryq.h"
#include "testutil.h"

Test(reconcile, summary_exact)
{
	struct reconcile_run	run = { 0 };
	char			buf[RECONCILE_SUMMARY_MAX];

	run.since_ms = tu_ms("2026-11-27T10:51:18.139Z");
	run.fetched_payments = 250;
	run.fetched_refunds = 3;
	run.known = 7;
	run.skipped = 2;
	run.awarded = 200;
	run.duplicate = 30;
	run.not_eligible = 9;
	run.queued = 2;
	run.reversed = 1;
	run.partial = 1;
	run.unknown_payment = 1;
	cr_assert_eq(reconcile_summary(&run, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "{\"since\":\"2026-11-27T10:51:18.139Z\","
	    "\"fetched\":{\"payments\":250,\"refunds\":3},\"known\":7,"
	    "\"skipped\":2,\"applied\":{\"awarded\":200,\"duplicate\":30,"
	    "\"not_eligible\":9,\"queued\":2,\"reversed\":1,\"partial\":1,"
	    "\"unknown_payment\":1},\"stopped\":null}");
	run.stop = RECONCILE_API_UNAVAILABLE;
	cr_assert_eq(reconcile_summary(&run, buf, sizeof(buf)), 0);
	cr_assert_not_null(strstr(buf, ",\"stopped\":\"api_unavailable\"}"));
	cr_assert_eq(reconcile_summary(&run, buf, 40), -1, "truncated");
}

Test(reconcile, stop_names)
{
	cr_assert_null(reconcile_stop_name(RECONCILE_COMPLETED));
	cr_assert_str_eq(reconcile_stop_name(RECONCILE_API_UNAVAILABLE),
	    "api_unavailable");
	cr_assert_str_eq(reconcile_stop_name(RECONCILE_API_BAD_RESPONSE),
	    "api_bad_response");
	cr_assert_str_eq(reconcile_stop_name(RECONCILE_DATABASE), "database");
	cr_assert_str_eq(reconcile_stop_name(RECONCILE_API_AUTH), "api_auth");
}

Test(reconcile, run_row_recorded_dry_run_not)
{
	struct tu_env		e;
	struct reconcile_run	run = { 0 };
	char			*s;

	tu_init(&e, 1);
	tu_open(&e);
	run.started_ms = tu_ms("2026-12-04T10:00:00Z");
	run.finished_ms = tu_ms("2026-12-04T10:00:02.5Z");
	run.since_ms = tu_ms("2026-12-01T10:00:00Z");
	run.fetched_payments = 3;
	run.awarded = 2;
	run.api_requests = 2;
	run.stop = RECONCILE_DATABASE;
	cr_assert_eq(reconcile_record_run(e.ctx, &run), 0);
	s = tu_str(&e, "SELECT started_at || '|' || finished_at || '|' || "
	    "since || '|' || fetched_payments || '|' || awarded || '|' || "
	    "api_requests || '|' || stopped FROM reconcile_runs");
	tu_assert_str(s, "2026-12-04T10:00:00.000Z|2026-12-04T10:00:02.500Z|"
	    "2026-12-01T10:00:00.000Z|3|2|2|database", "reconcile_runs row");
	run.dry_run = 1;
	cr_assert_eq(reconcile_record_run(e.ctx, &run), 0);
	cr_assert_eq(tu_int(&e, "SELECT count(*) FROM reconcile_runs"), 1);
	tu_fini(&e);
}

Test(reconcile, lock_one_holder_apart_from_retry)
{
	struct tu_env	e;
	char		err[256];
	int		a, b, r;

	tu_init(&e, 0);
	tu_open(&e);
	cr_assert_geq(a = reconcile_lock(e.cfg.db_path, err, sizeof(err)), 0,
	    "%s", err);
	/* Open file description locks: a second open conflicts, in-process. */
	cr_assert_eq(reconcile_lock(e.cfg.db_path, err, sizeof(err)), -2);
	/* The retry run's lock is another one: both may run. */
	cr_assert_geq(r = retryq_lock(e.cfg.db_path, err, sizeof(err)), 0,
	    "%s", err);
	/* SQLite still writes the file while both are held. */
	tu_exec(&e, "INSERT INTO plan_tickets VALUES ('p', 1)");
	close(a);
	cr_assert_geq(b = reconcile_lock(e.cfg.db_path, err, sizeof(err)), 0,
	    "released on close");
	close(b);
	close(r);
	cr_assert_eq(reconcile_lock("/nonexistent/award.db", err, sizeof(err)),
	    -1);
	tu_fini(&e);
}
