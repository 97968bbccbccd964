-- wrk script: POST /v1/payments/webhook with a new order per request, as
-- YooKassa would, so every request runs the whole award transaction.
-- RUN keeps order ids apart between runs against one database. LIMIT (set,
-- not 0) stops each of the THREADS wrk threads after LIMIT / THREADS
-- answers: hotpath.sh sends a fixed number of requests that way (strace
-- counts, RSS after N). Without LIMIT no response() is defined, so wrk
-- does not hand every answer to Lua.
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

if limit > 0 then
	function response(status, headers, body)
		got = got + 1
		if got >= mine then
			wrk.thread:stop()
		end
	end
end
