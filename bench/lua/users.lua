-- users.lua - every request as one of BENCH_USERS users (default 1000),
-- named bench0 .. benchN-1 in the header BENCH_USER_HEADER (default
-- X-Pairstore-User, the demo identity mode's), so per-user state (locks,
-- jobs, status) is spread over many keys instead of one.  For scenarios
-- such as status-many-users:
--     run_scenario status-users "$PS_TEST_BASE_URL/cgi-bin/status" \
--         -s "$BENCH_LUA/users.lua"

local users = tonumber(os.getenv("BENCH_USERS") or "1000")
local header = os.getenv("BENCH_USER_HEADER") or "X-Pairstore-User"
local n = 0

-- Each wrk thread has its own copy of this state; start them apart.
setup = function(thread)
	thread:set("offset", math.random(0, users - 1))
	register_thread(thread)
end

request = function()
	local h = {}
	for k, v in pairs(wrk.headers) do
		h[k] = v
	end
	n = n + 1
	h[header] = "bench" .. ((n + (offset or 0)) % users)
	return wrk.format(nil, nil, h)
end

-- report.lua defines register_thread(); setup() runs after this file.
dofile(os.getenv("BENCH_LUA") .. "/report.lua")
