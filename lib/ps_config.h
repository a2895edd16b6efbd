/*
 * ps_config.h - every setting, from the environment and an optional .env.
 *
 * Precedence: process environment, then the file named by
 * PAIRSTORE_ENV_FILE, then the built-in default.  An empty value counts
 * as unset (as `process.env.X || default` did in the Node.js stack).
 * Values are validated at load time; a ps_config that loaded is usable.
 */
#ifndef PS_CONFIG_H
#define PS_CONFIG_H

#include <stdio.h>

#include "ps_error.h"

typedef enum ps_setting {
#define X(id, name, type, def, min, max, flags, help) PS_CFG_##id,
#include "ps_settings.def"
#undef X
	PS_CFG__COUNT
} ps_setting;

typedef enum ps_config_source {
	PS_SRC_DEFAULT = 0,
	PS_SRC_ENV,
	PS_SRC_FILE
} ps_config_source;

typedef struct ps_config ps_config;

/* Load from the process environment (and PAIRSTORE_ENV_FILE). */
ps_code ps_config_load(ps_config **cfg, ps_err *err);
/*
 * Load from an explicit NULL-terminated "KEY=VALUE" array instead of the
 * process environment (tests, tools).  env_file, when not NULL, overrides
 * PAIRSTORE_ENV_FILE.
 */
ps_code ps_config_load_from(ps_config **cfg, char *const *envp,
    const char *env_file, ps_err *err);
void ps_config_free(ps_config *cfg);

/* The value, or NULL when unset and without default. */
const char *ps_config_str(const ps_config *cfg, ps_setting s);
long long ps_config_int(const ps_config *cfg, ps_setting s);
int ps_config_bool(const ps_config *cfg, ps_setting s);
int ps_config_is_set(const ps_config *cfg, ps_setting s);
ps_config_source ps_config_source_of(const ps_config *cfg, ps_setting s);
const char *ps_config_name(ps_setting s);
const char *ps_config_help(ps_setting s);
int ps_config_is_secret(ps_setting s);

/* Find a setting by name; -1 when unknown. */
int ps_config_lookup(const char *name);

/*
 * The value as it may be shown: secrets become "********", a password
 * inside a URL becomes "****".  Writes "" for unset values.
 */
void ps_config_masked(const ps_config *cfg, ps_setting s, char *buf,
    size_t bufsz);
/* Mask the password part of a URL (user:PASSWORD@host). */
void ps_config_mask_url(const char *url, char *buf, size_t bufsz);

/* Print every setting (masked) with its source, one per line. */
void ps_config_print(const ps_config *cfg, FILE *out);
/* Register every set secret with the logger so it is never logged. */
void ps_config_register_secrets(const ps_config *cfg);

/*
 * The .env parser on its own.  Calls fn(key, value, line, arg) for each
 * assignment; a non-zero return stops parsing.  Errors name file:line.
 */
typedef int (*ps_dotenv_fn)(const char *key, const char *value, int line,
    void *arg);
ps_code ps_dotenv_parse_file(const char *path, ps_dotenv_fn fn, void *arg,
    ps_err *err);
ps_code ps_dotenv_parse_buf(const char *name, const char *buf, size_t len,
    ps_dotenv_fn fn, void *arg, ps_err *err);

/* Limits of the .env parser. */
#define PS_DOTENV_MAX_FILE (1024 * 1024)
#define PS_DOTENV_MAX_VALUE (64 * 1024)
#define PS_DOTENV_MAX_KEY 128
#define PS_DOTENV_MAX_ENTRIES 1000

#endif /* PS_CONFIG_H */
