/*
 * Before the databases are opened: whether the service is set up at all
 * (SPEC.md §6 "Not set up yet"), and the first-day check of
 * `award-fcgi --check` (issue 17). Both only look: no file, table or row
 * is created here, which is the point (db_open() creates; this decides
 * whether a caller may let it). Not the place for opening the databases
 * for work: that is db.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"

/* 1 when path exists, 0 when it does not, -1 (msg set) when unknown. */
static int
exists(const char *what, const char *path, char *msg, size_t msgsz)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	snprintf(msg, msgsz, "%s %s: %s", what, path, strerror(errno));
	return -1;
}

enum db_setup
db_setup_state(const struct award_config *c, char *msg, size_t msgsz)
{
	const char	*bot = config_bot_db(c);
	int		 svc, b;

	msg[0] = '\0';
	if ((svc = exists("service database", c->db_path, msg, msgsz)) == -1)
		return DB_SETUP_ERROR;
	if (svc == 1)
		return DB_SETUP_READY;
	/*
	 * SPEC.md §6: only a run that finds neither file creates nothing. A
	 * bot database of its own that exists (the bot's, with its tables)
	 * is a pair to start: db_open() makes the service database and
	 * records the pairing, as award-fcgi would.
	 */
	if (strcmp(bot, c->db_path) != 0) {
		if ((b = exists("bot database", bot, msg, msgsz)) == -1)
			return DB_SETUP_ERROR;
		if (b == 1)
			return DB_SETUP_READY;
	}
	snprintf(msg, msgsz, "the service is not set up yet: no service "
	    "database at %s and no bot database (award-fcgi creates them at "
	    "its first start, or award-retry --init)", c->db_path);
	return DB_SETUP_NONE;
}

int
db_setup_exit(const struct award_config *c, const char *name)
{
	char msg[CONFIG_ERR_MAX];

	switch (db_setup_state(c, msg, sizeof(msg))) {
	case DB_SETUP_NONE:
		/* At warn: AWARD_LOG_LEVEL=warn must not hide the one line. */
		log_msg(LOG_WARN, msg, LF_END);
		return 0;
	case DB_SETUP_ERROR:
		config_startup_error(name, msg);
		return 1;
	default:
		return -1;
	}
}

/*
 * Open path to read, never creating it; NULL when it cannot be. Opened
 * read-write (no SQLITE_OPEN_CREATE) though only read, so that closing the
 * last connection removes the -wal and -shm files opening made, as the
 * binaries' own connections do; a read-only connection would leave them.
 */
static sqlite3 *
open_ro(const char *path, char *err, size_t errsz)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "%s", db != NULL ? sqlite3_errmsg(db) :
		    "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/*
 * The text of the first column of sql's first row into out ("" when no
 * row or no such table); -1 on another error.
 */
