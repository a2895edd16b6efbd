-- pair.lua - POST /cgi-bin/pair as one of BENCH_USERS users (demo
-- identity header), phone in a form body; BENCH_USERS=0: every request
-- as a user never seen before.  A user whose job is still in flight
-- gets 429 with Retry-After: that is the product working, so those
-- answers are counted as expected (BENCH_EXPECT_STATUS=429) and not as
-- errors.

local users = tonumber(os.getenv("BENCH_USERS") or "1000")
local header = os.getenv("BENCH_USER_HEADER") or "X-Pairstore-User"
local prefix = os.getenv("BENCH_USER_PREFIX") or "bench"
local n = 0
local threads = 0

setup = function(thread)
	threads = threads + 1
	thread:set("tid", threads)
	thread:set("offset", math.random(0, math.max(users, 1) - 1))
	register_thread(thread)
end

request = function()
	n = n + 1
	local user
	if users == 0 then
		user = prefix .. (tid or 0) .. "x" .. n
	else
		user = prefix .. ((n + (offset or 0)) % users)
	end
	local h = {
		["Content-Type"] = "application/x-www-form-urlencoded",
		[header] = user,
	}
	return wrk.format("POST", nil, h, "phone=4915123456789")
end

response = function(status, headers, body)
	count_status(status)
end

dofile(os.getenv("BENCH_LUA") .. "/report.lua")
