#!/bin/sh
# test_docs.sh - every setting in lib/ps_settings.def is documented in
# the README's configuration table.
. "${srcdir:-.}/tests/lib.sh"

defs="${srcdir:-.}/lib/ps_settings.def ${srcdir:-.}/lib/ps_settings_storage.def
${srcdir:-.}/lib/ps_settings_upload.def"
readme=${srcdir:-.}/README.md
names=$(cat $defs | sed -n 's/^X([A-Z_0-9]*, "\([A-Z_0-9]*\)".*/\1/p')
[ -n "$names" ]; ok $? "settings found in ps_settings.def"
for n in $names; do
	grep -q "^| \`$n\` |" "$readme"
	ok $? "README documents $n"
done
done_testing
