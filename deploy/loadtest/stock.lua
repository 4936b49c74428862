-- wrk script: GET /api/v1/stores/{id}/stock, a random store of 1..N each time.
--
--   LOADTEST_STORES=10 wrk -t2 -c64 -d10s -s deploy/loadtest/stock.lua http://127.0.0.1:PORT
--
-- Environment: LOADTEST_STORES, LOADTEST_TOKEN (any role; default
-- demo-admin): see requests.lua. done() prints the LOADTEST_RESULT line of
-- common.lua.

-- common.lua and requests.lua, from this script's directory whatever the working directory.
package.path = (string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
local requests = require("requests")

setup = common.setup

function init(args)
   requests.init()
end

request = requests.stock

function response(status, headers, body)
   if not common.count(status) then common.note_status(status) end
end

function done(summary, latency, reqs)
   common.report("stock", summary, latency)
end
