-- Requests of the load-test scenarios, shared by stock.lua, products.lua and
-- mix.lua (loaded with require("requests"), like common.lua). Each function
-- returns the request text (wrk.format) of one request.
--
--   requests.stock()          GET /api/v1/stores/{random store}/stock
--   requests.product_read()   GET /api/v1/products/{random product}
--   requests.product_patch()  PATCH /api/v1/products/{random product}: a new
--                             price_cents (100..9999) on odd counts, a new
--                             name on even ones
--   requests.sale()           POST /api/v1/stores/{random store}/sales, 1 unit
--                             of a random product, a unique Idempotency-Key
--                             <run>-<thread>-<counter> (common.lua)
--   requests.report()         GET /api/v1/reports/sales for the last 28 UTC
--                             days ([today - 27, today + 1)); any sale drops
--                             the head office's report cache, so under a
--                             write load most of these are recomputed
--   requests.init()           per thread, from init(): seeds math.random
--
-- Environment (all optional):
--   LOADTEST_STORES    stores 1..N (default 5: the demo chain)
--   LOADTEST_PRODUCTS  products 1..M (default 50: the demo chain)
--   LOADTEST_TOKEN     bearer token of every request (default demo-admin:
--                      the only demo role allowed all of them; stock and
--                      product reads take any role, sales a clerk of the
--                      store or admin, PATCH and reports hq or admin)

local common = require("common")

local requests = {}

local stores = common.env_int("LOADTEST_STORES", 5)
local products = common.env_int("LOADTEST_PRODUCTS", 50)
local token = common.env_token("demo-admin")

local read_headers = {["Authorization"] = "Bearer " .. token}
local write_headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}

local today = os.time()
today = today - today % 86400
local function day(offset)
   return os.date("!%Y-%m-%d", today + offset * 86400)
end
local report_path = "/api/v1/reports/sales?from=" .. day(-27) .. "&to=" .. day(1)

-- Per-thread request counter: part of the Idempotency-Keys, picks PATCH kinds.
local counter = 0

function requests.init()
   math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function requests.stock()
   counter = counter + 1
   return wrk.format("GET", "/api/v1/stores/" .. math.random(1, stores) .. "/stock", read_headers)
end

function requests.product_read()
   counter = counter + 1
   return wrk.format("GET", "/api/v1/products/" .. math.random(1, products), read_headers)
end

function requests.product_patch()
   counter = counter + 1
   local product = math.random(1, products)
   local body
   if counter % 2 == 1 then
      body = '{"price_cents":' .. math.random(100, 9999) .. '}'
   else
      body = '{"name":"Load test product ' .. product .. ' (' .. tostring(tid) .. '-' .. counter .. ')"}'
   end
   return wrk.format("PATCH", "/api/v1/products/" .. product, write_headers, body)
end

function requests.sale()
   counter = counter + 1
   local headers = {
      ["Authorization"] = write_headers["Authorization"],
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = run_id .. "-" .. tostring(tid) .. "-" .. counter,
   }
   local body = '{"lines":[{"product_id":' .. math.random(1, products) .. ',"quantity":1}]}'
   return wrk.format("POST", "/api/v1/stores/" .. math.random(1, stores) .. "/sales", headers, body)
end

function requests.report()
   counter = counter + 1
   return wrk.format("GET", report_path, read_headers)
end

return requests
