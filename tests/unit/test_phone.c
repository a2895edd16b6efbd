/* test_phone.c - phone number validation for pairing requests. */
#include "config.h"

#include <string.h>

#include "ps_pairing.h"
#include "tap.h"

static void
phone_accepts_what_people_type(void)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{"4915123456789", "4915123456789"},
		{"+49 151 2345-6789", "4915123456789"},
		{"+1 (555) 123.4567", "15551234567"},
		{"1234567", "1234567"},
		{"123456789012345", "123456789012345"},
		{"  +44 20 7946 0958", "442079460958"},
	};
	char out[PS_PHONE_MAX + 1];
	ps_err err = {0};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ok(ps_phone_normalize(good[i].in, out, &err) == PS_OK &&
		    strcmp(out, good[i].out) == 0, "accepted: \"%s\" -> %s",
		    good[i].in, good[i].out);
	}
}

static void
phone_refuses_the_rest_clearly(void)
{
	static const struct {
		const char *in, *needle;
	} bad[] = {
		{"", "required"},
		{"123456", "fewer than 7"},
		{"1234567890123456", "more than 15"},
		{"0151234567", "international"},
		{"+49 151 abc", "only digits"},
		{"49151\n2345678", "only digits"},
		{"4915123456789; DROP", "only digits"},
		{"12345+67890", "only digits"},
		{"++4915123456789", "only digits"},
		{"1234567890123456789012345678901234", "too long"},
		{"\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7",
		    "only digits"},
	};
	char out[PS_PHONE_MAX + 1];
	ps_err err = {0};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ps_err_clear(&err);
		ok(ps_phone_normalize(bad[i].in, out, &err) == PS_E_INVALID &&
		    strstr(err.msg, bad[i].needle) != NULL,
		    "refused #%zu with a clear message (%s)", i, err.msg);
	}
	ok(ps_phone_normalize(NULL, out, &err) == PS_E_INVALID,
	    "NULL is refused");
}

int
main(void)
{
	phone_accepts_what_people_type();
	phone_refuses_the_rest_clearly();
	return tap_done();
}