static int
one_text(sqlite3 *db, const char *sql, char *out, size_t outsz)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return strstr(sqlite3_errmsg(db), "no such table") != NULL ?
		    0 : -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		snprintf(out, outsz, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static void
line(FILE *f, const char *tag, const char *what, const char *detail)
{
	fprintf(f, "%-4s %s: %s\n", tag, what, detail);
}

/* The bot tables the service reads (SPEC.md §3). */
static const char *const bot_tables[] = { "contests", "user_referrals",
	"ref_events", "ticket_ledger", "plan_tickets" };

/*
 * The bot database at path: "" in id when it has no identity yet.
 * Returns 0 (with a line printed) or -1 when it cannot be used.
 */
static int
check_bot(FILE *f, const char *path, char *id, size_t idsz)
{
	sqlite3		*db;
	char		 err[CONFIG_ERR_MAX], buf[64], missing[128] = "";
	char		 detail[CONFIG_PATH_MAX + 256];
	char		 contests[32], active[32], plans[32];

	id[0] = '\0';
	if ((db = open_ro(path, err, sizeof(err))) == NULL) {
		snprintf(detail, sizeof(detail), "%s: %s", path, err);
		line(f, "FAIL", "bot database", detail);
		return -1;
	}
	for (size_t i = 0; i < sizeof(bot_tables) / sizeof(bot_tables[0]);
	    i++) {
		char sql[128];

		snprintf(sql, sizeof(sql), "SELECT name FROM sqlite_schema "
		    "WHERE type = 'table' AND name = '%s'", bot_tables[i]);
		if (one_text(db, sql, buf, sizeof(buf)) == -1) {
			snprintf(detail, sizeof(detail), "%s: %s", path,
			    sqlite3_errmsg(db));
			line(f, "FAIL", "bot database", detail);
			sqlite3_close(db);
			return -1;
		}
		if (buf[0] == '\0' && strlen(missing) + strlen(bot_tables[i]) +
		    2 < sizeof(missing))
			snprintf(missing + strlen(missing), sizeof(missing) -
			    strlen(missing), "%s%s", missing[0] ? ", " : "",
			    bot_tables[i]);
	}
	(void)one_text(db, "SELECT value FROM award_bot_identity WHERE id = 1",
	    id, idsz);
	(void)one_text(db, "SELECT count(*) FROM contests", contests,
	    sizeof(contests));
	(void)one_text(db, "SELECT count(*) FROM contests WHERE is_active = 1",
	    active, sizeof(active));
	(void)one_text(db, "SELECT count(*) FROM plan_tickets", plans,
	    sizeof(plans));
	sqlite3_close(db);
	if (missing[0] != '\0') {
		snprintf(detail, sizeof(detail), "%s: no table %s yet "
		    "(award-fcgi creates what is missing; the bot fills "
		    "contests, plan_tickets, user_referrals)", path, missing);
		line(f, "warn", "bot database", detail);
		return 0;
	}
	snprintf(detail, sizeof(detail), "%s: %s contests (%s active), "
	    "%s plans in plan_tickets", path, contests, active, plans);
	line(f, strcmp(active, "0") == 0 || strcmp(plans, "0") == 0 ?
	    "warn" : "ok", "bot database", detail);
	return 0;
}

int
db_setup_ready_as_is(const struct award_config *c, char *msg, size_t msgsz)
{
	sqlite3	*db;
	char	 version[32], rec[64], err[CONFIG_ERR_MAX];
	int	 rc;

	if ((rc = exists("service database", c->db_path, msg, msgsz)) != 1) {
		if (rc == 0)
			snprintf(msg, msgsz, "service database %s does not "
			    "exist yet", c->db_path);
		return rc;
	}
	if ((db = open_ro(c->db_path, err, sizeof(err))) == NULL) {
		snprintf(msg, msgsz, "service database %s: %s", c->db_path,
		    err);
		return -1;
	}
	version[0] = rec[0] = '\0';
	if (one_text(db, "SELECT value FROM award_meta WHERE key = "
	    "'schema_version'", version, sizeof(version)) == -1 ||
	    one_text(db, "SELECT value FROM award_meta WHERE key = "
	    "'bot_identity'", rec, sizeof(rec)) == -1) {
		snprintf(msg, msgsz, "service database %s: %s", c->db_path,
		    sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_close(db);
	if (atoi(version) != DB_SCHEMA_VERSION) {
		snprintf(msg, msgsz, "service database %s is at schema "
		    "version %s, not this binary's %d", c->db_path,
		    version[0] ? version : "none", DB_SCHEMA_VERSION);
		return 0;
	}
	if (rec[0] == '\0') {
		snprintf(msg, msgsz, "service database %s is not paired with "
		    "its bot database yet", c->db_path);
		return 0;
	}
	return 1;
}

int
db_check(const struct award_config *c, FILE *f)
{
	struct stat	 st;
	sqlite3		*db;
	const char	*bot = config_bot_db(c);
	char		 detail[2 * CONFIG_PATH_MAX + 256], err[CONFIG_ERR_MAX];
	char		 version[32], rec[64], recpath[CONFIG_PATH_MAX];
	char		 id[64];
	int		 failed = 0, have_db, have_bot, same;

	line(f, "ok", "configuration", c->config_path[0] != '\0' ?
	    c->config_path : "no file (defaults and the environment)");

	have_db = stat(c->db_path, &st) == 0;
	have_bot = stat(bot, &st) == 0;
	same = strcmp(c->db_path, bot) == 0;
	rec[0] = recpath[0] = version[0] = '\0';
	if (!have_db) {
		snprintf(detail, sizeof(detail), "%s: not created yet "
		    "(award-fcgi creates it at its first start)%s", c->db_path,
		    same ? "; AWARD_BOT_DB is not set, so it will hold the "
		    "bot tables too" : "");
		line(f, "warn", "service database", detail);
	} else if ((db = open_ro(c->db_path, err, sizeof(err))) == NULL) {
		snprintf(detail, sizeof(detail), "%s: %s", c->db_path, err);
		line(f, "FAIL", "service database", detail);
		failed = 1;
	} else {
		if (one_text(db, "SELECT value FROM award_meta WHERE key = "
		    "'schema_version'", version, sizeof(version)) == -1 ||
		    one_text(db, "SELECT value FROM award_meta WHERE key = "
		    "'bot_identity'", rec, sizeof(rec)) == -1 ||
		    one_text(db, "SELECT value FROM award_meta WHERE key = "
		    "'bot_db_path'", recpath, sizeof(recpath)) == -1) {
			snprintf(detail, sizeof(detail), "%s: %s", c->db_path,
			    sqlite3_errmsg(db));
			line(f, "FAIL", "service database", detail);
			failed = 1;
		} else if (version[0] != '\0' && atoi(version) >
		    DB_SCHEMA_VERSION) {
			snprintf(detail, sizeof(detail), "%s: schema version "
			    "%s is newer than this binary's %d (a downgrade: "
			    "restore the backup taken before the upgrade)",
			    c->db_path, version, DB_SCHEMA_VERSION);
			line(f, "FAIL", "service database", detail);
			failed = 1;
		} else {
			snprintf(detail, sizeof(detail), "%s: schema version "
			    "%s", c->db_path, version[0] ? version : "none yet");
			line(f, "ok", "service database", detail);
		}
		sqlite3_close(db);
	}

	id[0] = '\0';
	if (same && !have_db) {
		/* Said above: one file, not made yet. */
	} else if (!have_bot) {
		snprintf(detail, sizeof(detail), "%s: does not exist%s", bot,
		    rec[0] ? "" : " (set AWARD_BOT_DB to the bot's database)");
		line(f, "FAIL", "bot database", detail);
		failed = 1;
	} else if (check_bot(f, bot, id, sizeof(id)) == -1)
		failed = 1;

	if (rec[0] == '\0') {
		snprintf(detail, sizeof(detail), "not recorded yet: the first "
		    "start of award-fcgi pairs %s with %s", c->db_path, bot);
		line(f, "ok", "pairing", detail);
	} else if (strcmp(rec, id) != 0) {
		snprintf(detail, sizeof(detail), "bot database %s is missing "
		    "or is not the one service database %s was set up with "
		    "(%s); the binaries refuse to start", bot, c->db_path,
		    recpath);
		line(f, "FAIL", "pairing", detail);
		failed = 1;
	} else {
		snprintf(detail, sizeof(detail), "%s is the bot database %s "
		    "was set up with", bot, c->db_path);
		line(f, "ok", "pairing", detail);
	}

	/* Loading the configuration read and checked the token files. */
	line(f, c->admin_token[0] ? "ok" : "warn", "admin token",
	    c->admin_token[0] ? "set" : "not set: the admin endpoints answer "
	    "403");
	line(f, c->service_token[0] ? "ok" : "warn", "service token",
	    c->service_token[0] ? "set" : "not set: /v1/awards and the "
	    "tickets endpoint answer 403");
	fflush(f);
	return failed ? -1 : 0;
}

/* A consistent copy of the database at src into dst (SQLite's backup). */
static int
copy_db(const char *src, const char *dst, char *err, size_t errsz)
{
	sqlite3		*from, *to = NULL;
	sqlite3_backup	*b;
	int		 rc = SQLITE_ERROR;

	if ((from = open_ro(src, err, errsz)) == NULL)
		return -1;
	if (sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    (b = sqlite3_backup_init(to, "main", from, "main")) != NULL) {
		while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
		    rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
		sqlite3_backup_finish(b);
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errsz, "copying %s: %s", src, to != NULL ?
		    sqlite3_errmsg(to) : "out of memory");
	sqlite3_close(to);
	sqlite3_close(from);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_scratch_pair(const struct award_config *c, const char *dir,
    struct award_config *scratch, char *err, size_t errsz)
{
	const char	*bot = config_bot_db(c);
	int		 same = strcmp(bot, c->db_path) == 0, n;

	*scratch = *c;
	n = snprintf(scratch->db_path, sizeof(scratch->db_path),
	    "%s/award.db", dir);
	if (n < 0 || (size_t)n >= sizeof(scratch->db_path) ||
	    (!same && snprintf(scratch->bot_db_path,
	    sizeof(scratch->bot_db_path), "%s/bot.db", dir) >=
	    (int)sizeof(scratch->bot_db_path))) {
		snprintf(err, errsz, "%s: path too long", dir);
		return -1;
	}
	if ((exists("service database", c->db_path, err, errsz) == 1 &&
	    copy_db(c->db_path, scratch->db_path, err, errsz) == -1) ||
	    (!same && exists("bot database", bot, err, errsz) == 1 &&
	    copy_db(bot, scratch->bot_db_path, err, errsz) == -1))
		return -1;
	return 0;
}

void
db_scratch_remove(const char *dir)
{
	static const char *const names[] = {
		"award.db", "award.db-wal", "award.db-shm",
		"bot.db", "bot.db-wal", "bot.db-shm",
	};
	char path[CONFIG_PATH_MAX + 16];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}
