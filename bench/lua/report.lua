-- report.lua - wrk's summary as one machine-readable line.
--
-- bench/lib.sh's run_scenario loads this when a scenario brings no wrk
-- script of its own; a scenario script that does (to shape requests)
-- ends with
--     dofile(os.getenv("BENCH_LUA") .. "/report.lua")
-- so that the line is printed all the same.  Latencies are in
-- microseconds; non2xx counts answers with a status of 400 or more
-- (wrk's "status" errors).

-- Scenarios that expect some answers of one status (pair: 429 while a
-- user's job is in flight) count them per thread with count_status()
-- and the line says how many: "expected=N".
local threads = {}
setup = setup or function(thread)
	table.insert(threads, thread)
end

function register_thread(thread)
	table.insert(threads, thread)
end

function count_status(status)
	if status == tonumber(os.getenv("BENCH_EXPECT_STATUS") or "0") then
		expected = (expected or 0) + 1
	end
end

done = function(summary, latency, requests)
	local exp = 0
	for _, t in ipairs(threads) do
		exp = exp + (t:get("expected") or 0)
	end
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format("BENCH requests=%d duration_us=%d "
	    .. "rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d "
	    .. "connect_errors=%d read_errors=%d write_errors=%d "
	    .. "timeouts=%d non2xx=%d expected=%d bytes=%d\n",
	    summary.requests, summary.duration,
	    secs > 0 and summary.requests / secs or 0,
	    latency:percentile(50), latency:percentile(90),
	    latency:percentile(99), latency.max,
	    e.connect, e.read, e.write, e.timeout, e.status, exp,
	    summary.bytes))
end
