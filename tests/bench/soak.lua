-- wrk script of the soak (soak.sh): a mix of reads, writes and issuing across cooperatives.
--
-- Environment (set by soak.sh):
--   BENCH_TOKEN          a platform_admin access token (valid for the whole run)
--   BENCH_WRK_THREADS    wrk's -t (every thread issues every BENCH_WRK_THREADS-th draft)
--   BENCH_SOAK_COOPS     the cooperatives, one id a line
--   BENCH_SOAK_MEMBERS   "cooperative member customer" a line: a member of that cooperative and
--                        a customer of the same cooperative
--   BENCH_SOAK_DRAFTS    the drafts to issue, one id a line, neighbours in other cooperatives
--   BENCH_SOAK_DATE      a date for the supply date of new drafts and the date of new expenses
--                        (YYYY-MM-DD, not in the future)
--
-- The mix, per request drawn at random (percent):
--   reads   70: GET /v1/members/{id} 20, GET /v1/invoices/{id} 20 (the drafts to issue: before
--               and after their issue), GET /v1/customers/{id} 10, the first page of 50 of
--               GET /v1/cooperatives/{id}/members 10 and of .../invoices 10;
--   writes  20: POST /v1/cooperatives/{id}/invoices (a draft with two lines) 8,
--               POST /v1/cooperatives/{id}/customers 4, POST /v1/members/{id}/expenses 4,
--               PATCH /v1/members/{id} (the phone number) 4;
--   issuing 10: POST /v1/invoices/{id}/issue, every draft exactly once: thread t (1-based) walks
--               the drafts t, t + T, t + 2T, ... of the file (wrk gives every thread its own Lua
--               state, so they cannot share a counter). A thread whose drafts ran out reads an
--               invoice instead and counts it (done() reports it: the mix was then off).
--
-- As in get_by_id.lua request() stays cheap: every kind of request is formatted once (by
-- wrk.format, with wrk's Host header and the body's Content-Length) with markers where the ids
-- go; the markers are as long as the values that replace them (ids are 36 characters), so the
-- length stays right and per request only the pieces are joined.
--
-- response() counts the answers per status, and keeps the first few non-2xx answers of each
-- thread; done() prints, for soak.sh to read, lines of the form
--   soak: status STATUS COUNT
--   soak: sent KIND COUNT
--   soak: drafts_short COUNT
--   soak: sample STATUS BODY

local kinds = {
	"get_member", "get_invoice", "get_customer", "list_members", "list_invoices",
	"post_invoice", "post_customer", "post_expense", "patch_member", "issue",
}
-- cumulative percentages, in the order of kinds
local mix = {20, 40, 50, 60, 70, 78, 82, 86, 90, 100}

local coops, ncoops, members, nmembers, drafts, ndrafts, mine, nmine, at
local tpl
-- globals: done() reads them through thread:get
sent, counts, samples, drafts_short = nil, nil, nil, 0

local counter = 0
local threads = {}
function setup(thread)
	counter = counter + 1
	thread:set("thread_no", counter)
	threads[counter] = thread
end

local function lines(path)
	local t, n = {}, 0
	for line in io.lines(path) do
		if line ~= "" then
			n = n + 1
			t[n] = line
		end
	end
	if n == 0 then
		error("soak.lua: no lines in " .. path)
	end
	return t, n
end

