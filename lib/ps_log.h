/*
 * ps_log.h - leveled log lines on stderr (the web server's error log).
 *
 * A line looks like
 *   2026-11-30T01:39:24.123Z INFO pair[1234]: [SessionLock] Lock acquired for user alice
 * The "[Tag] message" part is the exact text DESIGN.md promises users,
 * who grep for it.  Control characters in a line are escaped, and every
 * registered secret is replaced by "[REDACTED]" before the line is written.
 */
#ifndef PS_LOG_H
#define PS_LOG_H

typedef enum ps_log_level {
	PS_LOG_DEBUG = 0,
	PS_LOG_INFO,
	PS_LOG_WARN,
	PS_LOG_ERROR,
	PS_LOG_OFF
} ps_log_level;

/* Program name for the line prefix and the minimum level written. */
void ps_log_init(const char *program, ps_log_level level);
void ps_log_set_level(ps_log_level level);
ps_log_level ps_log_get_level(void);
/* "debug", "info", "warn"/"warning", "error", "off"; 0 on success. */
int ps_log_level_parse(const char *s, ps_log_level *out);
const char *ps_log_level_name(ps_log_level level);

/*
 * Register a secret value; it is masked in every later line.  Values
 * shorter than 4 bytes are ignored (they would mask ordinary words).
 */
void ps_log_add_secret(const char *value);
void ps_log_clear_secrets(void);

/* tag may be NULL; it is written as "[tag] " before the message. */
void ps_log(ps_log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ps_debug(tag, ...) ps_log(PS_LOG_DEBUG, tag, __VA_ARGS__)
#define ps_info(tag, ...) ps_log(PS_LOG_INFO, tag, __VA_ARGS__)
#define ps_warn(tag, ...) ps_log(PS_LOG_WARN, tag, __VA_ARGS__)
#define ps_error(tag, ...) ps_log(PS_LOG_ERROR, tag, __VA_ARGS__)

#endif /* PS_LOG_H */
