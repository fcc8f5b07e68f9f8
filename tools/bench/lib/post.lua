-- wrk script: POST the file named after "--" with the given content type (and optional content
-- encoding), and print one parseable SUMMARY line at the end (tools/bench/lib/wrk.mjs reads it).
--   wrk -t2 -c64 -d10s --latency -s post.lua URL -- BODY_FILE [CONTENT_TYPE] [CONTENT_ENCODING]
wrk.method = "POST"

function init(args)
  local f = assert(io.open(args[1], "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = args[2] or "application/json"
  if args[3] and args[3] ~= "" then
    wrk.headers["Content-Encoding"] = args[3]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "SUMMARY requests=%d duration_s=%.3f non2xx=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d " ..
    "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
    summary.requests, summary.duration / 1e6, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
