/*
 * The command line every binary starts with (config.h): the first look at
 * argv (--help, --version, --config), the start-up path the three mains
 * share, their start-up error lines and the integer flags. Not the
 * settings themselves or the shared --db/--bot-db flags (config.c).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#ifndef AWARD_VERSION
#define AWARD_VERSION "unknown"
#endif

int
config_early(int argc, char *argv[], const char *const *value_flags,
    const char **file, int *explicit)
{
	const char	*val;
	int		 r;

	*file = NULL;
	*explicit = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return CONFIG_EARLY_HELP;
		if (strcmp(argv[i], "--version") == 0)
			return CONFIG_EARLY_VERSION;
		if ((r = config_flag_value("--config", argc, argv, &i,
		    &val)) != 0) {
			if (r == -1 || *val == '\0')
				return CONFIG_EARLY_BAD;
			*file = val;
			*explicit = 1;
			continue;
		}
		for (const char *const *v = value_flags; *v != NULL; v++)
			if (strcmp(argv[i], *v) == 0) {
				i++;
				break;
			}
	}
	if (*file != NULL)
		return CONFIG_EARLY_RUN;
	/* SPEC.md §7, §10: the flag, then AWARD_CONFIG ("": no file). */
	if ((val = getenv(CONFIG_ENV)) != NULL) {
		*file = *val != '\0' ? val : NULL;
		*explicit = 1;
	} else
		*file = config_default_file();
	return CONFIG_EARLY_RUN;
}

void
config_startup_error(const char *name, const char *err)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "%s cannot start", name);
	log_msg(LOG_ERROR, msg, LF_STR("error", err), LF_END);
}

void
config_unknown_arg(const char *arg, const char *usage)
{
	log_msg(LOG_ERROR, "unknown argument", LF_STR("argument", arg),
	    LF_STR("usage", usage), LF_END);
}

int
config_start(const char *name, int argc, char *argv[],
    const char *const *value_flags, void (*help)(void),
    struct award_config *cfg, const char **file, int *explicit)
{
	char err[CONFIG_ERR_MAX];

	switch (config_early(argc, argv, value_flags, file, explicit)) {
	case CONFIG_EARLY_HELP:
		help();
		return 0;
	case CONFIG_EARLY_VERSION:
		printf("%s %s\n", name, AWARD_VERSION);
		return 0;
	case CONFIG_EARLY_BAD:
		config_startup_error(name, "--config: needs a path");
		return 1;
	default:
		break;
	}
	umask(027);
	if (cfg != NULL && config_load_file(cfg, *file, err, sizeof(err)) ==
	    -1) {
		config_startup_error(name, err);
		return 1;
	}
	return -1;
}

int
config_flag_int(const char *name, int argc, char *argv[], int *i,
    long long max, long long *out, char *err, size_t errsz)
{
	const char	*val;
	int		 r;

	if ((r = config_flag_value(name, argc, argv, i, &val)) == 0)
		return 0;
	if (r == -1 || config_parse_int(val, 1, max, out) == -1) {
		snprintf(err, errsz, "%s: needs an integer from 1 to %lld",
		    name, max);
		return -1;
	}
	return 1;
}
