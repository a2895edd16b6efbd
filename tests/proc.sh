# proc.sh - find and stop processes by PID, for the test harnesses
# (sourced; POSIX sh, Linux /proc).  A process is named by a line
# "PID STARTTIME": the start time (proc(5), field 22) tells a process
# from a later one that reused its PID, so nothing but ours is signalled.
#
#   proc_stat PID            "STATE PPID PGRP STARTTIME", or false
#   proc_alive PID [START]   true while it runs (a zombie has ended)
#   proc_line PID            "PID STARTTIME" of a running PID
#   wait_gone TENTHS LIST    wait for every line of LIST to end
#   signal_list SIG LIST     signal the ones still running
#   descendants PID          every descendant, from one read of /proc
#   pgrp_members PGRP        every process of that process group
#   exe_under DIR            every process whose executable is in DIR
#   socket_holders DIR       every process whose stdin is a unix socket
#                            bound in DIR (how mod_fcgid and lighttpd
#                            hand a FastCGI program its listening socket)
#   env_holders NAME=VALUE   every process whose environment holds
#                            exactly that (readable: own or as root)
#   stop_list LIST           TERM, 3 s, KILL, 2 s; false if any survived

proc_stat() {
	{ read -r _ps_st; } 2>/dev/null <"/proc/$1/stat" || return 1
	# The name field may hold spaces: everything up to its ") " goes.
	_ps_st=${_ps_st##*) }
	# shellcheck disable=SC2086
	set -- $_ps_st
	echo "$1 $2 $3 ${20}"
}

proc_alive() {
	_ps_s=$(proc_stat "$1") || return 1
	# shellcheck disable=SC2086
	set -- "$1" "${2:-}" $_ps_s
	[ "$3" != Z ] || return 1
	[ -z "$2" ] || [ "$2" = "$6" ]
}

proc_line() {
	_ps_s=$(proc_stat "$1") || return 1
	echo "$1 ${_ps_s##* }"
}

wait_gone() {	# wait_gone TENTHS LIST
	_ps_n=0
	while :; do
		_ps_left=0
		while read -r _ps_p _ps_t; do
			[ -n "$_ps_p" ] || continue
			proc_alive "$_ps_p" "$_ps_t" && _ps_left=1
		done <<EOF
$2
EOF
		[ $_ps_left -eq 0 ] && return 0
		[ $_ps_n -ge "$1" ] && return 1
		sleep 0.1
		_ps_n=$((_ps_n + 1))
	done
}

signal_list() {	# signal_list SIGNAL LIST
	while read -r _ps_p _ps_t; do
		[ -n "$_ps_p" ] || continue
		proc_alive "$_ps_p" "$_ps_t" && kill "-$1" "$_ps_p" 2>/dev/null
	done <<EOF
$2
EOF
	return 0
}

# All of /proc/[0-9]*/stat as "PID PPID PGRP STARTTIME" lines.
_ps_table() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk '{
		pid = $1
		sub(/^.*\) /, "")
		print pid, $2, $3, $20
	}'
}

descendants() {	# descendants PID
	_ps_table | awk -v root="$1" '
	{ ppid[$1] = $2; start[$1] = $4 }
	END {
		do {
			more = 0
			for (p in ppid)
				if (!(p in mine) && (ppid[p] == root ||
				    ppid[p] in mine)) {
					mine[p] = 1; more = 1
				}
		} while (more)
		for (p in mine)
			print p, start[p]
	}'
}

pgrp_members() {	# pgrp_members PGRP
	[ -n "$1" ] || return 0
	_ps_table | awk -v g="$1" '$3 == g { print $1, $4 }'
}

exe_under() {	# exe_under DIR
	# One find(1) reads every link; DIR holds no glob characters.
	find /proc/[0-9]*/exe -maxdepth 0 -lname "$1/*" 2>/dev/null |
	while IFS=/ read -r _ _ _ps_p _; do
		proc_line "$_ps_p"
	done
	return 0
}

socket_holders() {	# socket_holders DIR
	_ps_inodes=$(awk -v dir="$1/" 'NR > 1 && index($8, dir) == 1 {
	    print $7 }' /proc/net/unix 2>/dev/null)
	[ -n "$_ps_inodes" ] || return 0
	# shellcheck disable=SC2012
	ls -l /proc/[0-9]*/fd/0 2>/dev/null | awk -v inodes="$_ps_inodes" '
	BEGIN { n = split(inodes, a, "\n"); for (i = 1; i <= n; i++)
	    want["socket:[" a[i] "]"] = 1 }
	$NF in want { split($(NF - 2), f, "/"); print f[3] }' |
	while read -r _ps_p; do
		proc_line "$_ps_p"
	done
	return 0
}

env_holders() {	# env_holders NAME=VALUE
	grep -lzxF -- "$1" /proc/[0-9]*/environ 2>/dev/null |
	while IFS=/ read -r _ _ _ps_p _; do
		proc_line "$_ps_p"
	done
	return 0
}

stop_list() {	# stop_list LIST
	signal_list TERM "$1"
	wait_gone 30 "$1" && return 0
	signal_list KILL "$1"
	wait_gone 20 "$1"
}
