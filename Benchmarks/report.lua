-- Prints one machine-readable line after a wrk run: requests, req/s, p50 ms, p99 ms, errors
-- (connection errors, timeouts and non-2xx/3xx answers).
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout + summary.errors.status
  io.write(string.format("RESULT %d %.0f %.2f %.2f %d\n", summary.requests,
      summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
      latency:percentile(99) / 1000, errors))
end
