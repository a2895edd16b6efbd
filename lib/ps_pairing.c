/* ps_pairing.c - see ps_pairing.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json.h>

#include "ps_log.h"
#include "ps_pairing.h"
#include "ps_util.h"

ps_code
ps_phone_normalize(const char *in, char *out, ps_err *err)
{
	size_t i, n = 0;

	if (in == NULL || *in == '\0')
		return ps_err_set(err, PS_E_INVALID,
		    "phone is required (7 to 15 digits)");
	if (strlen(in) > 32)
		return ps_err_set(err, PS_E_INVALID,
		    "phone is too long (7 to 15 digits)");
	for (i = 0; in[i] != '\0'; i++) {
		char c = in[i];

		if (c >= '0' && c <= '9') {
			if (n == PS_PHONE_MAX)
				return ps_err_set(err, PS_E_INVALID,
				    "phone has more than 15 digits");
			out[n++] = c;
		} else if (c == '+' && n == 0 && i == strspn(in, " "))
			continue;
		else if (c == ' ' || c == '-' || c == '.' || c == '(' ||
		    c == ')')
			continue;
		else
			return ps_err_set(err, PS_E_INVALID,
			    "phone may contain only digits (7 to 15), a "
			    "leading + and separators");
	}
	out[n] = '\0';
	if (n < 7)
		return ps_err_set(err, PS_E_INVALID,
		    "phone has fewer than 7 digits");
	if (out[0] == '0')
		return ps_err_set(err, PS_E_INVALID,
		    "phone must be in international form, starting with the "
		    "country code (not 0)");
	return PS_OK;
}

void
ps_pairing_job_id(const char *user, char *buf, size_t sz)
{
	snprintf(buf, sz, "pair:%s", user);
}

ps_code
ps_pairing_submit(ps_queue *q, const char *user, const char *phone,
    ps_submit_result *res, ps_err *err)
{
	char digits[PS_PHONE_MAX + 1], id[PS_JOB_ID_MAX + 1], data[64];
	ps_code rc;

	memset(res, 0, sizeof(*res));
	if (!ps_user_id_valid(user))
		return ps_err_set(err, PS_E_INVALID, "invalid user id");
	if ((rc = ps_phone_normalize(phone, digits, err)) != PS_OK)
		return rc;
	ps_pairing_job_id(user, id, sizeof(id));
	snprintf(data, sizeof(data), "{\"phone\":\"%s\"}", digits);
	return ps_queue_submit(q, id, user, data, res, err);
}

struct tick_ctx {
	ps_queue *q;
	const ps_job *job;
	const char *worker_id;
	int64_t every_ms;
	int64_t last_ms;
	int lost;
};

/* Renew the lease at a third of its length while the provider runs; a
 * lost lease (timed out, recovered by another worker) aborts the call. */
static int
tick(void *arg)
{
	struct tick_ctx *t = arg;
	int64_t now = ps_mono_ms();
	ps_err err = {0};
	ps_code rc;

	if (now - t->last_ms < t->every_ms)
		return 0;
	t->last_ms = now;
	rc = ps_queue_renew(t->q, t->job, t->worker_id, &err);
	if (rc == PS_E_NOT_FOUND) {
		t->lost = 1;
		return 1;
	}
	if (rc != PS_OK)
		ps_warn("PairingQueue", "Job %s: lease renewal failed: %s",
		    t->job->id, err.msg);
	return 0;
}

static int
job_phone(const ps_job *job, char *phone, size_t sz)
{
	json_object *obj, *v;
	int ok = 0;

	if ((obj = json_tokener_parse(job->data)) == NULL)
		return 0;
	if (json_object_object_get_ex(obj, "phone", &v) &&
	    json_object_is_type(v, json_type_string)) {
		snprintf(phone, sz, "%s", json_object_get_string(v));
		ok = 1;
	}
	json_object_put(obj);
	return ok;
}

ps_code
ps_pairing_process(ps_queue *q, ps_provider *p, const ps_job *job,
    const char *worker_id, int64_t lease_ms, ps_pairing_outcome *outcome,
    ps_next *next, ps_err *err)
{
	struct tick_ctx t;
	char code[PS_CODE_MAX + 1], phone[32];
	ps_err perr = {0};
	int final = 0, released = 0;
	ps_code rc, prc;

	*outcome = PS_PAIR_LOST;
	if (next != NULL)
		next->got = 0;
	ps_info("PairingQueue", "Job %s started for user %s", job->id,
	    job->user);
	memset(&t, 0, sizeof(t));
	t.q = q;
	t.job = job;
	t.worker_id = worker_id;
	t.every_ms = lease_ms / 3 > 0 ? lease_ms / 3 : 1;
	t.last_ms = ps_mono_ms();

	if (!job_phone(job, phone, sizeof(phone)))
		prc = ps_err_set(&perr, PS_E_INVALID,
		    "job data has no phone number");
	else
		prc = ps_provider_get_code(p, job->user, phone, tick, &t,
		    code, &perr);
	if (t.lost) {
		ps_warn("PairingQueue", "Job %s for user %s: lease lost "
		    "while running; result dropped", job->id, job->user);
		return PS_OK;
	}
	if (prc == PS_OK) {
		rc = ps_queue_complete(q, job, code, &released, next, err);
		if (rc == PS_E_NOT_FOUND) {
			ps_warn("PairingQueue", "Job %s for user %s finished "
			    "after it was taken away; result dropped",
			    job->id, job->user);
			return PS_OK;
		}
		if (rc != PS_OK)
			return rc;
		*outcome = PS_PAIR_COMPLETED;
		ps_info("PairingQueue", "Job %s completed for user %s",
		    job->id, job->user);
	} else {
		/* Bad job data will not get better; provider trouble may. */
		rc = ps_queue_fail(q, job, perr.msg, prc != PS_E_INVALID,
		    &final, &released, next, err);
		if (rc == PS_E_NOT_FOUND)
			return PS_OK;
		if (rc != PS_OK)
			return rc;
		*outcome = final ? PS_PAIR_FAILED : PS_PAIR_RETRY;
		if (final)
			ps_warn("PairingQueue", "Job %s failed for user %s: %s",
			    job->id, job->user, perr.msg);
		else
			ps_warn("PairingQueue", "Job %s failed for user %s: "
			    "%s (attempt %d of %d, will retry)", job->id,
			    job->user, perr.msg, job->attempts,
			    job->max_attempts);
	}
	if (released)
		ps_info("SessionLock", "Lock released for user %s", job->user);
	return PS_OK;
}
