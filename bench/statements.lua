-- wrk script: each request asks for the statement of a random holder with that holder's token.
-- BENCH_PAIRS names a file of "code token" lines; BENCH_PATH the path prefix ("/api/v1/statements/").
-- At the end it prints one JSON line with the figures the driver reads.

local pairs_file = os.getenv("BENCH_PAIRS")
local prefix = os.getenv("BENCH_PATH") or "/api/v1/statements/"
local codes, tokens = {}, {}

for line in io.lines(pairs_file) do
  local code, token = line:match("^(%S+)%s+(%S+)$")
  if code then
    codes[#codes + 1] = code
    tokens[#tokens + 1] = token
  end
end

local statuses = {}
local thread_list = {}

function setup(thread)
  thread_list[#thread_list + 1] = thread
end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
  non_2xx = 0
  status_5xx = 0
  last_bad = 0
end

function request()
  local i = math.random(#codes)
  return wrk.format("GET", prefix .. codes[i], {
    ["Authorization"] = "Bearer " .. tokens[i],
    ["Accept-Language"] = "az",
  })
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
    last_bad = status
    if status >= 500 then
      status_5xx = status_5xx + 1
    end
  end
end

function done(summary, latency, requests)
  local bad, bad_5xx, example = 0, 0, 0
  for _, thread in ipairs(thread_list) do
    bad = bad + (thread:get("non_2xx") or 0)
    bad_5xx = bad_5xx + (thread:get("status_5xx") or 0)
    example = math.max(example, thread:get("last_bad") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "non_2xx": %d, "status_5xx": %d, "bad_status": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d, "p999": %d}}\n',
    summary.requests, summary.duration, summary.bytes, bad, bad_5xx, example,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
