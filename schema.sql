-- award schema (SPEC.md §3). Applied by both binaries at open, idempotently.
-- The part before the "@service" marker is run on the bot database, the part
-- after it on the service database; when both are one file, both run there.
-- Bot tables may already exist with data: only what is missing is created,
-- and no unique index is added that legacy rows could violate.

CREATE TABLE IF NOT EXISTS contests(
	id TEXT PRIMARY KEY,
	starts_at TEXT NOT NULL,
	ends_at TEXT NOT NULL,
	attribution_window_days INTEGER NOT NULL DEFAULT 30,
	is_active INTEGER NOT NULL DEFAULT 0);

CREATE TABLE IF NOT EXISTS user_referrals(
	referred_id INTEGER PRIMARY KEY,
	referrer_id INTEGER NOT NULL,
	bound_at TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS ref_events(
	id TEXT PRIMARY KEY,
	contest_id TEXT NOT NULL,
	referrer_id INTEGER NOT NULL,
	referred_id INTEGER NOT NULL,
	bound_at TEXT NOT NULL,
	status TEXT NOT NULL,
	qualified_at TEXT);

CREATE TABLE IF NOT EXISTS ticket_ledger(
	id TEXT PRIMARY KEY,
	contest_id TEXT NOT NULL,
	referrer_id INTEGER NOT NULL,
	referred_id INTEGER NOT NULL,
	order_id TEXT NOT NULL,
	delta INTEGER NOT NULL,
	reason TEXT NOT NULL,
	created_at TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS plan_tickets(
	plan_id TEXT PRIMARY KEY,
	tickets INTEGER NOT NULL CHECK (tickets >= 0));

-- Rule 1 (legacy rows have random ids) and refunds find an order's rows.
CREATE INDEX IF NOT EXISTS ticket_ledger_order
	ON ticket_ledger(order_id, reason);
-- Per-user sums and the leaderboard.
CREATE INDEX IF NOT EXISTS ticket_ledger_owner
	ON ticket_ledger(contest_id, referrer_id);
CREATE INDEX IF NOT EXISTS ref_events_pair
	ON ref_events(contest_id, referrer_id, referred_id);

-- @service

CREATE TABLE IF NOT EXISTS award_meta(
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL);

-- One row per payment seen. Money in minor units (kopecks).
CREATE TABLE IF NOT EXISTS payments(
	payment_id TEXT PRIMARY KEY,
	order_id TEXT NOT NULL,
	telegram_id INTEGER NOT NULL,
	plan_id TEXT NOT NULL,
	amount_minor INTEGER,
	currency TEXT,
	order_created_at TEXT NOT NULL,
	refunded_minor INTEGER NOT NULL DEFAULT 0,
	outcome TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS payments_order ON payments(order_id);
-- The admin lookup by telegram id (lookup.c).
CREATE INDEX IF NOT EXISTS payments_buyer ON payments(telegram_id);

-- Each refund once, by its YooKassa id (SPEC.md §4 "Refunds"). status:
-- 'counted' into its payment's refunded_minor; 'pending', its payment not
-- seen yet (counted when it arrives); 'mismatch', recorded before its
-- payment in another currency (never counted). currency and status came
-- with schema version 2: db.c adds them to older files.
CREATE TABLE IF NOT EXISTS refunds(
	refund_id TEXT PRIMARY KEY,
	payment_id TEXT NOT NULL,
	amount_minor INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	currency TEXT,
	status TEXT NOT NULL DEFAULT 'counted'
		CHECK (status IN ('counted', 'pending', 'mismatch')));
-- A payment's first sighting finds the refunds waiting for it.
CREATE INDEX IF NOT EXISTS refunds_payment ON refunds(payment_id);

-- The durable retry queue (SPEC.md §6). Dead rows are never deleted; done
-- rows go after AWARD_RETAIN_DONE_DAYS (retain.c). The column done_ms (when
-- the row became done) and its index failed_awards_done came with schema
-- version 3 and are added by db.c (added_columns) to every database, new
-- or old, so that both get the same column and index.
CREATE TABLE IF NOT EXISTS failed_awards(
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('award', 'refund')),
	status TEXT NOT NULL DEFAULT 'pending'
		CHECK (status IN ('pending', 'done', 'dead')),
	attempts INTEGER NOT NULL DEFAULT 1,
	last_error TEXT,
	outcome TEXT,
	order_id TEXT,
	telegram_id INTEGER,
	plan_id TEXT,
	order_created_at TEXT,
	payment_id TEXT,
	amount_minor INTEGER,
	currency TEXT,
	refund_id TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	last_attempt_at TEXT NOT NULL,
	next_attempt_at TEXT NOT NULL,
	next_attempt_ms INTEGER NOT NULL,
	-- Admin actions (schema version 3, db.c adds them to older files):
	-- who acknowledged a dead row and when (NULL: not acknowledged;
	-- cleared when the row leaves 'dead'), who requeued it last and when.
	acked_at TEXT,
	acked_by TEXT,
	requeued_at TEXT,
	requeued_by TEXT,
	-- 1: saved from a notification the API could not confirm yet
	-- (AWARD_VERIFY_PAYMENTS, SPEC.md §11); the retry run verifies it
	-- before applying it. Also in db.c's added_columns.
	verify INTEGER NOT NULL DEFAULT 0);
-- An order (or a refund) is queued at most once.
CREATE UNIQUE INDEX IF NOT EXISTS failed_awards_order
	ON failed_awards(order_id) WHERE kind = 'award';
CREATE UNIQUE INDEX IF NOT EXISTS failed_awards_refund
	ON failed_awards(refund_id) WHERE kind = 'refund';
-- The retry run's due query costs the number of due rows, not the table.
CREATE INDEX IF NOT EXISTS failed_awards_due
	ON failed_awards(next_attempt_ms, id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS failed_awards_status
	ON failed_awards(status, id);
-- Ages and the admin lists go by when a row was queued: a done or dead
-- row that fails again keeps its id but is queued anew (retryq.c).
CREATE INDEX IF NOT EXISTS failed_awards_age
	ON failed_awards(status, created_at, id);
-- The admin lookup by payment id (lookup.c).
CREATE INDEX IF NOT EXISTS failed_awards_payment
	ON failed_awards(payment_id);

CREATE TABLE IF NOT EXISTS retry_runs(
	id INTEGER PRIMARY KEY,
	started_at TEXT NOT NULL,
	duration_ms INTEGER NOT NULL,
	picked INTEGER NOT NULL,
	awarded INTEGER NOT NULL,
	duplicate INTEGER NOT NULL,
	not_eligible INTEGER NOT NULL,
	refunds INTEGER NOT NULL,
	failed INTEGER NOT NULL,
	dead INTEGER NOT NULL,
	forced INTEGER NOT NULL,
	stopped TEXT,		-- NULL: ran to the end; else why it stopped
	not_confirmed INTEGER NOT NULL DEFAULT 0); -- the API did not confirm
-- Columns added after their table first shipped are also listed in db.c
-- (added_columns), which adds them to databases made before.

-- One row per reconciliation run that took the lock (SPEC.md §11): the
-- counts of its summary line; stopped NULL when it ran to the end, else
-- api_unavailable | api_bad_response | api_auth | database. A dry run
-- writes none. api_requests: HTTP requests sent, retries included.
CREATE TABLE IF NOT EXISTS reconcile_runs(
	id INTEGER PRIMARY KEY,
	started_at TEXT NOT NULL,
	finished_at TEXT NOT NULL,
	since TEXT NOT NULL,
	fetched_payments INTEGER NOT NULL,
	fetched_refunds INTEGER NOT NULL,
	known INTEGER NOT NULL,
	skipped INTEGER NOT NULL,
	awarded INTEGER NOT NULL,
	duplicate INTEGER NOT NULL,
	not_eligible INTEGER NOT NULL,
	queued INTEGER NOT NULL,
	reversed INTEGER NOT NULL,
	partial INTEGER NOT NULL,
	unknown_payment INTEGER NOT NULL,
	api_requests INTEGER NOT NULL,
	stopped TEXT);
CREATE INDEX IF NOT EXISTS reconcile_runs_finished
	ON reconcile_runs(finished_at);
-- Retry runs, all time (award_retry_runs_total): kept apart from
-- retry_runs, whose old rows retention deletes, so that the counter never
-- goes down; counted by a trigger on the run's row. A database set up
-- before version 4 starts from the rows it had (db_schema.c).
CREATE TABLE IF NOT EXISTS retry_totals(
	id INTEGER PRIMARY KEY CHECK (id = 1),
	runs INTEGER NOT NULL DEFAULT 0);
CREATE TRIGGER IF NOT EXISTS retry_runs_counted
	AFTER INSERT ON retry_runs
	BEGIN
		INSERT INTO retry_totals(id, runs) VALUES (1, 1)
		ON CONFLICT(id) DO UPDATE SET runs = runs + 1;
	END;
-- Payments reconciliation awarded, all time (award_reconcile_recovered_total):
-- kept apart from reconcile_runs, whose old rows retention deletes, and
-- counted by a trigger on the run's row, so award-reconcile need not know.
CREATE TABLE IF NOT EXISTS reconcile_totals(
	id INTEGER PRIMARY KEY CHECK (id = 1),
	recovered INTEGER NOT NULL DEFAULT 0);
CREATE TRIGGER IF NOT EXISTS reconcile_runs_recovered
	AFTER INSERT ON reconcile_runs
	BEGIN
		INSERT INTO reconcile_totals(id, recovered)
		VALUES (1, NEW.awarded)
		ON CONFLICT(id) DO UPDATE
		SET recovered = recovered + excluded.recovered;
	END;

-- Admin views' totals (read by stats.c, kept by totals.c). The ledger is
-- append-only and lives in the bot database, which the bot writes too, so
-- its totals are folded in by the writers (the responder's writer thread,
-- award-retry) up to a watermark on its rowid,
-- ledger_totals_state.last_rowid. Rows past it are added on the fly by
-- every read, so an answer is exact whether or not a fold ran. The watermark and the totals change in one
-- transaction of the service database, so nothing is counted twice.
CREATE TABLE IF NOT EXISTS ledger_totals_state(
	id INTEGER PRIMARY KEY CHECK (id = 1),
	last_rowid INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_totals(
	reason TEXT PRIMARY KEY,
	rows INTEGER NOT NULL,
	tickets INTEGER NOT NULL);
-- Tickets per (contest, owner): the leaderboard's top N from an index.
CREATE TABLE IF NOT EXISTS ledger_owner_totals(
	contest_id TEXT NOT NULL,
	owner INTEGER NOT NULL,
	tickets INTEGER NOT NULL,
	PRIMARY KEY (contest_id, owner));
CREATE INDEX IF NOT EXISTS ledger_owner_totals_top
	ON ledger_owner_totals(contest_id, tickets DESC, owner);
-- Ledger rows per minute of created_at, kept for 25 hours: "last 24 h".
CREATE TABLE IF NOT EXISTS ledger_minutes(
	minute INTEGER NOT NULL,
	reason TEXT NOT NULL,
	rows INTEGER NOT NULL,
	tickets INTEGER NOT NULL,
	PRIMARY KEY (minute, reason));

-- Payments by outcome and the retry queue by status. Outcomes and statuses
-- change (an UPDATE), so these are kept by triggers in the same
-- transaction as the change. A table made on a database that already had
-- rows is filled once by a writer (totals.c), under the write lock, from
-- the rows themselves; totals_ready records that it was. Until then the
-- views count the rows.
CREATE TABLE IF NOT EXISTS totals_ready(
	name TEXT PRIMARY KEY,		-- 'payments' | 'failed_awards'
	ready INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS payment_totals(
	outcome TEXT PRIMARY KEY,	-- '' for no outcome yet
	payments INTEGER NOT NULL,
	refunded INTEGER NOT NULL);	-- of them, refunded in full
CREATE TRIGGER IF NOT EXISTS payments_totals_insert AFTER INSERT ON payments
BEGIN
	INSERT INTO payment_totals(outcome, payments, refunded)
	VALUES (coalesce(new.outcome, ''), 1, coalesce(new.refunded_minor > 0
		AND new.refunded_minor >= new.amount_minor, 0))
	ON CONFLICT(outcome) DO UPDATE SET payments = payments + 1,
		refunded = refunded + excluded.refunded;
END;
CREATE TRIGGER IF NOT EXISTS payments_totals_update
	AFTER UPDATE OF outcome, amount_minor, refunded_minor ON payments
BEGIN
	UPDATE payment_totals SET payments = payments - 1,
		refunded = refunded - coalesce(old.refunded_minor > 0
			AND old.refunded_minor >= old.amount_minor, 0)
	WHERE outcome = coalesce(old.outcome, '');
	INSERT INTO payment_totals(outcome, payments, refunded)
	VALUES (coalesce(new.outcome, ''), 1, coalesce(new.refunded_minor > 0
		AND new.refunded_minor >= new.amount_minor, 0))
	ON CONFLICT(outcome) DO UPDATE SET payments = payments + 1,
		refunded = refunded + excluded.refunded;
END;
CREATE TRIGGER IF NOT EXISTS payments_totals_delete AFTER DELETE ON payments
BEGIN
	UPDATE payment_totals SET payments = payments - 1,
		refunded = refunded - coalesce(old.refunded_minor > 0
			AND old.refunded_minor >= old.amount_minor, 0)
	WHERE outcome = coalesce(old.outcome, '');
END;
CREATE TABLE IF NOT EXISTS queue_totals(
	status TEXT PRIMARY KEY,
	rows INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS failed_awards_totals_insert
	AFTER INSERT ON failed_awards
BEGIN
	INSERT INTO queue_totals(status, rows) VALUES (new.status, 1)
	ON CONFLICT(status) DO UPDATE SET rows = rows + 1;
END;
CREATE TRIGGER IF NOT EXISTS failed_awards_totals_update
	AFTER UPDATE OF status ON failed_awards
BEGIN
	UPDATE queue_totals SET rows = rows - 1 WHERE status = old.status;
	INSERT INTO queue_totals(status, rows) VALUES (new.status, 1)
	ON CONFLICT(status) DO UPDATE SET rows = rows + 1;
END;
CREATE TRIGGER IF NOT EXISTS failed_awards_totals_delete
	AFTER DELETE ON failed_awards
BEGIN
	UPDATE queue_totals SET rows = rows - 1 WHERE status = old.status;
END;
