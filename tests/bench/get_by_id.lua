-- wrk script: GET BENCH_PATH with an id picked at random per request.
--
-- Environment (set by bench.sh):
--   BENCH_PATH      the path with {id} where the id goes (default /v1/users/{id})
--   BENCH_IDS_FILE  one id per line (the seeded objects)
--   BENCH_TOKEN     a platform_admin access token
--
-- Every wrk thread has its own Lua state: each reads the id list and seeds its own generator.
-- wrk shares the 2 CPUs with the service, so request() stays cheap: the request text is
-- formatted once (by wrk.format, with wrk's Host header) and per request only the id is
-- spliced in; wrk.format on every request costs wrk several microseconds more.

local ids, nids, prefix, suffix

-- Runs in the main state, once per thread before it starts: number the threads so that their
-- random sequences differ.
local counter = 0
function setup(thread)
	counter = counter + 1
	thread:set("thread_no", counter)
end

function init(args)
	local path = os.getenv("BENCH_IDS_FILE")
	local token = os.getenv("BENCH_TOKEN")
	if not path or not token then
		error("get_by_id.lua: BENCH_IDS_FILE and BENCH_TOKEN must be set")
	end
	ids, nids = {}, 0
	for line in io.lines(path) do
		if line ~= "" then
			nids = nids + 1
			ids[nids] = line
		end
	end
	if nids == 0 then
		error("get_by_id.lua: no ids in " .. path)
	end
	local template = os.getenv("BENCH_PATH") or "/v1/users/{id}"
	local text = wrk.format("GET", template, {["Authorization"] = "Bearer " .. token})
	local at = text:find("{id}", 1, true)
	prefix, suffix = text:sub(1, at - 1), text:sub(at + 4)
	math.randomseed(os.time() * 1000 + (thread_no or 0))
end

function request()
	return prefix .. ids[math.random(nids)] .. suffix
end
