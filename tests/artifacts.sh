# artifacts.sh - what the web server harnesses (tests/with-lighttpd.sh,
# tests/with-apache.sh) leave for tests/integration/test_secrets.sh
# (sourced; POSIX sh).  Needs $here (the tests/ directory) and $me.
#
# PS_TEST_ARTIFACTS set (make check sets it): the secret values handed
# to the programs are appended to $PS_TEST_ARTIFACTS/secrets/values and
# the logs copied to $PS_TEST_ARTIFACTS/logs/ on exit, for
# tests/integration/test_secrets.sh to search.
artifacts=${PS_TEST_ARTIFACTS:-}

# "NAME FLAG" of every secret setting: the SECRET and URLSECRET rows of
# lib/ps_settings*.def, and those known when this was written.
secret_settings() {
	cat "$here"/../lib/ps_settings*.def 2>/dev/null | awk '
	{ text = text " " $0 }
	END {
		n = split(text, row, /(^|[^A-Za-z0-9_])X\(/)
		for (i = 2; i <= n; i++) {
			if (split(row[i], f, ",") < 8)
				continue
			name = f[2]
			flag = f[7]
			gsub(/[ \t"]/, "", name)
			gsub(/[ \t]/, "", flag)
			if (name ~ /^[A-Z][A-Z0-9_]*$/ &&
			    (flag == "SECRET" || flag == "URLSECRET"))
				print name, flag
		}
	}'
	printf '%s\n' 'JWT_SECRET SECRET' 'REDIS_PASSWORD SECRET' \
	    'CLOUDINARY_API_SECRET SECRET' 'SUPABASE_SERVICE_ROLE_KEY SECRET' \
	    'PAIRING_HTTP_TOKEN SECRET' 'REDIS_URL URLSECRET' \
	    'PAIRING_HTTP_URL URLSECRET' 'CLOUDINARY_URL URLSECRET'
}

# record_secrets NAME...: append "NAME<TAB>value" for each secret among
# these environment variables and the lines of PAIRSTORE_ENV_FILE; of a
# URLSECRET, the parts ps_config_mask_url() hides (the user info's
# password, password=/pass=/token=/secret= query values), also
# percent-decoded.  Directory 700, file 600.
record_secrets() {
	[ -n "$artifacts" ] || return 0
	mkdir -p "$artifacts" &&
	    (umask 077 && mkdir -p "$artifacts/secrets") || return 0
	chmod 700 "$artifacts/secrets"
	(umask 077 && secret_settings | awk -v names="$*" \
	    -v envfile="${PAIRSTORE_ENV_FILE:-}" -v sq="'" '
	function hexval(c) { return index("0123456789abcdef", tolower(c)) - 1 }
	function unpct(s,   o, i, h1, h2) {
		o = ""
		for (i = 1; i <= length(s); i++) {
			if (substr(s, i, 1) == "%" && i + 2 <= length(s)) {
				h1 = hexval(substr(s, i + 1, 1))
				h2 = hexval(substr(s, i + 2, 1))
				if (h1 >= 0 && h2 >= 0) {
					o = o sprintf("%c", h1 * 16 + h2)
					i += 2
					continue
				}
			}
			o = o substr(s, i, 1)
		}
		return o
	}
	function put(name, v, decode,   n, i, l) {
		n = split(v, l, "\n")
		for (i = 1; i <= n; i++) {
			if (l[i] == "")
				continue
			print name "\t" l[i]
			if (decode && unpct(l[i]) != l[i])
				print name "\t" unpct(l[i])
		}
	}
	function url(name, u,   p, auth, stop, end, i, a, at, ui, c, rest,
	    q, n, kv, j, eq, k) {
		p = index(u, "://")
		auth = p ? substr(u, p + 3) : u
		stop = "/?#"
		if (tolower(u) ~ /^(unix|redis\+unix|redis-socket):\/\//)
			stop = "/"
		end = length(auth) + 1
		for (i = 1; i <= length(auth); i++)
			if (index(stop, substr(auth, i, 1))) {
				end = i
				break
			}
		a = substr(auth, 1, end - 1)
		at = 0
		for (i = 1; i <= length(a); i++)
			if (substr(a, i, 1) == "@")
				at = i
		rest = auth
		if (at) {
			ui = substr(a, 1, at - 1)
			c = index(ui, ":")
			put(name, c ? substr(ui, c + 1) : ui, 1)
			rest = substr(auth, at)
		}
		q = index(rest, "?")
		if (!q)
			return
		n = split(substr(rest, q + 1), kv, "&")
		for (j = 1; j <= n; j++) {
			eq = index(kv[j], "=")
			k = tolower(substr(kv[j], 1, eq - 1))
			if (eq && (k == "password" || k == "pass" ||
			    k == "token" || k == "secret"))
				put(name, substr(kv[j], eq + 1), 1)
		}
	}
	function consider(name, v) {
		if (!(name in flag) || v == "")
			return
		if (flag[name] == "SECRET")
			put(name, v, 0)
		else
			url(name, v)
	}
	{ flag[$1] = $2 }
	END {
		n = split(names, nm, " ")
		for (i = 1; i <= n; i++)
			consider(nm[i], ENVIRON[nm[i]])
		# A .env: NAME=value, export, quotes, comments (roughly as
		# the programs read it; recording too much is harmless).
		while (envfile != "" && (getline line < envfile) > 0) {
			sub(/^[ \t]+/, "", line)
			sub(/^export[ \t]+/, "", line)
			if (line ~ /^#/ || !index(line, "="))
				continue
			name = substr(line, 1, index(line, "=") - 1)
			v = substr(line, index(line, "=") + 1)
			sub(/[ \t]+$/, "", name)
			sub(/^[ \t]+/, "", v)
			q1 = substr(v, 1, 1)
			if (q1 == "\"" || q1 == sq) {
				v = substr(v, 2)
				for (e = length(v); e > 0; e--)
					if (substr(v, e, 1) == q1)
						break
				if (e > 0)
					v = substr(v, 1, e - 1)
				if (q1 == "\"") {
					gsub(/\\"/, "\"", v)
					gsub(/\\\\/, "\\", v)
				}
			} else {
				sub(/[ \t]+#.*$/, "", v)
				sub(/[ \t]+$/, "", v)
			}
			consider(name, v)
		}
	}' >>"$artifacts/secrets/values")
	chmod 600 "$artifacts/secrets/values" 2>/dev/null
	return 0
}

# save_logs FILE...: copies of the logs into $PS_TEST_ARTIFACTS/logs as
# TEST-PID.log (TEST from PS_TEST_NAME, set by tests/with-redis.sh),
# TEST-PID-NAME for the second and later files.
save_logs() {
	[ -n "$artifacts" ] || return 0
	mkdir -p "$artifacts/logs" || return 0
	first=1
	for f in "$@"; do
		suffix=-${f##*/}
		[ "$first" -eq 1 ] && suffix=.log
		first=0
		[ -f "$f" ] &&
		    cp "$f" "$artifacts/logs/${PS_TEST_NAME:-${me%.sh}}-$$$suffix"
	done
	return 0
}
