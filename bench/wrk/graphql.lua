-- wrk script (adapted from peer-bench, the harness bench/ grew from): POSTs GraphQL bodies
-- {"operationName","query","variables"} whose variables change per request, counts answers that
-- are not clean (HTTP status other than 200, GraphQL "errors", non-empty okrql "userErrors"),
-- and writes a JSON summary to $RESULT_FILE.
--
-- env: BODY_PREFIX_FILE  '{"operationName":..,"query":..,"variables":' (the body minus its end)
--      VARS_FILE         one variables JSON object per line, replayed in order and wrapped
--                        around (written by bench.loadgen from the target's hook)
--      RESULT_FILE       where done() writes its JSON
local threads = {}
local counter = 0
local prefix, path
local vars_lines = {}
gql_errors = 0
user_errors = 0
non200 = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("BODY_PREFIX_FILE"), "r"))
  prefix = f:read("*a")
  f:close()
  for line in io.lines(os.getenv("VARS_FILE")) do
    if line ~= "" then table.insert(vars_lines, line) end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  path = wrk.path
end

function request()
  counter = counter + 1
  local vars = vars_lines[(counter - 1) % #vars_lines + 1]
  return wrk.format(nil, path, nil, prefix .. vars .. "}")
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  elseif string.find(body, '"errors"', 1, true) then
    gql_errors = gql_errors + 1
  elseif string.find(body, '"userErrors":[{', 1, true) then
    user_errors = user_errors + 1
  end
end

function done(summary, latency, requests)
  local ge, ue, nn = 0, 0, 0
  for _, t in ipairs(threads) do
    ge = ge + (t:get("gql_errors") or 0)
    ue = ue + (t:get("user_errors") or 0)
    nn = nn + (t:get("non200") or 0)
  end
  local e = summary.errors
  local out = string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"graphql_errors":%d,"user_errors":%d,"non200":%d,' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, ge, ue, nn, latency.min, latency.mean, latency.stdev, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max)
  local f = assert(io.open(os.getenv("RESULT_FILE"), "w"))
  f:write(out)
  f:close()
end