-- A marker of WIDTH characters for the slot NAME: "[name]" padded with "~".
local function slot(name, width)
	local m = "[" .. name .. "]"
	return m .. string.rep("~", width - #m)
end

-- The request formatted once and cut at its markers: a table of the pieces between them.
local function template(method, path, headers, body)
	local text = wrk.format(method, path, headers, body)
	local pieces, pos = {}, 1
	while true do
		local a, b = text:find("%[%a+%]~*", pos)
		if not a then
			break
		end
		pieces[#pieces + 1] = text:sub(pos, a - 1)
		pos = b + 1
	end
	pieces[#pieces + 1] = text:sub(pos)
	return pieces
end

function init(args)
	local token = os.getenv("BENCH_TOKEN")
	local step = tonumber(os.getenv("BENCH_WRK_THREADS") or "")
	local date = os.getenv("BENCH_SOAK_DATE")
	local f_coops, f_members, f_drafts =
		os.getenv("BENCH_SOAK_COOPS"), os.getenv("BENCH_SOAK_MEMBERS"), os.getenv("BENCH_SOAK_DRAFTS")
	if not token or not step or not date or not f_coops or not f_members or not f_drafts then
		error("soak.lua: BENCH_TOKEN, BENCH_WRK_THREADS, BENCH_SOAK_DATE, BENCH_SOAK_COOPS, " ..
			"BENCH_SOAK_MEMBERS and BENCH_SOAK_DRAFTS must be set")
	end
	coops, ncoops = lines(f_coops)
	local raw
	raw, nmembers = lines(f_members)
	members = {}
	for i = 1, nmembers do
		local c, m, k = raw[i]:match("^(%S+) (%S+) (%S+)$")
		if not k then
			error("soak.lua: a line of " .. f_members .. " is not 'cooperative member customer'")
		end
		members[i] = {c, m, k}
	end
	drafts, ndrafts = lines(f_drafts)
	-- this thread's share of the drafts to issue
	mine, nmine = {}, 0
	for i = 1, ndrafts do
		if (i - thread_no) % step == 0 then
			nmine = nmine + 1
			mine[nmine] = drafts[i]
		end
	end
	at = 1

	local auth = {["Authorization"] = "Bearer " .. token}
	local json = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
	local id = function(name) return slot(name, 36) end
	tpl = {
		get_member = template("GET", "/v1/members/" .. id("m"), auth),
		get_invoice = template("GET", "/v1/invoices/" .. id("i"), auth),
		get_customer = template("GET", "/v1/customers/" .. id("k"), auth),
		list_members = template("GET", "/v1/cooperatives/" .. id("c") .. "/members?limit=50", auth),
		list_invoices = template("GET", "/v1/cooperatives/" .. id("c") .. "/invoices?limit=50", auth),
		post_invoice = template("POST", "/v1/cooperatives/" .. id("c") .. "/invoices", json,
			'{"member_id":"' .. id("m") .. '","customer_id":"' .. id("k") .. '","supply_date":"' ..
			date .. '","description":"Soak","lines":[{"description":"Tuinonderhoud",' ..
			'"quantity":"2.5","unit":"hour","unit_price_cents":2750},{"description":' ..
			'"Plantmateriaal","quantity":"3","unit":"piece","unit_price_cents":450,' ..
			'"vat_category":"S","vat_rate_bp":900}]}'),
		post_customer = template("POST", "/v1/cooperatives/" .. id("c") .. "/customers", json,
			'{"name":"Klant soak ' .. slot("n", 6) .. '","address":{"street":"Rokin","house_number":' ..
			'"12","postal_code":"1012 KT","city":"Amsterdam"},"payment_terms_days":30}'),
		post_expense = template("POST", "/v1/members/" .. id("m") .. "/expenses", json,
			'{"date":"' .. date .. '","description":"Treinreis naar klant","category":"travel",' ..
			'"amount_cents":2480,"vat_cents":205,"receipt_reference":"NS-' .. slot("n", 6) .. '"}'),
		patch_member = template("PATCH", "/v1/members/" .. id("m"), json,
			'{"phone":"+3161' .. slot("n", 7) .. '"}'),
		issue = template("POST", "/v1/invoices/" .. id("i") .. "/issue", auth, ""),
	}
	sent, counts, samples = {}, {}, {}
	for i = 1, #kinds do
		sent[i] = 0
	end
	drafts_short = 0
	math.randomseed(os.time() * 1000 + thread_no)
end

-- a number of N digits
local function digits(n)
	return string.format("%0" .. n .. "d", math.random(0, 10 ^ n - 1))
end

function request()
	local r, k = math.random(100), 1
	while r > mix[k] do
		k = k + 1
	end
	if k == 10 and at > nmine then
		drafts_short = drafts_short + 1
		k = 2
	end
	sent[k] = sent[k] + 1
	local name = kinds[k]
	local p = tpl[name]
	if name == "get_member" then
		return p[1] .. members[math.random(nmembers)][2] .. p[2]
	elseif name == "get_invoice" then
		return p[1] .. drafts[math.random(ndrafts)] .. p[2]
	elseif name == "get_customer" then
		return p[1] .. members[math.random(nmembers)][3] .. p[2]
	elseif name == "list_members" or name == "list_invoices" then
		return p[1] .. coops[math.random(ncoops)] .. p[2]
	elseif name == "post_invoice" then
		local m = members[math.random(nmembers)]
		return p[1] .. m[1] .. p[2] .. m[2] .. p[3] .. m[3] .. p[4]
	elseif name == "post_customer" then
		return p[1] .. coops[math.random(ncoops)] .. p[2] .. digits(6) .. p[3]
	elseif name == "post_expense" then
		return p[1] .. members[math.random(nmembers)][2] .. p[2] .. digits(6) .. p[3]
	elseif name == "patch_member" then
		return p[1] .. members[math.random(nmembers)][2] .. p[2] .. digits(7) .. p[3]
	else
		local id = mine[at]
		at = at + 1
		return p[1] .. id .. p[2]
	end
end

function response(status, headers, body)
	counts[status] = (counts[status] or 0) + 1
	if (status < 200 or status > 299) and #samples < 3 then
		samples[#samples + 1] = status .. " " .. (body or ""):sub(1, 400):gsub("[\r\n]", " ")
	end
end

-- thread:get copies a global of the thread's state: tables as tables.
function done(summary, latency, requests)
	local total_counts, total_sent, short = {}, {}, 0
	for _, t in ipairs(threads) do
		for status, n in pairs(t:get("counts") or {}) do
			total_counts[status] = (total_counts[status] or 0) + n
		end
		local s = t:get("sent") or {}
		for i = 1, #kinds do
			total_sent[i] = (total_sent[i] or 0) + (s[i] or 0)
		end
		short = short + (t:get("drafts_short") or 0)
		for _, line in ipairs(t:get("samples") or {}) do
			io.write("soak: sample " .. line .. "\n")
		end
	end
	for status, n in pairs(total_counts) do
		io.write(string.format("soak: status %d %d\n", status, n))
	end
	for i = 1, #kinds do
		io.write(string.format("soak: sent %s %d\n", kinds[i], total_sent[i]))
	end
	io.write(string.format("soak: drafts_short %d\n", short))
end
