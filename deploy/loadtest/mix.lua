-- wrk script: a realistic mix of the chain's traffic.
--
--   LOADTEST_STORES=10 LOADTEST_PRODUCTS=1000 wrk -t2 -c64 -d10s -s deploy/loadtest/mix.lua http://127.0.0.1:PORT
--
-- Of every 20 requests of a thread: 12 stock reads (60%), 4 product reads
-- (20%), 3 sales with unique Idempotency-Keys (15%), 1 consolidated report
-- (5%), interleaved in a fixed pattern (each thread starts at another point of
-- it). The requests are those of requests.lua.
--
-- Environment: LOADTEST_STORES, LOADTEST_PRODUCTS, LOADTEST_TOKEN (admin: the
-- only role allowed all four; default demo-admin), LOADTEST_RUN: see
-- requests.lua and common.lua. done() prints the LOADTEST_RESULT line of
-- common.lua.

-- common.lua and requests.lua, from this script's directory whatever the working directory.
package.path = (string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
local requests = require("requests")

-- s: stock (12), p: product read (4), k: sale (3), r: report (1).
local pattern = "sspsksspsrsspsksspsk"
local kinds = {s = requests.stock, p = requests.product_read, k = requests.sale, r = requests.report}

setup = common.setup

local slot = 0

function init(args)
   requests.init()
   slot = ((tid or 0) * 7) % #pattern
end

function request()
   slot = slot % #pattern + 1
   return kinds[string.sub(pattern, slot, slot)]()
end

function response(status, headers, body)
   if not common.count(status) then common.note_status(status) end
end

function done(summary, latency, reqs)
   common.report("mix", summary, latency)
end
