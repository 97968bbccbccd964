#!/usr/bin/env bash
# award — how big the database files grow per payment (docs/operations.md
# "Growth"). Creates the two databases with the real schema (award-retry
# --init), then writes with SQL, in one transaction, the rows the award
# code writes for N awarded payments whose buyer has a referrer: one
# payments row, two ticket_ledger rows (SELF_PURCHASE, INVITEE_PAYMENT), a
# ref_events row and the bot's user_referrals row, with values of the
# service's own lengths (UUID payment ids, ISO times with milliseconds).
# Then VACUUMs both and prints bytes per payment for each file. Also the
# retry_runs steady state under retention (288 runs a day, 90 days).
#
# Usage: AWARD_BIN_DIR=build bash tests/bench/growth.sh [N]  (default 1000000)
set -euo pipefail

N=${1:-1000000}
BIN=${AWARD_BIN_DIR:-build}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/award-growth.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
DB=$DIR/award.db
BOT=$DIR/bot.db

AWARD_CONFIG= "$BIN/award-retry" --db "$DB" --bot-db "$BOT" --init 2>/dev/null

sqlite3 "$BOT" >/dev/null <<SQL
BEGIN;
INSERT INTO contests VALUES ('contest-2026-12', '2026-12-01T00:00:00Z',
    '2026-12-31T23:59:59Z', 30, 1);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO user_referrals
SELECT 1000000000 + i, 500000000 + i / 7, '2026-11-20T10:00:00.000Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO ticket_ledger
SELECT 'SELF_PURCHASE:ord_2026_12_' || printf('%09d', i), 'contest-2026-12',
    1000000000 + i, 1000000000 + i, 'ord_2026_12_' || printf('%09d', i), 3,
    'SELF_PURCHASE', '2026-12-10T10:51:18.139Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO ticket_ledger
SELECT 'INVITEE_PAYMENT:ord_2026_12_' || printf('%09d', i), 'contest-2026-12',
    500000000 + i / 7, 1000000000 + i, 'ord_2026_12_' || printf('%09d', i), 3,
    'INVITEE_PAYMENT', '2026-12-10T10:51:18.139Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO ref_events
SELECT 'contest-2026-12:' || (500000000 + i / 7) || ':' || (1000000000 + i),
    'contest-2026-12', 500000000 + i / 7, 1000000000 + i,
    '2026-11-20T10:00:00.000Z', 'qualified', '2026-12-10T10:51:18.139Z' FROM n;
COMMIT;
SQL

sqlite3 "$DB" <<SQL
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO payments(payment_id, order_id, telegram_id, plan_id, amount_minor,
    currency, order_created_at, outcome, created_at, updated_at)
SELECT lower(hex(randomblob(4))) || '-000f-5000-8000-' ||
    lower(hex(randomblob(6))), 'ord_2026_12_' || printf('%09d', i),
    1000000000 + i, 'plan_3m', 49900, 'RUB', '2026-12-10T10:51:17.000Z',
    'awarded', '2026-12-10T10:51:18.139Z', '2026-12-10T10:51:18.139Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25920)
INSERT INTO retry_runs(started_at, duration_ms, picked, awarded, duplicate,
    not_eligible, refunds, failed, dead, forced)
SELECT '2026-12-10T10:50:00.000Z', 12, 0, 0, 0, 0, 0, 0, 0, 0 FROM n;
COMMIT;
SQL

# A retry run over the filled pair: it opens them as the service does
# (nothing is due, nothing is old enough to delete).
AWARD_CONFIG= "$BIN/award-retry" --db "$DB" --bot-db "$BOT" 2>/dev/null

for f in "$DB" "$BOT"; do
	sqlite3 "$f" 'PRAGMA wal_checkpoint(TRUNCATE); VACUUM;' >/dev/null
done
runs=$(sqlite3 "$DB" "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'retry_runs%'" 2>/dev/null || echo '?')
s=$(stat -c %s "$DB")
b=$(stat -c %s "$BOT")
echo "payments: $N"
echo "service database: $s bytes, $((s / N)) bytes per payment (retry_runs at 90 days of runs: $runs bytes)"
echo "bot database:     $b bytes, $((b / N)) bytes per payment"
echo "both:             $((s + b)) bytes, $(((s + b) / N)) bytes per payment"
