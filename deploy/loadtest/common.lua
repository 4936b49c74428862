-- Shared part of the wrk scripts (stock, reports, products, sales, mix). They
-- load it with require("common") after putting their own directory first in
-- package.path (wrk runs LuaJIT / Lua 5.1 and loads a script, so this module
-- too, once in its main Lua state and once in each thread's).
--
--   setup = common.setup         numbers the threads (global `tid` in each),
--                                gives each the run id (global `run_id`) and
--                                keeps them in common.threads for done()
--   common.note_status(status)   adds status to the global `statuses` of the
--                                thread: the first distinct unexpected ones
--   common.count(status)         response(): counts a 2xx or a non-2xx by
--                                status and, with LOADTEST_TIMELINE=1, by
--                                wall-clock second
--   common.total(name)           in done(): the sum over the threads of a
--                                global counter of theirs
--   common.seen()                in done(): the threads' `statuses`, joined
--   common.latency_and_errors(summary, latency)
--                                in done(): p50, p90, p99, max (us) and the
--                                socket errors of the run
--   common.report(name, summary, latency)
--                                in done(): the LOADTEST_RESULT line (and the
--                                LOADTEST_SECOND lines) that deploy/loadtest/
--                                run.sh reads
--   common.env_int(name, default), common.env_token(default)
--                                the scripts' environment
--
-- Environment common to all scripts:
--   LOADTEST_TOKEN     bearer token of every request (each script has its
--                      own default, a demo token)
--   LOADTEST_RUN       prefix of the Idempotency-Keys (default: the start time
--                      in seconds and 8 random bytes from /dev/urandom, made
--                      once in wrk's main state): keys are
--                      <run>-<thread>-<counter>, unique across the threads of
--                      a run and across runs
--   LOADTEST_TIMELINE  1: count the answers per wall-clock second and print
--                      them (the failover scenario)
--
-- The result line (one line, key=value, times in microseconds):
--   LOADTEST_RESULT scenario=.. requests=.. duration_us=.. rps=.. p50_us=..
--     p90_us=.. p99_us=.. max_us=.. ok=.. non2xx=.. socket_errors=..
--     connect_errors=.. read_errors=.. write_errors=.. timeouts=..
--     statuses=STATUS:COUNT,... (non-2xx by status; "-" when none)
-- and, with LOADTEST_TIMELINE=1, one line per second with answers:
--   LOADTEST_SECOND t=<unix seconds> ok=.. non2xx=..

local common = {}

function common.env_int(name, default)
   local value = tonumber(os.getenv(name) or "")
   if value == nil then return default end
   return math.floor(value)
end

function common.env_token(default)
   local token = os.getenv("LOADTEST_TOKEN")
   if token == nil or token == "" then return default end
   return token
end

-- The run id, made once in each Lua state; the main state's is the one the
-- threads use (setup passes it on), so a run has a single id.
local function make_run_id()
   local given = os.getenv("LOADTEST_RUN")
   if given and given ~= "" then return given end
   local id = tostring(os.time())
   local f = io.open("/dev/urandom", "rb")
   if f then
      local bytes = f:read(8) or ""
      f:close()
      id = id .. "-" .. string.gsub(bytes, ".", function(c) return string.format("%02x", string.byte(c)) end)
   else
      id = id .. "-" .. tostring(math.random(1, 2147483647))
   end
   return id
end
common.run_id = make_run_id()

-- Setup phase (main Lua state): number the threads, keep them for done().
common.threads = {}
local next_id = 0

function common.setup(thread)
   next_id = next_id + 1
   thread:set("tid", next_id)
   thread:set("run_id", common.run_id)
   table.insert(common.threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state).
statuses = ""        -- first distinct unexpected statuses, for diagnosis
ok2xx = 0            -- 2xx answers
non2xx = 0           -- other answers
by_status = {}       -- non-2xx answers by status
ok_by_second = {}    -- with LOADTEST_TIMELINE=1: 2xx answers by unix second
bad_by_second = {}   -- ... and non-2xx answers
local timeline = os.getenv("LOADTEST_TIMELINE") == "1"

function common.note_status(status)
   if #statuses < 200 and not string.find(statuses, " " .. status .. " ", 1, true) then
      statuses = statuses .. " " .. status .. " "
   end
end

function common.count(status)
   local good = status >= 200 and status < 300
   if good then
      ok2xx = ok2xx + 1
   else
      non2xx = non2xx + 1
      by_status[status] = (by_status[status] or 0) + 1
   end
   if timeline then
      local second = os.time()
      if good then
         ok_by_second[second] = (ok_by_second[second] or 0) + 1
      else
         bad_by_second[second] = (bad_by_second[second] or 0) + 1
      end
   end
   return good
end

function common.total(name)
   local total = 0
   for _, thread in ipairs(common.threads) do
      total = total + (thread:get(name) or 0)
   end
   return total
end

function common.seen()
   local seen = ""
   for _, thread in ipairs(common.threads) do
      seen = seen .. (thread:get("statuses") or "")
   end
   return seen
end

function common.latency_and_errors(summary, latency)
   local e = summary.errors
   return latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.connect + e.read + e.write + e.timeout
end

-- The threads' tables NAME (key -> count), summed.
local function merged(name)
   local sum = {}
   for _, thread in ipairs(common.threads) do
      for k, v in pairs(thread:get(name) or {}) do
         sum[k] = (sum[k] or 0) + v
      end
   end
   return sum
end

local function sorted_keys(t)
   local keys = {}
   for k in pairs(t) do table.insert(keys, k) end
   table.sort(keys)
   return keys
end

function common.report(name, summary, latency)
   local p50, p90, p99, max, socket_errors = common.latency_and_errors(summary, latency)
   local codes, parts = merged("by_status"), {}
   for _, status in ipairs(sorted_keys(codes)) do
      table.insert(parts, status .. ":" .. codes[status])
   end
   local e = summary.errors
   io.write(string.format(
      "LOADTEST_RESULT scenario=%s requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d ok=%d non2xx=%d socket_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d statuses=%s\n",
      name, summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
      p50, p90, p99, max, common.total("ok2xx"), common.total("non2xx"), socket_errors,
      e.connect, e.read, e.write, e.timeout, #parts > 0 and table.concat(parts, ",") or "-"))
   if timeline then
      local good, bad, seconds = merged("ok_by_second"), merged("bad_by_second"), {}
      for k in pairs(good) do seconds[k] = true end
      for k in pairs(bad) do seconds[k] = true end
      for _, second in ipairs(sorted_keys(seconds)) do
         io.write(string.format("LOADTEST_SECOND t=%d ok=%d non2xx=%d\n",
            second, good[second] or 0, bad[second] or 0))
      end
   end
end

return common
