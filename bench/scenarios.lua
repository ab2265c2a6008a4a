-- wrk script for `npm run bench` (one scenario per wrk run), after ../shared/peer/bench/scenarios.lua:
--   wrk ... -s bench/scenarios.lua URL -- SCENARIO NTICKERS FIRST_DATE LAST_DATE MAX_ID RUN_TAG [PATH]
--   s1: random ticker, random 1-year window, size 50      s4: GET a random id      s6: POST a new row
--   s1t: s1 with adjustment=total
--   static: GET PATH (page 1, deep page, cursor page, health)
-- Prints one JSON line in done().
local counter = 0
scenario = nil
local ntickers, first_epoch, span_days, max_id, run_tag, static_req
local threads = {}

local function epoch_of(iso)
  local y, m, d = iso:match("^(%d+)-(%d+)-(%d+)$")
  return os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 })
end
local function iso_of(epoch) return os.date("%Y-%m-%d", epoch) end

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  scenario = args[1]
  ntickers = tonumber(args[2])
  first_epoch = epoch_of(args[3])
  span_days = math.floor((epoch_of(args[4]) - first_epoch) / 86400 + 0.5)
  max_id = tonumber(args[5])
  run_tag = args[6]
  math.randomseed(os.time() * 1000 + tid * 7919)
  if scenario == "static" then static_req = wrk.format("GET", args[7]) end
end

function request()
  if static_req then return static_req end
  if scenario == "s1" or scenario == "s1t" then
    local ticker = string.format("T%04d", math.random(1, ntickers))
    local off = math.random(0, math.max(0, span_days - 364))
    local s = first_epoch + off * 86400
    return wrk.format("GET", "/api/v1/market-data?ticker=" .. ticker .. "&start_date=" .. iso_of(s)
      .. "&end_date=" .. iso_of(s + 364 * 86400) .. "&page=1&size=50" .. (scenario == "s1t" and "&adjustment=total" or ""))
  elseif scenario == "s4" then
    return wrk.format("GET", "/api/v1/market-data/" .. math.random(1, max_id))
  elseif scenario == "s6" then
    counter = counter + 1
    local ticker = string.format("ZZB%s%d%d", run_tag, tid, math.floor(counter / 15000))
    local day = iso_of(epoch_of("1950-01-02") + (counter % 15000) * 86400)
    local body = '{"ticker":"' .. ticker .. '","date":"' .. day ..
      '","open":100.25,"high":101.5,"low":99.75,"close":100.5,"volume":123456}'
    return wrk.format("POST", "/api/v1/market-data", { ["Content-Type"] = "application/json" }, body)
  end
  error("unknown scenario " .. tostring(scenario))
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format('{"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"errors":%d,"requests":%d,"non2xx":%d}\n',
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, summary.requests, e.status))
end
