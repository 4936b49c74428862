-- wrk script: high-frequency catalogue updates as head office, plus reads.
--
--   LOADTEST_PRODUCTS=1000 wrk -t2 -c16 -d10s -s deploy/loadtest/products.lua http://127.0.0.1:PORT
--
-- PRODUCTS_WRITE_PERCENT of the requests (default 50) are PATCH
-- /api/v1/products/{id} (a new price, or a new name, of a random product:
-- the catalogue commits it, then tells every store before it answers); the
-- others are GET /api/v1/products/{id}. A thread interleaves them evenly (a
-- write every 100 / PERCENT requests), not at random.
--
-- Environment: PRODUCTS_WRITE_PERCENT (0..100), LOADTEST_PRODUCTS,
-- LOADTEST_TOKEN (hq or admin; default demo-admin): see requests.lua. done()
-- prints the LOADTEST_RESULT line of common.lua.

-- common.lua and requests.lua, from this script's directory whatever the working directory.
package.path = (string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
local requests = require("requests")

local write_percent = math.max(0, math.min(100, common.env_int("PRODUCTS_WRITE_PERCENT", 50)))

setup = common.setup

-- Per-thread state: a credit of writes, PERCENT per request.
local credit = 0

function init(args)
   requests.init()
   credit = ((tid or 0) * 37) % 100
end

function request()
   credit = credit + write_percent
   if credit >= 100 then
      credit = credit - 100
      return requests.product_patch()
   end
   return requests.product_read()
end

function response(status, headers, body)
   if not common.count(status) then common.note_status(status) end
end

function done(summary, latency, reqs)
   common.report("products", summary, latency)
end
