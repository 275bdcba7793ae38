-- wrk script for the Tally benchmarks (bench/Tally.Bench drives it).
-- BENCH_METHOD (GET or POST), BENCH_PATH, BENCH_KEY (secret key), BENCH_BODIES (file: one JSON body per line,
-- sent round-robin; each thread starts at its own offset). Every request is pre-formatted in init(), so
-- request() costs a table lookup, and done() prints one machine-readable BENCH line.
local reqs = {}
local n = 0
local i = 0

function init(args)
  local method = os.getenv("BENCH_METHOD") or "POST"
  local path = os.getenv("BENCH_PATH") or "/"
  local headers = { ["Content-Type"] = "application/json" }
  local key = os.getenv("BENCH_KEY")
  if key ~= nil and key ~= "" then headers["Authorization"] = "Bearer " .. key end
  local file = os.getenv("BENCH_BODIES")
  if method == "GET" or file == nil or file == "" then
    reqs[1] = wrk.format(method, path, headers, nil)
  else
    for line in io.lines(file) do
      if #line > 0 then reqs[#reqs + 1] = wrk.format(method, path, headers, line) end
    end
  end
  n = #reqs
  i = math.random(n) - 1
end

function request()
  i = i % n + 1
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d mean_us=%.1f\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
