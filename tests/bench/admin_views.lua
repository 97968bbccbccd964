-- wrk script for tests/bench/admin_views.sh: the admin token as Bearer,
-- and a pause between requests so that one connection stays under the
-- shipped admin rate limit (50 requests/s per address): every request is
-- answered by the responder, none by nginx's 429.
local token = os.getenv("AWARD_BENCH_TOKEN")
if token then
	wrk.headers["Authorization"] = "Bearer " .. token
end

function delay()
	return 25
end
