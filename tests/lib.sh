# lib.sh - TAP helpers for the shell tests (sourced).
tap_n=0
tap_fail=0

ok() {	# ok CONDITION-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_fail=$((tap_fail + 1))
	fi
}

# check DESCRIPTION COMMAND...: run the command, ok if it exits 0.
check() {
	desc=$1; shift
	"$@" >/dev/null 2>&1
	ok $? "$desc"
}

diag() { echo "# $*"; }

is() {	# is GOT WANT DESCRIPTION
	[ "$1" = "$2" ]
	_is_st=$?
	ok $_is_st "$3"
	[ $_is_st -eq 0 ] || diag "got '$1', want '$2'"
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_fail" -eq 0 ]
}
