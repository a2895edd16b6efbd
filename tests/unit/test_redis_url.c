/* test_redis_url.c - REDIS_URL and REDIS_HOST/PORT parsing. */
#include "config.h"

#include <string.h>

#include "ps_redis.h"
#include "tap.h"

static void
url_tcp_forms(void)
{
	ps_redis_target t;
	ps_err err = {0};

	is_int(ps_redis_parse_url("redis://localhost:6380/2", &t, &err),
	    PS_OK, "host, port and db");
	ok(!t.is_unix && strcmp(t.host, "localhost") == 0 && t.port == 6380
	    && t.db == 2, "parsed localhost:6380/2");
	is_int(ps_redis_parse_url("redis://user:p%40ss%3Aw@10.0.0.1:7000/0",
	    &t, &err), PS_OK, "user, percent-encoded password");
	is_str(t.username, "user", "user name");
	is_str(t.password, "p@ss:w", "password is percent-decoded");
	is_int(ps_redis_parse_url("redis://:pw@h", &t, &err), PS_OK,
	    "empty user with password");
	ok(t.username[0] == '\0' && strcmp(t.password, "pw") == 0 &&
	    t.port == 6379 && t.db == 0, "defaults: port 6379, db 0");
	is_int(ps_redis_parse_url("redis://[::1]:6390", &t, &err), PS_OK,
	    "IPv6 literal");
	ok(strcmp(t.host, "::1") == 0 && t.port == 6390, "parsed [::1]:6390");
	is_int(ps_redis_parse_url("redis://", &t, &err), PS_OK,
	    "empty authority means 127.0.0.1");
	is_str(t.host, "127.0.0.1", "default host");
	is_int(ps_redis_parse_url("REDIS://h/3?password=x", &t, &err), PS_OK,
	    "scheme is case-insensitive; password in query");
	ok(t.db == 3 && strcmp(t.password, "x") == 0, "db and query password");
}

static void
url_unix_forms(void)
{
	ps_redis_target t;
	ps_err err = {0};

	is_int(ps_redis_parse_url("unix:///run/redis/redis.sock", &t, &err),
	    PS_OK, "unix socket");
	ok(t.is_unix && strcmp(t.path, "/run/redis/redis.sock") == 0,
	    "socket path");
	is_int(ps_redis_parse_url("unix:///tmp/r.sock?db=4&password=a%20b",
	    &t, &err), PS_OK, "unix socket with db and password");
	ok(t.db == 4 && strcmp(t.password, "a b") == 0, "query parsed");
	is_int(ps_redis_parse_url("unix://:pw@/tmp/r.sock", &t, &err), PS_OK,
	    "unix socket with user info");
	is_str(t.password, "pw", "password before the path");
}

static void
url_refused_with_clear_errors(void)
{
	static const struct {
		const char *url, *needle, *what;
	} bad[] = {
		{"rediss://h:6379", "TLS", "TLS scheme"},
		{"http://h:6379", "redis://", "wrong scheme"},
		{"redis://h:0", "port", "port 0"},
		{"redis://h:99999", "port", "port too large"},
		{"redis://h:abc", "port", "port not a number"},
		{"redis://h/x", "database", "db not a number"},
		{"redis://h:1/2?foo=bar", "query", "unknown query parameter"},
		{"unix://relative.sock", "absolute", "relative socket path"},
		{"redis://u:%zz@h", "malformed", "bad percent escape"},
		{"redis://u:%00@h", "malformed", "percent-encoded NUL"},
		{"redis://[::1", "malformed", "unclosed IPv6 bracket"},
	};
	ps_redis_target t;
	ps_err err = {0};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ps_err_clear(&err);
		ok(ps_redis_parse_url(bad[i].url, &t, &err) == PS_E_CONFIG &&
		    strstr(err.msg, bad[i].needle) != NULL,
		    "refused: %s (%s)", bad[i].what, err.msg);
	}
}

static void
target_from_host_port_settings(void)
{
	char *envp[] = {"REDIS_HOST=db.internal", "REDIS_PORT=6390",
		"REDIS_PASSWORD=pw", "REDIS_DB=5", NULL};
	char *envp2[] = {"REDIS_URL=redis://h:1/1", "REDIS_PASSWORD=fill",
		NULL};
	ps_redis_target t;
	ps_config *cfg;
	ps_err err = {0};
	char d[256];

	if (ps_config_load_from(&cfg, envp, "", &err) != PS_OK)
		tap_bail("%s", err.msg);
	is_int(ps_redis_target_from_config(cfg, &t, &err), PS_OK,
	    "REDIS_HOST/PORT/PASSWORD/DB");
	ok(strcmp(t.host, "db.internal") == 0 && t.port == 6390 &&
	    strcmp(t.password, "pw") == 0 && t.db == 5, "all four used");
	ps_redis_target_describe(&t, d, sizeof(d));
	is_str(d, "db.internal:6390/5", "describe omits the password");
	ps_config_free(cfg);

	if (ps_config_load_from(&cfg, envp2, "", &err) != PS_OK)
		tap_bail("%s", err.msg);
	ps_redis_target_from_config(cfg, &t, &err);
	ok(strcmp(t.host, "h") == 0 && strcmp(t.password, "fill") == 0,
	    "REDIS_URL wins; REDIS_PASSWORD completes it");
	ps_config_free(cfg);
}

int
main(void)
{
	url_tcp_forms();
	url_unix_forms();
	url_refused_with_clear_errors();
	target_from_host_port_settings();
	return tap_done();
}
