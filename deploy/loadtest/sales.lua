-- wrk script: POST /api/v1/stores/{id}/sales, spread over the stores.
--
--   wrk -t2 -c64 -d30s -s deploy/loadtest/sales.lua http://127.0.0.1:PORT
--
-- Each request sells 1 unit of a random product in a random store, with the
-- token allowed to sell there and a unique Idempotency-Key
-- (<run>-<thread>-<counter>), so no two requests are ever deduplicated.
--
-- Environment (all optional):
--   SALES_STORES    stores 1..N to sell in (default 5: demo clerks exist for 1..5)
--   SALES_PRODUCTS  products 1..M to sell (default 200)
--   SALES_TOKEN     clerk (demo-clerk-{store}, default), admin (demo-admin),
--                   or mixed (every other request admin)
--   SALES_RUN       prefix of the Idempotency-Keys (default: the start time);
--                   give each wrk run its own so that runs never share keys
--
-- done() prints one machine-readable line for deploy/loadtest/bench-sales.sh:
--   SALES_RESULT requests=.. created=.. non201=.. duration_us=.. p50_us=.. p90_us=.. p99_us=.. max_us=.. socket_errors=..
-- plus the first few non-201 statuses seen, if any.

-- common.lua, from this script's directory whatever the working directory.
package.path = (string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

local stores = tonumber(os.getenv("SALES_STORES") or "") or 5
local products = tonumber(os.getenv("SALES_PRODUCTS") or "") or 200
local token_mode = os.getenv("SALES_TOKEN") or "clerk"
local run = os.getenv("SALES_RUN") or tostring(os.time())

setup = common.setup

-- Per-thread state (each wrk thread has its own Lua state).
local counter = 0
created = 0
non201 = 0

function init(args)
   math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
   counter = counter + 1
   local store = math.random(1, stores)
   local product = math.random(1, products)
   local token
   if token_mode == "admin" or (token_mode == "mixed" and counter % 2 == 0) then
      token = "demo-admin"
   else
      token = "demo-clerk-" .. store
   end
   local headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = run .. "-" .. tostring(tid) .. "-" .. counter,
   }
   local body = '{"lines":[{"product_id":' .. product .. ',"quantity":1}]}'
   return wrk.format("POST", "/api/v1/stores/" .. store .. "/sales", headers, body)
end

function response(status, headers, body)
   if status == 201 then
      created = created + 1
   else
      non201 = non201 + 1
      common.note_status(status)
   end
end

function done(summary, latency, requests)
   local total_non201 = common.total("non201")
   io.write(string.format(
      "SALES_RESULT requests=%d created=%d non201=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d socket_errors=%d\n",
      summary.requests, common.total("created"), total_non201, summary.duration,
      common.latency_and_errors(summary, latency)))
   if total_non201 > 0 then
      io.write("SALES_NON201_STATUSES" .. common.seen() .. "\n")
   end
end
