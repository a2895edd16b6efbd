/*
 * test_cloudinary_sign.c - our Cloudinary signatures equal the official
 * SDK's: the PROTOCOLS.md table, the 200 SDK-computed vectors in
 * tests/data/cloudinary-sign-vectors.json (read relative to $srcdir,
 * default "."), and the upload rules (unsigned fields, empty values,
 * limits).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ps_cloudinary_sign.h"
#include "ps_error.h"
#include "tap.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static ps_cld_params *
params_new(void)
{
	ps_cld_params *p = NULL;

	if (ps_cld_params_new(&p, NULL) != PS_OK)
		tap_bail("ps_cld_params_new failed");
	return p;
}

static void
add(ps_cld_params *p, const char *key, const char *value)
{
	ps_err err;

	if (ps_cld_params_add(p, key, value, &err) != PS_OK)
		tap_bail("adding %s: %s", key, err.msg);
}

/* The string to sign of p, or "(error)"; the caller frees it. */
static char *
sts_of(const ps_cld_params *p, int upload)
{
	char *s = NULL;
	ps_code rc;

	rc = upload ? ps_cld_upload_string_to_sign(p, &s, NULL) :
	    ps_cld_string_to_sign(p, &s, NULL);
	if (rc != PS_OK || s == NULL)
		return strdup("(error)");
	return s;
}

static void
sign_is(const ps_cld_params *p, int upload, const char *secret,
    ps_cld_algo algo, const char *want, const char *name)
{
	char hex[PS_CLD_HEX_SIZE];
	ps_code rc;

	rc = upload ? ps_cld_sign_upload(p, secret, algo, hex, NULL) :
	    ps_cld_sign(p, secret, algo, hex, NULL);
	if (rc != PS_OK)
		hex[0] = '\0';
	is_str(hex, want, "%s", name);
}

/* ---- PROTOCOLS.md table ---------------------------------------------- */

static void
test_protocols_table(void)
{
	ps_cld_params *p;
	char *s;

	/* Row 1: Cloudinary's documented example, a '|' in eager. */
	p = params_new();
	add(p, "timestamp", "1315060510");
	add(p, "public_id", "sample_image");
	add(p, "eager", "w_400,h_300,c_pad|w_260,h_200,c_crop");
	s = sts_of(p, 0);
	is_str(s, "eager=w_400,h_300,c_pad|w_260,h_200,c_crop&"
	    "public_id=sample_image&timestamp=1315060510",
	    "table_row1_string_to_sign_sorted_by_key");
	free(s);
	sign_is(p, 0, "abcd", PS_CLD_SHA1,
	    "bfd09f95f331f558cbd1320e67aa8d488770583e", "table_row1_sha1");
	ps_cld_params_free(p);

	/* Row 2. */
	p = params_new();
	add(p, "public_id", "sample_image");
	add(p, "timestamp", "1315060510");
	sign_is(p, 0, "abcd", PS_CLD_SHA1,
	    "b4ad47fb4e25c7bf5f92a20089f9db59bc302313", "table_row2_sha1");
	ps_cld_params_free(p);

	/* Row 3: the signing function alone signs cloud_name too. */
	p = params_new();
	add(p, "cloud_name", "dn6ot3ged");
	add(p, "username", "user@cloudinary.com");
	add(p, "timestamp", "1568810420");
	s = sts_of(p, 0);
	is_str(s, "cloud_name=dn6ot3ged&timestamp=1568810420&"
	    "username=user@cloudinary.com",
	    "table_row3_string_to_sign_keeps_cloud_name");
	free(s);
	sign_is(p, 0, "hdcixPpR2iKERPwqvH6sHdK9cyac", PS_CLD_SHA1,
	    "14c00ba6d0dfdedbc86b316847d95b9e6cd46d94", "table_row3_sha1");
	sign_is(p, 0, "hdcixPpR2iKERPwqvH6sHdK9cyac", PS_CLD_SHA256,
	    "45ddaa4fa01f0c2826f32f669d2e4514faf275fe6df053f1a150e7beae58a3bd",
	    "table_row3_sha256");
	ps_cld_params_free(p);

	/* Row 4: signature version 2 turns '&' in a value into %26. */
	p = params_new();
	add(p, "cloud_name", "dn6ot3ged");
	add(p, "notification_url",
	    "https://fake.com/callback?a=1&tags=hello,world");
	add(p, "timestamp", "1568810420");
	s = sts_of(p, 0);
	is_str(s, "cloud_name=dn6ot3ged&notification_url=https://fake.com/"
	    "callback?a=1%26tags=hello,world&timestamp=1568810420",
	    "table_row4_ampersand_in_value_becomes_percent26");
	free(s);
	sign_is(p, 0, "hdcixPpR2iKERPwqvH6sHdK9cyac", PS_CLD_SHA1,
	    "4fdf465dd89451cc1ed8ec5b3e314e8a51695704", "table_row4_sha1");
	ps_cld_params_free(p);
}

