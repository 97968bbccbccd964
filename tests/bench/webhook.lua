-- wrk script: POST /v1/payments/webhook with a new order per request, as
-- YooKassa would, so every request runs the whole award transaction.
local threads = 0
-- RUN keeps order ids apart between runs against one database.
local run = os.getenv("RUN") or "0"

function setup(thread)
	threads = threads + 1
	thread:set("tid", threads)
end

function init(args)
	n = 0
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
