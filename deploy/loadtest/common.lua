-- Shared part of the wrk scripts sales.lua and reports.lua. They load it with
-- require("common") after putting their own directory first in package.path
-- (wrk runs LuaJIT / Lua 5.1 and loads a script, so this module too, once in
-- its main Lua state and once in each thread's).
--
--   setup = common.setup         numbers the threads (global `tid` in each)
--                                and keeps them in common.threads for done()
--   common.note_status(status)   adds status to the global `statuses` of the
--                                thread: the first distinct unexpected ones
--   common.total(name)           in done(): the sum over the threads of a
--                                global counter of theirs
--   common.seen()                in done(): the threads' `statuses`, joined
--   common.latency_and_errors(summary, latency)
--                                in done(): p50, p90, p99, max (us) and the
--                                socket errors of the run

local common = {}

-- Setup phase (main Lua state): number the threads, keep them for done().
common.threads = {}
local next_id = 0

function common.setup(thread)
   next_id = next_id + 1
   thread:set("tid", next_id)
   table.insert(common.threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state).
statuses = ""   -- first distinct unexpected statuses, for diagnosis

function common.note_status(status)
   if #statuses < 200 and not string.find(statuses, " " .. status .. " ", 1, true) then
      statuses = statuses .. " " .. status .. " "
   end
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

return common
