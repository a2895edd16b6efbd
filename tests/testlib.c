/* testlib.c - see testlib.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "testlib.h"

static const char *
env_or_bail(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		tap_bail("%s is not set: run this test through "
		    "tests/with-redis.sh (make check does)", name);
	return v;
}

ps_config *
tst_config(const char *const *extra)
{
	static char url[512];
	char *envp[64];
	ps_config *cfg;
	ps_err err;
	int n = 0;

	/* Extras first: the first match wins, so they can override. */
	for (; extra != NULL && *extra != NULL && n < 62; extra++)
		envp[n++] = (char *)*extra;
	snprintf(url, sizeof(url), "REDIS_URL=unix://%s",
	    env_or_bail("PS_TEST_REDIS_SOCK"));
	envp[n++] = url;
	envp[n] = NULL;
	if (ps_config_load_from(&cfg, envp, "", &err) != PS_OK)
		tap_bail("config: %s", err.msg);
	return cfg;
}

ps_redis *
tst_redis(const ps_config *cfg)
{
	ps_redis *r;
	ps_err err;

	if (ps_redis_new(&r, cfg, &err) != PS_OK ||
	    ps_redis_connect(r, &err) != PS_OK)
		tap_bail("redis: %s", err.msg);
	return r;
}

void
tst_redis_flushall(ps_redis *r)
{
	redisReply *rep;
	ps_err err;

	if (ps_redis_cmd(r, &rep, &err, "FLUSHALL") != PS_OK)
		tap_bail("FLUSHALL: %s", err.msg);
	freeReplyObject(rep);
}

pid_t
tst_redis_pid(void)
{
	FILE *f = fopen(env_or_bail("PS_TEST_REDIS_PIDFILE"), "r");
	long pid = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return (pid_t)pid;
}

void
tst_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void
tst_redis_stop(void)
{
	pid_t pid = tst_redis_pid();
	int i;

	if (pid <= 0)
		tap_bail("no redis pid to stop");
	kill(pid, SIGTERM);
	for (i = 0; i < 200 && kill(pid, 0) == 0; i++) {
		/* Reap it if it is our child (after tst_redis_start). */
		waitpid(pid, NULL, WNOHANG);
		tst_sleep_ms(25);
	}
	if (kill(pid, 0) == 0)
		tap_bail("redis %ld did not stop", (long)pid);
	unlink(env_or_bail("PS_TEST_REDIS_SOCK"));
}

/* The server answers PING (not LOADING: an AOF is read back first). */
static int
redis_ready(const char *sock)
{
	struct timeval tv = {1, 0};
	redisContext *c = redisConnectUnixWithTimeout(sock, tv);
	redisReply *rep;
	int ready = 0;

	if (c == NULL)
		return 0;
	if (c->err == 0 && (rep = redisCommand(c, "PING")) != NULL) {
		ready = rep->type == REDIS_REPLY_STATUS;
		freeReplyObject(rep);
	}
	redisFree(c);
	return ready;
}

void
tst_redis_start(void)
{
	const char *server = getenv("REDIS_SERVER");
	const char *conf = env_or_bail("PS_TEST_REDIS_CONF");
	const char *sock = env_or_bail("PS_TEST_REDIS_SOCK");
	struct stat st;
	pid_t pid;
	int i;

	if (server == NULL || *server == '\0')
		server = "redis-server";
	if ((pid = fork()) < 0)
		tap_bail("fork: %s", strerror(errno));
	if (pid == 0) {
		execlp(server, server, conf, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 400; i++) {
		if (stat(sock, &st) == 0 && tst_redis_pid() == pid &&
		    redis_ready(sock))
			return;
		tst_sleep_ms(25);
	}
	tap_bail("redis-server did not come back");
}

const char *
tst_tmpdir(void)
{
	return env_or_bail("PS_TEST_TMPDIR");
}

const char *
tst_datadir(void)
{
	static char dir[4096];
	const char *srcdir = getenv("srcdir");

	snprintf(dir, sizeof(dir), "%s/tests/data",
	    srcdir != NULL && *srcdir != '\0' ? srcdir : ".");
	return dir;
}

int
tst_count_entries(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	if (dp == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 &&
		    strcmp(d->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}
