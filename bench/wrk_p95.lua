-- wrk script for bench/load_bench.py: at the end of a run, print one machine-readable line.
--
--   WRK_RESULT requests=N duration_s=S rps=R p50_ms=A p95_ms=B p99_ms=C max_ms=D non2xx=E
--              connect_errors=F read_errors=G write_errors=H timeouts=I
--
-- Latencies are in milliseconds. non2xx is wrk's summary.errors.status: responses whose status is
-- neither 2xx nor 3xx (wrk counts a status above 399). The other counters are socket errors.

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