/* ---- SDK vectors ----------------------------------------------------- */

/* Fill p from a vector's "params" object; 0 on an unexpected shape. */
static int
params_from_json(ps_cld_params *p, json_object *obj)
{
	const char *vals[64];
	json_object *e;
	size_t i, n;
	ps_err err;

	if (!json_object_is_type(obj, json_type_object))
		return 0;
	json_object_object_foreach(obj, key, val) {
		if (json_object_is_type(val, json_type_string)) {
			/* A C string cannot carry an embedded NUL. */
			if (strlen(json_object_get_string(val)) !=
			    (size_t)json_object_get_string_len(val))
				return 0;
			if (ps_cld_params_add(p, key,
			    json_object_get_string(val), &err) != PS_OK) {
				tap_diag("  %s: %s", key, err.msg);
				return 0;
			}
			continue;
		}
		if (!json_object_is_type(val, json_type_array))
			return 0;
		n = json_object_array_length(val);
		if (n > NITEMS(vals))
			return 0;
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(val, i);
			if (!json_object_is_type(e, json_type_string))
				return 0;
			vals[i] = json_object_get_string(e);
		}
		if (ps_cld_params_add_list(p, key, vals, n, &err) != PS_OK) {
			tap_diag("  %s: %s", key, err.msg);
			return 0;
		}
	}
	return 1;
}

