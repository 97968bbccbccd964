/*
 * Within the config module only (config.c, config_file.c): the names of
 * the settings and the configuration file as read, before any value is
 * checked. Not for callers of the module: they include config.h.
 */
#ifndef AWARD_CONFIG_KEYS_H
#define AWARD_CONFIG_KEYS_H

#include <stddef.h>

/* The settings a configuration file or the environment may hold. */
enum cfg_key {
	K_DB,
	K_BOT_DB,
	K_LISTEN,
	K_WORKERS,
	K_THREADS,
	K_MAX_BODY,
	K_BUSY_TIMEOUT_MS,
	K_SYNCHRONOUS,
	K_UNSAFE_NORMAL,
	K_RETRY_MAX_ATTEMPTS,
	K_WEBHOOK_ALLOW,
	K_FCGI_ALLOW,
	K_READ_TIMEOUT_MS,
	K_ADMIN_TOKEN,
	K_ADMIN_TOKEN_FILE,
	K_SERVICE_TOKEN,
	K_SERVICE_TOKEN_FILE,
	K_LOG_LEVEL,
	K_RETAIN_RUNS_DAYS,
	K_RETAIN_DONE_DAYS,
	K_ACCEPT_TEST_PAYMENTS,
	K_YK_SHOP_ID,
	K_YK_SECRET_KEY,
	K_YK_SECRET_KEY_FILE,
	K_YK_API,
	K_YK_TIMEOUT_MS,
	K_RECONCILE_HOURS,
	K_VERIFY_PAYMENTS,
	K__MAX
};

/* The variable name of each setting, in the file and the environment. */
extern const char *const config_key_names[K__MAX];

/* The values of the configuration file, copied out of its lines. */
struct cfg_file {
	char	*val[K__MAX];
	int	 line[K__MAX];
};

/*
 * Read the configuration file at path into f (zeroed by the caller): a
 * regular file, not writable by every user, lines of at most
 * CONFIG_LINE_MAX bytes, each KEY=value of a known key set once. 0, or -1
 * with err set and f freed. On success the caller frees f with
 * config_file_free().
 */
int	config_file_read(const char *path, struct cfg_file *f, char *err,
	    size_t errsz);

/* Free the values of f and zero it. */
void	config_file_free(struct cfg_file *f);

/*
 * Read a token file into out: the whole file less trailing newlines and
 * spaces. 0, or -1 when unreadable or when the token is longer than
 * outsz - 1 (out then undefined). The token is never printed.
 */
int	config_read_token_file(const char *path, char *out, size_t outsz);

#endif
