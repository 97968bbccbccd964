/*
 * Configuration (SPEC.md §7, §10): the configuration file (--config, by
 * default /etc/award/award.conf when it exists), the environment over it,
 * then the flags both binaries share (--db, --bot-db) over both, validated
 * once at start. A bad value is a one-line error naming the setting (and
 * FILE:LINE when it came from the file); there is no silent default.
 */
#ifndef AWARD_CONFIG_H
#define AWARD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cidr.h"
#include "log.h"

#define CONFIG_PATH_MAX		4096
/* sizeof(struct sockaddr_un.sun_path) on Linux: a unix socket's path. */
#define CONFIG_UNIX_PATH_MAX	108
#define CONFIG_TOKEN_MAX	512
#define CONFIG_ERR_MAX		512
#define CONFIG_TOKEN_MIN	32	/* shorter tokens are refused */
#define CONFIG_LINE_MAX		8192	/* bytes per configuration line */
#define CONFIG_FILE_DEFAULT	"/etc/award/award.conf"
/* The environment's --config: a path, or "" for no file (SPEC.md §10). */
#define CONFIG_ENV		"AWARD_CONFIG"

/*
 * Defaults chosen by measurement (docs/figures.md, make bench): one writer
 * per database is how SQLite wants to be written, so one worker process;
 * enough request threads that a commit group can fill while the previous
 * commit waits for fsync.
 */
#define CONFIG_WORKERS_DEFAULT	1
#define CONFIG_THREADS_DEFAULT	32
#define CONFIG_FCGI_ALLOW_DEFAULT "127.0.0.0/8, ::1/128"
#define CONFIG_READ_TIMEOUT_DEFAULT 10000
/* Retention of the retry run (SPEC.md §6): days, 1 to CONFIG_RETAIN_MAX. */
#define CONFIG_RETAIN_RUNS_DEFAULT 90
#define CONFIG_RETAIN_DONE_DEFAULT 180
#define CONFIG_RETAIN_MAX	36500

/* YooKassa's API (SPEC.md §7, §11). */
#define CONFIG_YK_API_DEFAULT	"https://api.yookassa.ru/v3"
#define CONFIG_YK_API_MAX	512	/* bytes of AWARD_YOOKASSA_API */
#define CONFIG_YK_SHOP_ID_MAX	32	/* digits of AWARD_YOOKASSA_SHOP_ID */
#define CONFIG_YK_TIMEOUT_DEFAULT 10000	/* ms, one API call */
#define CONFIG_YK_TIMEOUT_MAX	600000
#define CONFIG_RECONCILE_HOURS_DEFAULT 72
#define CONFIG_RECONCILE_HOURS_MAX 2160	/* 90 days */
#define CONFIG_MAX_BODY_DEFAULT	65536		/* bytes */
#define CONFIG_BUSY_TIMEOUT_DEFAULT 5000	/* ms */
#define CONFIG_RETRY_ATTEMPTS_DEFAULT 8

/* Bounds of the integer settings (SPEC.md §7): file, environment, flags. */
#define CONFIG_WORKERS_MAX	256
#define CONFIG_THREADS_MAX	1024
#define CONFIG_READ_TIMEOUT_MAX	3600000		/* ms: an hour */
#define CONFIG_MAX_BODY_MAX	(64 * 1024 * 1024)
#define CONFIG_BUSY_TIMEOUT_MAX	600000		/* ms: ten minutes */
#define CONFIG_RETRY_ATTEMPTS_MAX 1000

struct award_config {
	char		 db_path[CONFIG_PATH_MAX];
	char		 bot_db_path[CONFIG_PATH_MAX];	/* "" = same file */
	char		 listen[CONFIG_PATH_MAX];
	int		 workers;	/* worker processes */
	int		 threads;	/* request threads per worker */
	size_t		 max_body;
	int		 busy_timeout_ms;
	int		 synchronous_full;	/* 1 FULL, 0 NORMAL */
	int		 retry_max_attempts;
	struct cidr_list webhook_allow;
	struct cidr_list fcgi_allow;	/* TCP peers that may connect */
	int		 read_timeout_ms; /* reading one request from nginx */
	char		 admin_token[CONFIG_TOKEN_MAX];	/* "" = endpoint off */
	char		 service_token[CONFIG_TOKEN_MAX];
	enum log_level	 log_level;
	int64_t		 now_ms;	/* 0 = the real clock; tests only */
	char		 config_path[CONFIG_PATH_MAX]; /* "" = no file read */
	int		 listen_set;	/* AWARD_LISTEN in file or environment */
	int		 retain_runs_days; /* retry_runs, reconcile_runs */
	int		 retain_done_days; /* done failed_awards rows */
	int		 accept_test_payments; /* 1: "test": true awards too */
	/* YooKassa's API (SPEC.md §11); shop id "" = reconciliation off */
	char		 yk_shop_id[CONFIG_YK_SHOP_ID_MAX + 1];
	char		 yk_secret_key[CONFIG_TOKEN_MAX];	/* never logged */
	char		 yk_api[CONFIG_YK_API_MAX + 1];
	int		 yk_timeout_ms;
	int		 reconcile_hours;
	int		 verify_payments;	/* AWARD_VERIFY_PAYMENTS=1 */
};

