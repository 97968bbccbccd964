/*
 * Environment and shared flags to a validated struct award_config. Token
 * values are never printed, not even in errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int
config_parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int
set_path(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= CONFIG_PATH_MAX)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/*
 * Read a token file: the whole file less trailing newlines and spaces.
 * -1 when unreadable or when the token is longer than outsz - 1.
 */
static int
read_token_file(const char *path, char *out, size_t outsz)
{
	char	 buf[CONFIG_TOKEN_MAX + 64];
	FILE	*f;
	size_t	 n;
	int	 extra;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	extra = fgetc(f) != EOF;
	fclose(f);
	if (extra)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n >= outsz)
		return -1;
	memcpy(out, buf, n);
	out[n] = '\0';
	return 0;
}

/*
 * A token from NAME_FILE (preferred) or NAME. Empty means "not configured";
 * a token with control characters or spaces inside is rejected.
 */
static int
load_token(const char *name, char *out, size_t outsz, char *err, size_t errsz)
{
	char		 fname[64];
	const char	*v, *src = name;

	out[0] = '\0';
	snprintf(fname, sizeof(fname), "%s_FILE", name);
	if ((v = getenv(fname)) != NULL && *v != '\0') {
		src = fname;
		if (read_token_file(v, out, outsz) == -1) {
			snprintf(err, errsz, "%s: cannot read token file "
			    "(or longer than %zu bytes): %s", fname,
			    outsz - 1, v);
			return -1;
		}
		if (out[0] == '\0') {
			snprintf(err, errsz, "%s: token file is empty: %s",
			    fname, v);
			return -1;
		}
	} else if ((v = getenv(name)) != NULL && *v != '\0') {
		if (strlen(v) >= outsz) {
			snprintf(err, errsz, "%s: longer than %zu bytes",
			    name, outsz - 1);
			return -1;
		}
		strcpy(out, v);
	}
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(err, errsz, "%s: token has spaces or control "
			    "characters", src);
			out[0] = '\0';
			return -1;
		}
	return 0;
}

static int
env_int(const char *name, long long lo, long long hi, long long *out,
    char *err, size_t errsz)
{
	const char *v = getenv(name);

	if (v == NULL)
		return 0;
	if (config_parse_int(v, lo, hi, out) == -1) {
		snprintf(err, errsz, "%s: not an integer from %lld to %lld: "
		    "\"%.64s\"", name, lo, hi, v);
		return -1;
	}
	return 0;
}

int
config_load(struct award_config *c, char *err, size_t errsz)
{
	const char	*v, *why;
	long long	 n;

	memset(c, 0, sizeof(*c));
	strcpy(c->db_path, "var/award.db");
	strcpy(c->listen, "unix:var/award-fcgi.sock");
	c->workers = CONFIG_WORKERS_DEFAULT;
	c->threads = CONFIG_THREADS_DEFAULT;
	c->read_timeout_ms = CONFIG_READ_TIMEOUT_DEFAULT;
	c->max_body = 65536;
	c->busy_timeout_ms = 5000;
	c->synchronous_full = 1;
	c->retry_max_attempts = 8;
	c->log_level = LOG_INFO;

	if ((v = getenv("AWARD_DB")) != NULL && set_path(c->db_path, v)) {
		snprintf(err, errsz, "AWARD_DB: empty or too long");
		return -1;
	}
	if ((v = getenv("AWARD_BOT_DB")) != NULL && *v != '\0' &&
	    set_path(c->bot_db_path, v)) {
		snprintf(err, errsz, "AWARD_BOT_DB: too long");
		return -1;
	}
	if ((v = getenv("AWARD_LISTEN")) != NULL && set_path(c->listen, v)) {
		snprintf(err, errsz, "AWARD_LISTEN: empty or too long");
		return -1;
	}
	n = c->workers;
	if (env_int("AWARD_WORKERS", 1, 256, &n, err, errsz))
		return -1;
	c->workers = (int)n;
	n = c->threads;
	if (env_int("AWARD_THREADS", 1, 1024, &n, err, errsz))
		return -1;
	c->threads = (int)n;
	n = c->read_timeout_ms;
	if (env_int("AWARD_READ_TIMEOUT_MS", 1, 3600000, &n, err, errsz))
		return -1;
	c->read_timeout_ms = (int)n;
	n = (long long)c->max_body;
	if (env_int("AWARD_MAX_BODY", 1, 64 * 1024 * 1024, &n, err, errsz))
		return -1;
	c->max_body = (size_t)n;
	n = c->busy_timeout_ms;
	if (env_int("AWARD_BUSY_TIMEOUT_MS", 0, 600000, &n, err, errsz))
		return -1;
	c->busy_timeout_ms = (int)n;
	n = c->retry_max_attempts;
	if (env_int("AWARD_RETRY_MAX_ATTEMPTS", 1, 1000, &n, err, errsz))
		return -1;
	c->retry_max_attempts = (int)n;

	if ((v = getenv("AWARD_SYNCHRONOUS")) != NULL) {
		if (strcmp(v, "FULL") == 0)
			c->synchronous_full = 1;
		else if (strcmp(v, "NORMAL") == 0)
			c->synchronous_full = 0;
		else {
			snprintf(err, errsz, "AWARD_SYNCHRONOUS: must be FULL "
			    "or NORMAL: \"%.64s\"", v);
			return -1;
		}
	}
	if ((v = getenv("AWARD_LOG_LEVEL")) != NULL &&
	    log_level_parse(v, &c->log_level) == -1) {
		snprintf(err, errsz, "AWARD_LOG_LEVEL: must be debug, info, "
		    "warn or error: \"%.64s\"", v);
		return -1;
	}
	if ((v = getenv("AWARD_WEBHOOK_ALLOW")) == NULL)
		v = CIDR_YOOKASSA;
	if (cidr_parse_list(v, &c->webhook_allow, &why) == -1) {
		snprintf(err, errsz, "AWARD_WEBHOOK_ALLOW: %s: \"%.200s\"",
		    why, v);
		return -1;
	}
	if ((v = getenv("AWARD_FCGI_ALLOW")) == NULL)
		v = CONFIG_FCGI_ALLOW_DEFAULT;
	if (cidr_parse_list(v, &c->fcgi_allow, &why) == -1) {
		snprintf(err, errsz, "AWARD_FCGI_ALLOW: %s: \"%.200s\"",
		    why, v);
		return -1;
	}
	if (load_token("AWARD_ADMIN_TOKEN", c->admin_token,
	    sizeof(c->admin_token), err, errsz) == -1)
		return -1;
	if (load_token("AWARD_SERVICE_TOKEN", c->service_token,
	    sizeof(c->service_token), err, errsz) == -1)
		return -1;
	return 0;
}

int
config_flag_value(const char *name, int argc, char *argv[], int *i,
    const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

int
config_flag(struct award_config *c, int argc, char *argv[], int *i,
    char *err, size_t errsz)
{
	const char	*val;
	int		 r;

	if ((r = config_flag_value("--db", argc, argv, i, &val)) != 0) {
		if (r == -1 || set_path(c->db_path, val)) {
			snprintf(err, errsz, "--db: needs a path");
			return -1;
		}
		return 1;
	}
	if ((r = config_flag_value("--bot-db", argc, argv, i, &val)) != 0) {
		if (r == -1 || set_path(c->bot_db_path, val)) {
			snprintf(err, errsz, "--bot-db: needs a path");
			return -1;
		}
		return 1;
	}
	return 0;
}

const char *
config_bot_db(const struct award_config *c)
{
	return c->bot_db_path[0] != '\0' ? c->bot_db_path : c->db_path;
}
