-- wrk script: POST /v1/invoices/{id}/issue, each draft exactly once.
--
-- Environment (set by bench.sh):
--   BENCH_IDS_FILE     the drafts still to issue, one id per line (bench.sh writes it before
--                      every run: the drafts of this run's cooperative that are still drafts)
--   BENCH_TOKEN        a platform_admin access token
--   BENCH_WRK_THREADS  wrk's -t (every thread takes every BENCH_WRK_THREADS-th id)
--
-- The request is what a client sends to issue a draft with today's date: no body (Content-Length:
-- 0), no Idempotency-Key. A draft can be issued only once (a second time is 409), so the threads
-- must never hand out the same id: wrk gives every thread its own Lua state, so they cannot
-- share a counter; instead thread t (1-based) walks the ids t, t + T, t + 2T, ... of the file.
-- When a thread has no draft left it sends a request that fails (an unknown invoice: 404): the
-- run then has errors and is no valid measurement, and done() says why (bench.sh stops).
--
-- As in get_by_id.lua request() stays cheap: the request text is formatted once and per request
-- only the id is spliced in.

local ids, nids, at, step, prefix, suffix, none

-- Runs in the main state, once per thread before it starts.
local counter = 0
local threads = {}
function setup(thread)
	counter = counter + 1
	thread:set("thread_no", counter)
	threads[counter] = thread
end

function init(args)
	local path = os.getenv("BENCH_IDS_FILE")
	local token = os.getenv("BENCH_TOKEN")
	step = tonumber(os.getenv("BENCH_WRK_THREADS") or "")
	if not path or not token or not step then
		error("issue.lua: BENCH_IDS_FILE, BENCH_TOKEN and BENCH_WRK_THREADS must be set")
	end
	-- Keep only this thread's share of the ids.
	ids, nids = {}, 0
	local i = 0
	for line in io.lines(path) do
		if line ~= "" then
			i = i + 1
			if (i - thread_no) % step == 0 then
				nids = nids + 1
				ids[nids] = line
			end
		end
	end
	at = 1
	short = 0 -- global: done() reads it through thread:get
	local text = wrk.format("POST", "/v1/invoices/{id}/issue",
		{["Authorization"] = "Bearer " .. token}, "")
	local p = text:find("{id}", 1, true)
	prefix, suffix = text:sub(1, p - 1), text:sub(p + 4)
	none = prefix .. "00000000-0000-4000-a000-000000000000" .. suffix
end

function request()
	if at > nids then
		short = short + 1
		return none
	end
	local id = ids[at]
	at = at + 1
	return prefix .. id .. suffix
end

function done(summary, latency, requests)
	local n = 0
	for _, t in ipairs(threads) do
		n = n + (t:get("short") or 0)
	end
	if n > 0 then
		io.write(string.format("bench: stop: the service's drafts of this round ran out (%d requests found none left): set BENCH_ISSUE_RATE higher than the issuing rate\n", n))
	end
end
