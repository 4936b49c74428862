-- wrk script: POST /api/v1/stores/{id}/sales, spread over the stores.
--
--   wrk -t2 -c64 -d30s -s deploy/loadtest/sales.lua http://127.0.0.1:PORT
--
-- Each request sells 1 unit of a random product in a random store, with the
-- token allowed to sell there and a unique Idempotency-Key
-- (<run>-<thread>-<counter>), so no two requests are ever deduplicated.
--
-- Environment (all optional):
--   SALES_STORES    stores 1..N to sell in (default LOADTEST_STORES, else 5:
--                   demo clerks exist for 1..5)
--   SALES_PRODUCTS  products 1..M to sell (default LOADTEST_PRODUCTS, else 200)
--   SALES_TOKEN     clerk (demo-clerk-{store}, default), admin (demo-admin),
--                   or mixed (every other request admin)
--   LOADTEST_TOKEN  one token for every request instead (a clerk token of
--                   another store gets 403): what deploy/loadtest/run.sh sets
--   SALES_RUN       prefix of the Idempotency-Keys (default LOADTEST_RUN, else
--                   the start time and 8 random bytes: see common.lua); the
--                   thread number and a per-thread counter follow, so keys
--                   never collide across threads, nor across runs
--
-- done() prints one machine-readable line for deploy/loadtest/bench-sales.sh:
--   SALES_RESULT requests=.. created=.. non201=.. duration_us=.. p50_us=.. p90_us=.. p99_us=.. max_us=.. socket_errors=..
-- plus the first few non-201 statuses seen, if any, and the LOADTEST_RESULT
-- line of common.lua for deploy/loadtest/run.sh.

-- common.lua, from this script's directory whatever the working directory.
package.path = (string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

local stores = common.env_int("SALES_STORES", common.env_int("LOADTEST_STORES", 5))
local products = common.env_int("SALES_PRODUCTS", common.env_int("LOADTEST_PRODUCTS", 200))
local token_mode = os.getenv("SALES_TOKEN") or "clerk"
local fixed_token = common.env_token(nil)
local run = os.getenv("SALES_RUN")

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
   if fixed_token then
      token = fixed_token
   elseif token_mode == "admin" or (token_mode == "mixed" and counter % 2 == 0) then
      token = "demo-admin"
   else
      token = "demo-clerk-" .. store
   end
   local headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = (run or run_id) .. "-" .. tostring(tid) .. "-" .. counter,
   }
   local body = '{"lines":[{"product_id":' .. product .. ',"quantity":1}]}'
   return wrk.format("POST", "/api/v1/stores/" .. store .. "/sales", headers, body)
end

function response(status, headers, body)
   common.count(status)
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
   common.report("sales", summary, latency)
end
