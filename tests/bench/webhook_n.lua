-- wrk script: webhook.lua's new orders, each thread stopping after
-- LIMIT / threads answers (LIMIT unset or 0: no limit). hotpath.sh uses it
-- to send a fixed number of requests (strace counts, RSS after N).
local threads = 0
local run = os.getenv("RUN") or "0"
local limit = tonumber(os.getenv("LIMIT") or "0") or 0
local nthreads = tonumber(os.getenv("THREADS") or "1") or 1

function setup(thread)
	threads = threads + 1
	thread:set("tid", threads)
end

function init(args)
	n = 0
	got = 0
	mine = math.ceil(limit / nthreads)
end

function request()
	n = n + 1
	local buyer = 2000000 + (tid * 1000000 + n) % 200000
	local body = string.format('{"type":"notification","event":' ..
	    '"payment.succeeded","object":{"id":"bench-pay-%s-%d-%d",' ..
	    '"status":"succeeded","amount":{"value":"199.00",' ..
	    '"currency":"RUB"},"created_at":"2026-11-27T10:51:18.139Z",' ..
	    '"paid":true,"metadata":{"order_id":"bench-%s-%d-%d",' ..
	    '"telegram_id":"%d","plan_id":"plan_1m",' ..
	    '"created_at":"2026-11-27T10:51:17.000Z"}}}',
	    run, tid, n, run, tid, n, buyer)
	return wrk.format("POST", "/v1/payments/webhook",
	    { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
	got = got + 1
	if limit > 0 and got >= mine then
		wrk.thread:stop()
	end
end