/*
 * Fill *c from the defaults, then the configuration file at path (NULL:
 * none), then the environment, which wins over the file (SPEC.md §10).
 * The file holds KEY=value lines with the names of SPEC.md §7, blank
 * lines and comment lines ('#' or ';' first), at most CONFIG_LINE_MAX
 * bytes each, and is also valid as a systemd EnvironmentFile: spaces
 * around key and value are dropped, a value may be wrapped whole in '...'
 * or "...", and a quote or backslash inside a value is refused (systemd
 * would read escapes there). A key set twice, an unknown key, a file that
 * is not regular or that every user may write are errors. A token pair
 * (NAME, NAME_FILE) is one setting: the environment decides when it holds
 * either name; within one source NAME_FILE wins. A token shorter than
 * CONFIG_TOKEN_MIN characters is refused. Returns 0, or -1 with a one-line
 * message in err naming the key ("FILE:LINE: KEY: ..." for file values);
 * token values never appear in it.
 */
int	config_load_file(struct award_config *c, const char *path, char *err,
	    size_t errsz);

/*
 * For a binary that serves no HTTP (award-retry, award-reconcile), before
 * its configuration is loaded: a token file (AWARD_ADMIN_TOKEN_FILE,
 * AWARD_SERVICE_TOKEN_FILE) that does not exist is then no error, since
 * the cron lines run before deploy step 2 makes those files (SPEC.md §6,
 * "not set up yet"). Any other fault of a token setting still is.
 */
void	config_tokens_unused(void);

/* config_load_file() without a file: the defaults and the environment. */
int	config_load(struct award_config *c, char *err, size_t errsz);

enum config_early {
	CONFIG_EARLY_RUN,	/* go on: load *file (NULL: none) */
	CONFIG_EARLY_HELP,	/* --help or -h: print the usage, exit 0 */
	CONFIG_EARLY_VERSION,	/* --version: print the version, exit 0 */
	CONFIG_EARLY_BAD	/* --config without a value */
};

/*
 * The first look at the command line, before any file or database is
 * touched: --help / --version anywhere, and the configuration file, which
 * is --config PATH, else the value of AWARD_CONFIG when it is set (the
 * empty string: *file NULL, no file), else config_default_file(). From the
 * flag or the environment *explicit is 1, and config_load_file() fails
 * when the file does not exist; a later reload keeps the same choice.
 * value_flags (NULL-terminated) names the binary's flags that take their
 * value as the next argument, so that a value is never read as a flag.
 */
int	config_early(int argc, char *argv[], const char *const *value_flags,
	    const char **file, int *explicit);

/*
 * A start-up error of the binary name: one JSON line "NAME cannot start"
 * with err on stderr (SPEC.md §7, §8); the caller then exits 1.
 */
void	config_startup_error(const char *name, const char *err);

/* An unknown argument: one JSON line naming it and the usage line. */
void	config_unknown_arg(const char *arg, const char *usage);

/*
 * The start every binary shares: config_early() over argv (value_flags as
 * there). --help runs help(); --version prints "NAME VERSION"; --config
 * without a path is a start-up error (config_startup_error()). Otherwise
 * sets the umask for the files the binary creates (0640, SPEC.md §7),
 * fills *file and *explicit as config_early() does and, when cfg is not
 * NULL, loads *cfg from *file (config_load_file(); its error is a
 * start-up error). Returns -1 to go on, else the exit status: 0 after
 * --help or --version, 1 after an error.
 */
int	config_start(const char *name, int argc, char *argv[],
	    const char *const *value_flags, void (*help)(void),
	    struct award_config *cfg, const char **file, int *explicit);

/*
 * CONFIG_FILE_DEFAULT when it exists (or when whether it exists cannot be
 * told, so that reading it reports why), else NULL: no file.
 */
const char *config_default_file(void);

/*
 * Apply the shared flag at argv[*i] ("--db PATH", "--db=PATH", "--bot-db").
 * Returns 1 when consumed (leaving *i on its value, for a loop's i++), 0
 * when the flag is not a shared one, -1 with err set when its value is
 * missing or too long.
 */
int	config_flag(struct award_config *c, int argc, char *argv[], int *i,
	    char *err, size_t errsz);

/*
 * An integer flag "--name N" or "--name=N" at argv[*i], N from 1 to max:
 * 1 with *out set (*i left on its value, for a loop's i++), 0 when
 * argv[*i] is not that flag, -1 with "--name: needs an integer from 1 to
 * MAX" in err.
 */
int	config_flag_int(const char *name, int argc, char *argv[], int *i,
	    long long max, long long *out, char *err, size_t errsz);

/*
 * Read the value of "--name VALUE" or "--name=VALUE" at argv[*i] into *val.
 * Returns 1 when argv[*i] is that flag, 0 when not, -1 when VALUE is missing.
 */
int	config_flag_value(const char *name, int argc, char *argv[], int *i,
	    const char **val);

/* Parse a decimal integer in [lo, hi]; 0 or -1. */
int	config_parse_int(const char *s, long long lo, long long hi,
	    long long *out);

/*
 * Print the resolved settings of c to f as KEY=value lines, one per
 * setting of SPEC.md §7 (config_print.c); token values are never
 * printed, only whether each token is set. What `award-retry
 * --print-config` shows and deploy/award-backup reads. Returns 0, or -1
 * on a write error.
 */
int	config_print(const struct award_config *c, FILE *f);

/*
 * Whether url may be AWARD_YOOKASSA_API: https://HOST[:PORT][/PATH], or
 * http:// only when HOST is loopback (127.0.0.0/8, [::1], localhost), with
 * no user info, query or fragment, and no trailing '/'. Returns 0, or -1
 * with a static reason in *why.
 */
int	config_api_url_ok(const char *url, const char **why);

/*
 * The setting that reconciliation lacks (SPEC.md §11): the name of
 * AWARD_YOOKASSA_SHOP_ID or AWARD_YOOKASSA_SECRET_KEY, or NULL when both
 * are set.
 */
const char *config_yookassa_missing(const struct award_config *c);

/* The bot database path in effect: bot_db_path, or db_path when empty. */
const char *config_bot_db(const struct award_config *c);

#endif
