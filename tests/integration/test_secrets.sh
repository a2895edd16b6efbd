#!/bin/sh
# test_secrets.sh - no secret handed to the programs appears in anything
# the test suite produced (DESIGN.md, invariant 6: secrets never appear
# in logs or responses).  Runs after every other test (the Makefile
# orders it last).
#
# What it searches, all under PS_TEST_ARTIFACTS (make check sets it to
# tests/artifacts of the build tree) unless said otherwise:
#   secrets/values   what tests/with-lighttpd.sh and tests/with-apache.sh
#                    handed to the programs: every value of a setting
#                    flagged SECRET or URLSECRET in lib/ps_settings*.def
#                    ("NAME<TAB>value" lines); the list searched for
#   logs/            the web servers' error logs (the programs' stderr)
#   responses/       what each integration test left in its temp
#                    directory (answers, worker and fake logs, TAP),
#                    copied by tests/with-redis.sh
#   tests/**/*.log   of the build tree: the automake logs, which hold
#                    every test's TAP and diagnostics
# Values shorter than 8 characters are not searched for (too likely to
# turn up by chance).  A leak is reported as the file and the setting's
# name, never the value.  No value recorded, or nothing to search, is a
# failure: the recording is broken.  A self-check first plants a value
# in a file of its own and makes sure the search finds it.
. "${srcdir:-.}/tests/lib.sh"
set -u

MIN=8
A=${PS_TEST_ARTIFACTS:-}
[ -z "$A" ] || [ ! -d "$A" ] || A=$(cd "$A" && pwd)
B=$(cd "${top_builddir:-.}" && pwd) || exit 99
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_secrets.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# scan VALUES PATH...: "NAME<TAB>FILE" for every recorded value of at
# least MIN characters found (as a fixed string) in a file under PATH;
# nothing on stdout when there is no leak.  Never prints a value.
scan() {
	_v=$1
	shift
	awk -F '\t' -v min=$MIN 'NF >= 2 {
		v = substr($0, length($1) + 2)
		if (length(v) >= min && !seen[v]++) print $1 "\t" v
	}' "$_v" >"$tmp/uniq"
	cut -f2- "$tmp/uniq" >"$tmp/patterns"
	[ -s "$tmp/patterns" ] || return 0
	# One pass finds the files; then, for those only, which settings.
	grep -rlF -f "$tmp/patterns" -- "$@" 2>/dev/null | sort -u |
	while IFS= read -r _f; do
		while IFS='	' read -r _name _value; do
			grep -qF -- "$_value" "$_f" &&
			    printf '%s\t%s\n' "$_name" "$_f"
		done <"$tmp/uniq"
	done | sort -u
}

# ------------------------------------------------------------ self-check

planted=pairstore-selfcheck-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p "$tmp/self/logs/sub"
printf 'PLANTED_SECRET\t%s\nSHORT_ONE\tabc\n' "$planted" >"$tmp/self/values"
printf '2026-01-01 INFO x: connect to redis://:%s@host failed\n' \
    "$planted" >"$tmp/self/logs/sub/leaky.log"
printf '{"detail":"nothing to see"} abc\n' >"$tmp/self/logs/clean.log"
head -c 4096 /dev/urandom >"$tmp/self/logs/binary.bin"
printf 'x\0%s\0y' "$planted" >>"$tmp/self/logs/binary.bin"
out=$(scan "$tmp/self/values" "$tmp/self/logs")
expect=$(printf 'PLANTED_SECRET\t%s\nPLANTED_SECRET\t%s' \
    "$tmp/self/logs/binary.bin" "$tmp/self/logs/sub/leaky.log")
[ "$out" = "$expect" ]
ok $? "self-check: a planted value is found, in text and in binary files"
[ -n "$out" ] && ! printf '%s' "$out" | grep -qF -- "$planted"
ok $? "self-check: the report names the file and the setting, not the value"
! printf '%s' "$out" | grep -q -e SHORT_ONE -e clean.log
ok $? "self-check: values under $MIN characters are not searched for"

# ------------------------------------------------------------ the suite

if [ -z "$A" ]; then
	ok 1 "PS_TEST_ARTIFACTS is set (make check sets it)"
	done_testing
	exit
fi
values=$A/secrets/values
n=0
[ -r "$values" ] &&
    n=$(awk -F '\t' -v min=$MIN 'NF >= 2 {
	v = substr($0, length($1) + 2)
	if (length(v) >= min && !seen[v]++) n++
    } END { print n + 0 }' "$values")
[ "$n" -gt 0 ]
ok $? "secret values were recorded by the harnesses ($n distinct)"
if [ "$n" -gt 0 ]; then
	diag "settings recorded: $(cut -f1 "$values" | sort -u | tr '\n' ' ')"
	mode=$(stat -c %a "$values" 2>/dev/null)
	is_private=1
	[ "$mode" = 600 ] && [ "$(stat -c %a "$A/secrets")" = 700 ] &&
	    is_private=0
	ok $is_private "the recorded values are private (file 600, directory 700)"
fi

# Every automake log of the build tree but this test's own, and not
# the artifacts again.
me_log=tests/integration/test_secrets.log
find "$B/tests" -path "$A" -prune -o -name '*.log' -type f -print \
    2>/dev/null | grep -v "/$me_log\$" | sort >"$tmp/automake.list"
nlogs=$(find "$A/logs" -type f 2>/dev/null | wc -l)
nresp=$(find "$A/responses" -type f 2>/dev/null | wc -l)
nauto=$(wc -l <"$tmp/automake.list")
diag "searching $nlogs server logs, $nresp files tests left, $nauto automake logs"
[ "$nlogs" -gt 0 ] && [ "$nauto" -gt 0 ]
ok $? "there is something to search (server logs and automake logs)"

# check WHAT PATH...: one assertion, the leaks listed as diagnostics.
check() {
	_what=$1
	shift
	if [ "$n" -eq 0 ] || [ $# -eq 0 ]; then
		ok 0 "no recorded secret in $_what # SKIP nothing to search"
		return
	fi
	scan "$values" "$@" >"$tmp/leaks"
	[ ! -s "$tmp/leaks" ]
	ok $? "no recorded secret in $_what"
	while IFS='	' read -r _name _file; do
		diag "  $_name appears in ${_file#"$B"/}"
	done <"$tmp/leaks"
}
if [ -d "$A/logs" ]; then
	check "the web servers' error logs" "$A/logs"
else
	check "the web servers' error logs"
fi
if [ -d "$A/responses" ]; then
	check "answers and logs the tests left" "$A/responses"
else
	check "answers and logs the tests left"
fi
IFS='
'
# shellcheck disable=SC2046
set -- $(cat "$tmp/automake.list")
unset IFS
check "the automake logs (TAP and diagnostics)" "$@"
done_testing
