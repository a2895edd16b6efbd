# deps.sh - install the Debian packages pairstore needs (sourced).
#
#   ps_need_packages PKG...   install those not installed yet
#
# Runs apt-get as root, or through sudo; otherwise says what to install.
# Services that packages would start on install (apache2, nginx, redis)
# are held back with a temporary policy-rc.d: pairstore starts its own,
# privately, and must not find a system daemon on its ports.

PS_BUILD_PACKAGES="build-essential autoconf automake pkg-config \
libfcgi-dev libhiredis-dev libcurl4-openssl-dev libjson-c-dev libssl-dev"
PS_RUN_PACKAGES="redis-server curl"
PS_TEST_PACKAGES="valgrind python3 lighttpd openssl libfcgi-bin apache2 \
libapache2-mod-fcgid nginx spawn-fcgi multiwatch chromium fonts-dejavu-core"
PS_FUZZ_PACKAGES="clang-14 libclang-rt-14-dev"
PS_BENCH_PACKAGES="wrk"

ps_missing_packages() {
	missing=""
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
		case "$st" in
		*"install ok installed"*) ;;
		*) missing="$missing $p" ;;
		esac
	done
	echo "$missing"
}

ps_need_packages() {
	missing=$(ps_missing_packages "$@")
	[ -z "$missing" ] && return 0
	echo "==> installing:$missing"
	if [ "$(id -u)" -eq 0 ]; then
		sudo=""
	elif command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "error: these Debian packages are missing:$missing" >&2
		echo "       run as root: apt-get install$missing" >&2
		return 1
	fi
	policy=/usr/sbin/policy-rc.d
	made_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null &&
		    $sudo chmod 755 "$policy" && made_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# A stale or empty package list makes apt-get install fail.
	$sudo apt-get update -qq || true
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing \
	    </dev/null
	status=$?
	[ $made_policy -eq 1 ] && $sudo rm -f "$policy"
	return $status
}