static const char *
field(json_object *obj, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void
test_sdk_vectors(void)
{
	char path[4096], name[64], *s;
	const char *srcdir, *secret, *want_sts, *want1, *want256;
	json_object *root, *vectors, *vec, *params;
	ps_cld_params *p;
	size_t i, n;

	srcdir = getenv("srcdir");
	if (srcdir == NULL || *srcdir == '\0')
		srcdir = ".";
	snprintf(path, sizeof(path),
	    "%s/tests/data/cloudinary-sign-vectors.json", srcdir);
	root = json_object_from_file(path);
	if (root == NULL ||
	    !json_object_object_get_ex(root, "vectors", &vectors) ||
	    !json_object_is_type(vectors, json_type_array)) {
		ok(0, "sdk_vectors_file_readable");
		tap_diag("  %s: %s", path, json_util_get_last_err());
		json_object_put(root);
		return;
	}
	n = json_object_array_length(vectors);
	is_int(n, 200, "sdk_vectors_file_holds_200_vectors");

	for (i = 0; i < n; i++) {
		vec = json_object_array_get_idx(vectors, i);
		secret = field(vec, "secret");
		want_sts = field(vec, "string_to_sign");
		want1 = field(vec, "sha1");
		want256 = field(vec, "sha256");
		p = params_new();
		if (secret == NULL || want_sts == NULL || want1 == NULL ||
		    want256 == NULL ||
		    !json_object_object_get_ex(vec, "params", &params) ||
		    !params_from_json(p, params)) {
			ok(0, "sdk_vector_%03zu_well_formed", i);
			ps_cld_params_free(p);
			continue;
		}
		s = sts_of(p, 0);
		is_str(s, want_sts, "sdk_vector_%03zu_string_to_sign", i);
		free(s);
		snprintf(name, sizeof(name), "sdk_vector_%03zu_sha1", i);
		sign_is(p, 0, secret, PS_CLD_SHA1, want1, name);
		snprintf(name, sizeof(name), "sdk_vector_%03zu_sha256", i);
		sign_is(p, 0, secret, PS_CLD_SHA256, want256, name);
		ps_cld_params_free(p);
	}
	json_object_put(root);
}

/* ---- upload rules ---------------------------------------------------- */

static void
test_upload_excludes_unsigned_fields(void)
{
	ps_cld_params *p, *bare;
	char hex1[PS_CLD_HEX_SIZE], hex2[PS_CLD_HEX_SIZE];
	char *s;

	/* Row 1 of the table again, with the fields an upload sends but
	 * never signs: the signature must not change. */
	p = params_new();
	add(p, "file", "https://example.com/sample.jpg");
	add(p, "api_key", "1234");
	add(p, "timestamp", "1315060510");
	add(p, "cloud_name", "demo");
	add(p, "public_id", "sample_image");
	add(p, "resource_type", "image");
	add(p, "eager", "w_400,h_300,c_pad|w_260,h_200,c_crop");
	add(p, "signature", "0000");
	s = sts_of(p, 1);
	is_str(s, "eager=w_400,h_300,c_pad|w_260,h_200,c_crop&"
	    "public_id=sample_image&timestamp=1315060510",
	    "upload_string_leaves_out_file_cloud_name_resource_type_"
	    "api_key_signature");
	free(s);
	sign_is(p, 1, "abcd", PS_CLD_SHA1,
	    "bfd09f95f331f558cbd1320e67aa8d488770583e",
	    "upload_signature_matches_documented_example");

	/* The same list through the raw signer does sign them. */
	s = sts_of(p, 0);
	ok(strstr(s, "api_key=1234") != NULL &&
	    strstr(s, "cloud_name=demo") != NULL &&
	    strstr(s, "file=https://example.com/sample.jpg") != NULL,
	    "raw_string_to_sign_signs_every_parameter");
	free(s);

	bare = params_new();
	add(bare, "eager", "w_400,h_300,c_pad|w_260,h_200,c_crop");
	add(bare, "public_id", "sample_image");
	add(bare, "timestamp", "1315060510");
	ok(ps_cld_sign_upload(p, "abcd", PS_CLD_SHA256, hex1, NULL) == PS_OK &&
	    ps_cld_sign(bare, "abcd", PS_CLD_SHA256, hex2, NULL) == PS_OK &&
	    strcmp(hex1, hex2) == 0 && strlen(hex1) == 64,
	    "upload_sha256_equals_raw_sha256_of_signed_fields_only");
	ps_cld_params_free(bare);
	ps_cld_params_free(p);

	ok(!ps_cld_param_is_signed("file") &&
	    !ps_cld_param_is_signed("cloud_name") &&
	    !ps_cld_param_is_signed("resource_type") &&
	    !ps_cld_param_is_signed("api_key") &&
	    !ps_cld_param_is_signed("signature") &&
	    ps_cld_param_is_signed("timestamp") &&
	    ps_cld_param_is_signed("public_id"),
	    "param_is_signed_names_exactly_the_five_unsigned_fields");
}

static void
test_empty_values_dropped(void)
{
	static const char *const empty_strings[] = {"", NULL};
	static const char *const two_empty[] = {"", ""};
	static const char *const tags[] = {"a&b", "c"};
	ps_cld_params *p;
	char *s;

	p = params_new();
	add(p, "folder", "");
	add(p, "overwrite", NULL);
	ok(ps_cld_params_add_list(p, "allowed_formats", NULL, 0, NULL) ==
	    PS_OK, "empty_array_accepted");
	ok(ps_cld_params_add_list(p, "context", empty_strings, 1, NULL) ==
	    PS_OK, "array_of_one_empty_string_accepted");
	/* JavaScript: ["", ""].join(",") is ",", which is not empty. */
	ok(ps_cld_params_add_list(p, "eager", two_empty, 2, NULL) == PS_OK,
	    "array_of_two_empty_strings_accepted");
	ok(ps_cld_params_add_list(p, "tags", tags, 2, NULL) == PS_OK,
	    "array_with_ampersand_accepted");
	add(p, "timestamp", "1");
	add(p, "upload_preset", "");
	s = sts_of(p, 1);
	is_str(s, "eager=,&tags=a%26b,c&timestamp=1",
	    "empty_values_and_empty_arrays_are_not_signed");
	free(s);
	is_int(ps_cld_params_count(p), 8, "empty_values_are_still_listed");
	ps_cld_params_free(p);
}

static void
test_encoding_and_order(void)
{
	ps_cld_params *p;
	char *s;

	p = params_new();
	add(p, "public_id_prefix", "x");
	add(p, "public_id", "a&b=c%26d&&");
	add(p, "ab", "2");
	add(p, "a_b", "1");
	add(p, "a", "0");
	s = sts_of(p, 0);
	/* Byte order: a < a_b < ab ('_' is 0x5F, 'b' 0x62); a prefix first. */
	is_str(s, "a=0&a_b=1&ab=2&public_id=a%26b=c%26d%26%26&"
	    "public_id_prefix=x",
	    "keys_sorted_bytewise_and_only_ampersand_escaped");
	free(s);
	ps_cld_params_free(p);

	p = params_new();
	s = sts_of(p, 0);
	is_str(s, "", "no_parameters_give_empty_string_to_sign");
	free(s);
	/* Then the signature is the hash of the secret alone. */
	sign_is(p, 0, "abcd", PS_CLD_SHA1,
	    "81fe8bfe87576c3ecb22426f8e57847382917acf",
	    "no_parameters_sign_the_secret_alone");
	ps_cld_params_free(p);
}

static void
test_accessors(void)
{
	static const char *const tags[] = {"x", "y", "z"};
	const char *k = NULL, *v = NULL;
	ps_cld_params *p;

	p = params_new();
	add(p, "timestamp", "42");
	ok(ps_cld_params_add_list(p, "tags", tags, 3, NULL) == PS_OK,
	    "list_added");
	ok(ps_cld_params_at(p, 1, &k, &v) && strcmp(k, "tags") == 0 &&
	    strcmp(v, "x,y,z") == 0,
	    "at_returns_insertion_order_with_array_joined");
	ok(!ps_cld_params_at(p, 2, &k, &v), "at_past_end_returns_0");
	ok(ps_cld_params_count(NULL) == 0 && !ps_cld_params_at(NULL, 0, &k,
	    &v), "accessors_accept_null_list");
	ps_cld_params_free(p);
	ps_cld_params_free(NULL);
}

/* ---- limits and bad input -------------------------------------------- */

static void
test_limits(void)
{
	static const char *const halves[2] = {NULL, NULL};
	const char *list[2];
	char key[PS_CLD_MAX_KEY + 2], *big, name[16];
	ps_cld_params *p;
	ps_err err;
	size_t i;
	int all = 1;

	big = malloc(PS_CLD_MAX_VALUE + 2);
	if (big == NULL)
		tap_bail("out of memory");
	memset(big, 'v', PS_CLD_MAX_VALUE + 1);
	big[PS_CLD_MAX_VALUE + 1] = '\0';

	p = params_new();
	is_int(ps_cld_params_add(p, "tags", big, &err), PS_E_INVALID,
	    "value_over_4096_bytes_is_invalid");
	big[PS_CLD_MAX_VALUE] = '\0';
	is_int(ps_cld_params_add(p, "tags", big, &err), PS_OK,
	    "value_of_exactly_4096_bytes_is_accepted");

	/* Two 2048-byte halves joined by ',' make 4097 bytes. */
	big[PS_CLD_MAX_VALUE / 2] = '\0';
	list[0] = big;
	list[1] = big;
	is_int(ps_cld_params_add_list(p, "context", list, 2, &err),
	    PS_E_INVALID, "joined_array_over_4096_bytes_is_invalid");
	/* 4098 NULL elements are 4097 commas: refused before reading. */
	is_int(ps_cld_params_add_list(p, "context", halves,
	    PS_CLD_MAX_VALUE + 2, &err), PS_E_INVALID,
	    "array_with_too_many_elements_is_invalid");
	is_int(ps_cld_params_add_list(p, "context", NULL, 3, &err),
	    PS_E_INVALID, "array_without_values_is_invalid");

	memset(key, 'k', sizeof(key));
	key[PS_CLD_MAX_KEY] = '\0';
	is_int(ps_cld_params_add(p, key, "1", &err), PS_OK,
	    "key_of_64_bytes_is_accepted");
	key[PS_CLD_MAX_KEY] = 'k';
	key[PS_CLD_MAX_KEY + 1] = '\0';
	is_int(ps_cld_params_add(p, key, "1", &err), PS_E_INVALID,
	    "key_of_65_bytes_is_invalid");
	is_int(ps_cld_params_add(p, "", "1", &err), PS_E_INVALID,
	    "empty_key_is_invalid");
	is_int(ps_cld_params_add(p, NULL, "1", &err), PS_E_INVALID,
	    "null_key_is_invalid");
	is_int(ps_cld_params_add(p, "Public_id", "1", &err), PS_E_INVALID,
	    "uppercase_key_is_invalid");
	is_int(ps_cld_params_add(p, "a1", "1", &err), PS_E_INVALID,
	    "digit_in_key_is_invalid");
	is_int(ps_cld_params_add(p, "a&b=c", "1", &err), PS_E_INVALID,
	    "ampersand_or_equals_in_key_is_invalid");
	is_int(ps_cld_params_add(p, "tags", "again", &err), PS_E_INVALID,
	    "duplicate_key_is_invalid");
	ok(strstr(err.msg, "tags") != NULL, "duplicate_key_error_names_it");
	ps_cld_params_free(p);

	/* 64 parameters fit; the 65th does not. */
	p = params_new();
	for (i = 0; i < PS_CLD_MAX_PARAMS && all; i++) {
		snprintf(name, sizeof(name), "p_%c%c", 'a' + (int)(i / 26),
		    'a' + (int)(i % 26));
		all = ps_cld_params_add(p, name, "1", NULL) == PS_OK;
	}
	ok(all, "sixty_four_parameters_accepted");
	is_int(ps_cld_params_add(p, "one_more", "1", &err), PS_E_INVALID,
	    "sixty_fifth_parameter_is_invalid");
	ps_cld_params_free(p);
	free(big);

	is_int(ps_cld_params_add(NULL, "a", "1", NULL), PS_E_INVALID,
	    "add_to_null_list_is_invalid");
	is_int(ps_cld_params_new(NULL, NULL), PS_E_INVALID,
	    "new_without_out_pointer_is_invalid");
}

static void
test_bad_secret_and_algo(void)
{
	char hex[PS_CLD_HEX_SIZE], secret[PS_CLD_MAX_SECRET + 2];
	ps_cld_params *p;
	char *s = NULL;
	ps_err err;

	p = params_new();
	add(p, "timestamp", "1");

	strcpy(hex, "stale");
	is_int(ps_cld_sign(p, NULL, PS_CLD_SHA1, hex, &err), PS_E_CONFIG,
	    "null_secret_is_config_error");
	is_str(hex, "", "failed_sign_leaves_empty_hex");
	is_int(ps_cld_sign(p, "", PS_CLD_SHA1, hex, &err), PS_E_CONFIG,
	    "empty_secret_is_config_error");

	memset(secret, 'S', sizeof(secret) - 1);
	secret[sizeof(secret) - 1] = '\0';
	is_int(ps_cld_sign_upload(p, secret, PS_CLD_SHA1, hex, &err),
	    PS_E_CONFIG, "secret_over_256_bytes_is_config_error");
	ok(strstr(err.msg, "SSSS") == NULL,
	    "secret_error_does_not_quote_the_secret");
	secret[PS_CLD_MAX_SECRET] = '\0';
	is_int(ps_cld_sign(p, secret, PS_CLD_SHA1, hex, &err), PS_OK,
	    "secret_of_256_bytes_is_accepted");

	is_int(ps_cld_sign(p, "abcd", (ps_cld_algo)7, hex, &err),
	    PS_E_INVALID, "unknown_algorithm_is_invalid");
	is_int(ps_cld_sign(NULL, "abcd", PS_CLD_SHA1, hex, NULL),
	    PS_E_INVALID, "sign_null_list_is_invalid_without_err");
	is_int(ps_cld_sign(p, "abcd", PS_CLD_SHA1, NULL, NULL), PS_E_INVALID,
	    "sign_without_output_is_invalid");
	is_int(ps_cld_string_to_sign(p, NULL, NULL), PS_E_INVALID,
	    "string_to_sign_without_output_is_invalid");
	is_int(ps_cld_string_to_sign(NULL, &s, NULL), PS_E_INVALID,
	    "string_to_sign_of_null_list_is_invalid");
	ok(s == NULL, "failed_string_to_sign_leaves_null");
	ps_cld_params_free(p);
}

int
main(void)
{
	test_protocols_table();
	test_sdk_vectors();
	test_upload_excludes_unsigned_fields();
	test_empty_values_dropped();
	test_encoding_and_order();
	test_accessors();
	test_limits();
	test_bad_secret_and_algo();
	return tap_done();
}
