-- One wrk script for every scenario: a weighted mix of operations, chosen per request.
--
-- Configuration comes from the environment (set by bench/harness.py):
--   BENCH_MIX      "list:40,get:40,create:10,update:10" (weights; any positive numbers)
--   BENCH_TOKEN    bearer token sent on every /api request except login
--   BENCH_TASKS    tasks collection path (default /api/tasks)
--   BENCH_LIST     list request path and query (default /api/tasks?limit=20)
--   BENCH_IDS      file with one task id per line (get and update pick one at random)
--   BENCH_LOGINS   file with one login body per line (JSON), taken in turn
--   BENCH_IDEMPOTENCY  "1" adds a unique Idempotency-Key to every create
-- done() prints one line "BENCHJSON {...}" with throughput, latency percentiles (µs),
-- socket errors and the count of every status code seen.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  if path == nil or path == "" then
    return lines
  end
  local file = assert(io.open(path, "r"))
  for line in file:lines() do
    if line ~= "" then
      table.insert(lines, line)
    end
  end
  file:close()
  return lines
end

local ops, weights, total_weight = {}, {}, 0
local token, tasks_path, list_path, ids, logins, idempotency
local counter, login_index = 0, 0
statuses = {}

local function bearer()
  return { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

local function random_id()
  return ids[math.random(#ids)]
end

local builders = {}

builders.health = function()
  return wrk.format("GET", "/health")
end

builders.ready = function()
  return wrk.format("GET", "/health/ready")
end

builders.me = function()
  return wrk.format("GET", "/api/auth/me", bearer())
end

builders.list = function()
  return wrk.format("GET", list_path, bearer())
end

builders.get = function()
  return wrk.format("GET", tasks_path .. "/" .. random_id(), bearer())
end

builders.create = function()
  counter = counter + 1
  local headers = bearer()
  if idempotency then
    headers["Idempotency-Key"] = string.format("bench-%d-%d-%d", thread_id, os.time(), counter)
  end
  local body = string.format(
    '{"title":"Bench task %d-%d","description":"Restock the milk fridge","priority":"high","tags":["bench","t%d"]}',
    thread_id, counter, counter % 7
  )
  return wrk.format("POST", tasks_path, headers, body)
end

builders.update = function()
  counter = counter + 1
  local body
  if counter % 2 == 0 then
    body = string.format('{"title":"Updated %d-%d"}', thread_id, counter)
  else
    body = string.format('{"completed":%s}', (counter % 4 == 1) and "true" or "false")
  end
  return wrk.format("PATCH", tasks_path .. "/" .. random_id(), bearer(), body)
end

local function login()
  login_index = login_index % #logins + 1
  return wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/json" }, logins[login_index])
end
builders.login_email = login
builders.login_pin = login

function init(args)
  math.randomseed(os.time() + (thread_id or 0) * 7919)
  token = os.getenv("BENCH_TOKEN") or ""
  tasks_path = os.getenv("BENCH_TASKS") or "/api/tasks"
  list_path = os.getenv("BENCH_LIST") or (tasks_path .. "?limit=20")
  ids = read_lines(os.getenv("BENCH_IDS"))
  logins = read_lines(os.getenv("BENCH_LOGINS"))
  idempotency = os.getenv("BENCH_IDEMPOTENCY") == "1"
  login_index = (thread_id or 1) * 97
  for name, weight in string.gmatch(os.getenv("BENCH_MIX") or "health:1", "([%w_]+):(%d+)") do
    assert(builders[name], "unknown operation " .. name)
    table.insert(ops, builders[name])
    total_weight = total_weight + tonumber(weight)
    table.insert(weights, total_weight)
  end
end

function request()
  if #ops == 1 then
    return ops[1]()
  end
  local pick = math.random() * total_weight
  for i = 1, #ops do
    if pick < weights[i] then
      return ops[i]()
    end
  end
  return ops[#ops]()
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, count in pairs(counts) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(merged) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},' ..
    '"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.timeout, e.status,
    table.concat(parts, ",")
  ))
end
