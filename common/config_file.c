/*
 * Reading the configuration file (the syntax both we and systemd's
 * EnvironmentFile= read alike) into its values per setting, and reading a
 * token file. Nothing here checks a value or knows the environment: that,
 * the settings' bounds and struct award_config are config.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_keys.h"

/*
 * Read a token file: the whole file less trailing newlines and spaces.
 * -1 when unreadable or when the token is longer than outsz - 1.
 */
int
config_read_token_file(const char *path, char *out, size_t outsz)
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

const char *const config_key_names[K__MAX] = {
	"AWARD_DB",
	"AWARD_BOT_DB",
	"AWARD_LISTEN",
	"AWARD_WORKERS",
	"AWARD_THREADS",
	"AWARD_MAX_BODY",
	"AWARD_BUSY_TIMEOUT_MS",
	"AWARD_SYNCHRONOUS",
	"AWARD_UNSAFE_NORMAL",
	"AWARD_RETRY_MAX_ATTEMPTS",
	"AWARD_WEBHOOK_ALLOW",
	"AWARD_FCGI_ALLOW",
	"AWARD_READ_TIMEOUT_MS",
	"AWARD_ADMIN_TOKEN",
	"AWARD_ADMIN_TOKEN_FILE",
	"AWARD_SERVICE_TOKEN",
	"AWARD_SERVICE_TOKEN_FILE",
	"AWARD_LOG_LEVEL",
	"AWARD_RETAIN_RUNS_DAYS",
	"AWARD_RETAIN_DONE_DAYS",
	"AWARD_ACCEPT_TEST_PAYMENTS",
	"AWARD_YOOKASSA_SHOP_ID",
	"AWARD_YOOKASSA_SECRET_KEY",
	"AWARD_YOOKASSA_SECRET_KEY_FILE",
	"AWARD_YOOKASSA_API",
	"AWARD_YOOKASSA_TIMEOUT_MS",
	"AWARD_RECONCILE_HOURS",
	"AWARD_VERIFY_PAYMENTS",
};

void
config_file_free(struct cfg_file *f)
{
	for (size_t i = 0; i < K__MAX; i++)
		free(f->val[i]);
	memset(f, 0, sizeof(*f));
}

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* 1 when s reads as a setting's name: AWARD_ and [A-Z0-9_], at most 64. */
static int
key_like(const char *s)
{
	size_t n = strlen(s);

	return n <= 64 && strncmp(s, "AWARD_", 6) == 0 &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

/*
 * One line of the file (without its newline) into f. The syntax is the
 * part of systemd's EnvironmentFile= both agree on: KEY=value, blank
 * lines, comments on lines of their own ('#' or ';'), spaces around the
 * key and value dropped, and a value may be wrapped whole in "..." or
 * '...'. No escapes, no line continuation, no quote or backslash inside
 * a value: what systemd would read differently is refused.
 */
static int
file_line(const char *path, int lineno, char *s, struct cfg_file *f,
    char *err, size_t errsz)
{
	char	*eq, *key, *val, *end;
	size_t	 n;
	int	 k;

	while (is_space(*s))
		s++;
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if ((eq = strchr(s, '=')) == NULL) {
		snprintf(err, errsz, "%s:%d: not KEY=value", path, lineno);
		return -1;
	}
	key = s;
	for (end = eq; end > key && is_space(end[-1]); end--)
		continue;
	*end = '\0';
	for (k = 0; k < K__MAX; k++)
		if (strcmp(key, config_key_names[k]) == 0)
			break;
	if (k == K__MAX) {
		/*
		 * A misspelt name is shown; anything else may be a token
		 * pasted on a line of its own (base64 ends in '='), and
		 * tokens never appear in a log (SPEC.md §5).
		 */
		if (key_like(key))
			snprintf(err, errsz, "%s:%d: unknown key \"%.64s\"",
			    path, lineno, key);
		else
			snprintf(err, errsz, "%s:%d: unknown key (not shown: "
			    "not an AWARD_ name; a secret pasted here?)", path,
			    lineno);
		return -1;
	}
	val = eq + 1;
	while (is_space(*val))
		val++;
	n = strlen(val);
	while (n > 0 && is_space(val[n - 1]))
		val[--n] = '\0';
	if (n >= 2 && (val[0] == '"' || val[0] == '\'') &&
	    val[n - 1] == val[0]) {
		val[n - 1] = '\0';
		val++;
	}
	if (strpbrk(val, "\"'\\") != NULL) {
		snprintf(err, errsz, "%s:%d: %s: a quote or backslash inside "
		    "the value (write it bare or wrap it whole in quotes)",
		    path, lineno, config_key_names[k]);
		return -1;
	}
	if (f->val[k] != NULL) {
		snprintf(err, errsz, "%s:%d: %s: set again (first on line %d)",
		    path, lineno, config_key_names[k], f->line[k]);
		return -1;
	}
	if ((f->val[k] = strdup(val)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	f->line[k] = lineno;
	return 0;
}

enum { LINE_EOF, LINE_OK, LINE_LONG, LINE_NUL };

/*
 * One line of fp into buf (NUL-terminated, without its newline; *len its
 * length). fgets() cannot tell a NUL byte from the end of the line, so the
 * bytes are read one by one. Returns LINE_EOF at the end of the file,
 * LINE_OK, LINE_LONG when it does not fit in bufsz - 1 bytes, LINE_NUL
 * when it holds a NUL byte (reported as what it is, not as a long line).
 */
static int
read_line(FILE *fp, char *buf, size_t bufsz, size_t *len)
{
	int ch, nul = 0, any = 0;

	*len = 0;
	while ((ch = getc(fp)) != EOF) {
		any = 1;
		if (ch == '\n')
			break;
		if (ch == '\0')
			nul = 1;
		if (*len + 1 >= bufsz) {
			buf[*len] = '\0';
			return nul ? LINE_NUL : LINE_LONG;
		}
		buf[(*len)++] = (char)ch;
	}
	buf[*len] = '\0';
	if (!any)
		return LINE_EOF;
	return nul ? LINE_NUL : LINE_OK;
}

/*
 * Read the configuration file at path into f: a regular file, not
 * writable by every user, lines of at most CONFIG_LINE_MAX bytes.
 */
int
config_file_read(const char *path, struct cfg_file *f, char *err, size_t errsz)
{
	char		 line[CONFIG_LINE_MAX + 2];
	struct stat	 st;
	FILE		*fp;
	size_t		 n;
	int		 lineno = 0, rc = -1, got;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "--config %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "--config %s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errsz, "--config %s: writable by every user "
		    "(chmod o-w it)", path);
		goto out;
	}
	while ((got = read_line(fp, line, sizeof(line), &n)) != 0) {
		lineno++;
		if (got == LINE_NUL) {
			snprintf(err, errsz, "%s:%d: a NUL byte in the line",
			    path, lineno);
			goto out;
		}
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (got == LINE_LONG || n > CONFIG_LINE_MAX) {
			snprintf(err, errsz, "%s:%d: line longer than %d "
			    "bytes", path, lineno, CONFIG_LINE_MAX);
			goto out;
		}
		if (file_line(path, lineno, line, f, err, errsz) == -1)
			goto out;
	}
	if (ferror(fp)) {
		snprintf(err, errsz, "--config %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	fclose(fp);
	if (rc == -1)
		config_file_free(f);
	return rc;
}
