-- wrk script for bench/load_bench.py: each request is the next line of a rotation file (path, header name, header
-- value, tab-separated), so that a run goes through many people and objects instead of one URL again and again.
-- Each of wrk's threads starts at its own place in the list. At the end, one machine-readable line:
--
--   WRK_RESULT requests=N duration_s=S rps=R p50_ms=A p95_ms=B p99_ms=C max_ms=D non2xx=E
--              connect_errors=F read_errors=G write_errors=H timeouts=I
--
-- Usage: wrk ... -s bench/wrk_rotate.lua URL -- ROTATION_FILE USER_AGENT

local requests = {}
local counter = 0
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("offset", threads * 7919)
end

init = function(args)
  local agent = args[2] or "tnw-load-bench"
  for line in io.lines(args[1]) do
    local path, name, value = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    if path then
      local headers = {["User-Agent"] = agent}
      headers[name] = value
      requests[#requests + 1] = wrk.format("GET", path, headers)
    end
  end
  counter = (offset or 0) % #requests
end

request = function()
  counter = counter % #requests + 1
  return requests[counter]
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1000000
  local rps = 0
  if seconds > 0 then
    rps = summary.requests / seconds
  end
  local errors = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_s=%.3f rps=%.2f p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f max_ms=%.3f "
      .. "non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, seconds, rps,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000,
    errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end
