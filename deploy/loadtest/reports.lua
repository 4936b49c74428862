-- wrk script: GET /api/v1/reports/sales?from=&to= as head office (demo-hq).
--
--   REPORT_MODE=cached   wrk -t1 -c16 -d20s --latency -s deploy/loadtest/reports.lua http://127.0.0.1:PORT
--   REPORT_MODE=uncached wrk -t1 -c16 -d20s --latency -s deploy/loadtest/reports.lua http://127.0.0.1:PORT
--
-- Modes (REPORT_MODE):
--   cached    every request asks for the same window, [today - 27, today + 1):
--             the last 28 UTC days. After the first request the head office
--             answers from its cache.
--   uncached  every request asks for a window no earlier request of the run
--             asked for, so each is a cache miss and the report is recomputed
--             from the aggregates of all the stores. Request n (0, 1, 2, ...)
--             asks for
--               from = today - (REPORT_SPAN - 1) + (n mod REPORT_SPAN)
--               to   = today + 2 + floor(n / REPORT_SPAN)
--             `from` walks through the REPORT_SPAN days that hold the data, and
--             `to` lies after tomorrow (no data there; never the cached mode's
--             window, which may still be in the cache), so a window covers
--             1 .. REPORT_SPAN days of sales (REPORT_SPAN / 2 on average) and no
--             two requests share a (from, to) pair. Use one wrk thread (-t1):
--             the counter n is per thread.
--
-- Environment (all optional):
--   REPORT_MODE    cached (default) | uncached
--   REPORT_SPAN    days of data, today included (default 57: `generate --days 56`
--                  spreads the sales over [now - 56 d, now), i.e. 57 UTC days)
--   REPORT_TODAY   the UTC day counted as today, YYYY-MM-DD (default: the clock's)
--   REPORT_TOKEN   bearer token (default LOADTEST_TOKEN, else demo-hq)
--
-- done() prints one machine-readable line for deploy/loadtest/bench-reports.sh:
--   REPORT_RESULT requests=.. ok=.. non200=.. duration_us=.. rps=.. p50_us=.. p90_us=.. p99_us=.. max_us=.. socket_errors=.. last_from=.. last_to=..
-- and the LOADTEST_RESULT line of common.lua for deploy/loadtest/run.sh.

-- common.lua, from this script's directory whatever the working directory.
package.path = (string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

local mode = os.getenv("REPORT_MODE") or "cached"
local span = tonumber(os.getenv("REPORT_SPAN") or "") or 57
local token = os.getenv("REPORT_TOKEN") or common.env_token("demo-hq")

-- Midnight UTC of today, in seconds since the epoch.
local function parse_day(text)
   local y, m, d = string.match(text or "", "^(%d%d%d%d)-(%d%d)-(%d%d)$")
   if not y then return nil end
   -- os.time reads a local time: correct by the offset of that same instant.
   local t = os.time({year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12})
   local utc = os.date("!*t", t)
   utc.isdst = false
   local skew = os.time(utc) - t
   return t - skew - 12 * 3600
end
local today = parse_day(os.getenv("REPORT_TODAY"))
if not today then
   local now = os.time()
   today = now - now % 86400
end
local function day(offset)
   return os.date("!%Y-%m-%d", today + offset * 86400)
end

setup = common.setup

local counter = 0
ok = 0
non200 = 0
last_from = ""
last_to = ""
local cached_path = "/api/v1/reports/sales?from=" .. day(-27) .. "&to=" .. day(1)
local headers = {["Authorization"] = "Bearer " .. token}

function request()
   local path
   if mode == "uncached" then
      local n = counter
      last_from = day(-(span - 1) + n % span)
      last_to = day(2 + math.floor(n / span))
      path = "/api/v1/reports/sales?from=" .. last_from .. "&to=" .. last_to
   else
      path = cached_path
   end
   counter = counter + 1
   return wrk.format("GET", path, headers)
end

function response(status, hdrs, body)
   common.count(status)
   if status == 200 then
      ok = ok + 1
   else
      non200 = non200 + 1
      common.note_status(status)
   end
end

function done(summary, latency, requests)
   local total_non200, lf, lt = common.total("non200"), "", ""
   for _, thread in ipairs(common.threads) do
      lf = thread:get("last_from") or ""
      lt = thread:get("last_to") or ""
   end
   local p50, p90, p99, max, socket_errors = common.latency_and_errors(summary, latency)
   io.write(string.format(
      "REPORT_RESULT requests=%d ok=%d non200=%d duration_us=%d rps=%.0f p50_us=%d p90_us=%d p99_us=%d max_us=%d socket_errors=%d last_from=%s last_to=%s\n",
      summary.requests, common.total("ok"), total_non200, summary.duration,
      summary.requests / (summary.duration / 1e6),
      p50, p90, p99, max, socket_errors, lf, lt))
   if total_non200 > 0 then
      io.write("REPORT_NON200_STATUSES" .. common.seen() .. "\n")
   end
   common.report("reports", summary, latency)
end
