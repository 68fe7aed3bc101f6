-- The clinic's load benchmark, driven by wrk (devtools/loadbench/wrk.py runs it).
--
-- wrk -s wrk_bench.lua <url> -- <expected status> [<request file> <threads> <once|cycle>]
--
-- Every response whose status is not the expected one counts as an error, so that a staff page
-- bounced to the sign-in form (a 302 wrk would call a success) cannot pass for a fast page.
-- A request file holds one request a line: path, cookie and body, separated by tabs (a line
-- with a body is a POST). "cycle" goes round the lines again and again, each thread starting at
-- its own place. "once" sends each line exactly once (a virtual patient's confirm): the threads
-- share the lines, and a thread stops once every line it sent has been answered. done() prints
-- one JSON line.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_usec; } clinic_bench_timeval;
int gettimeofday(clinic_bench_timeval *tv, void *tz);
]])

-- Microseconds of wall-clock time: a run that ends when its patients are used up is shorter
-- than wrk's -d, so its throughput is worked out from when the first request went out and the
-- last answer came back.
local function now_us()
  local tv = ffi.new("clinic_bench_timeval")
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000000 + tonumber(tv.tv_usec)
end

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

-- Per thread, and read back by done() through thread:get().
expected = 200
answered = 0
unexpected = 0
first_sent = 0
last_answer = 0
prepared = 0
sent = 0

local requests = {}
local claimed = 0

local function split_tabs(line)
  local fields, start = {}, 1
  while true do
    local tab = string.find(line, "\t", start, true)
    if not tab then
      table.insert(fields, string.sub(line, start))
      return fields
    end
    table.insert(fields, string.sub(line, start, tab - 1))
    start = tab + 1
  end
end

local function build(line)
  local path, cookie, body = unpack(split_tabs(line))
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  if cookie and cookie ~= "" then
    headers["Cookie"] = cookie
  end
  if body and body ~= "" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", path, headers, body)
  end
  return wrk.format("GET", path, headers, nil)
end

local function read_requests(path, thread_count, once)
  local index = 0
  for line in io.lines(path) do
    -- Sent once, line n goes to thread n mod thread_count only; in cycles, every thread has
    -- every line.
    if not once or index % thread_count == thread_index then
      table.insert(requests, build(line))
    end
    index = index + 1
  end
end

local function use_once()
  prepared = #requests
  -- A connection asks delay() before each request: it claims the next line here, or idles once
  -- they are all claimed, so that no line is ever sent twice.
  delay = function()
    if claimed < #requests then
      claimed = claimed + 1
      return 0
    end
    return 3600000
  end
  request = function()
    if claimed == 0 then
      -- wrk calls request() once before the run starts, to check what it builds; that one is
      -- never sent, so it uses up no line.
      return requests[1]
    end
    sent = sent + 1
    if first_sent == 0 then
      first_sent = now_us()
    end
    return requests[sent]
  end
end

local function use_in_cycles(thread_count)
  -- Each thread starts at its own place in the list, so that the threads spread over it.
  local position = math.floor(#requests * thread_index / thread_count)
  request = function()
    position = position % #requests + 1
    sent = sent + 1
    return requests[position]
  end
end

function init(args)
  expected = tonumber(args[1]) or 200
  if args[2] then
    local thread_count = tonumber(args[3])
    local once = args[4] == "once"
    read_requests(args[2], thread_count, once)
    if once then
      use_once()
    else
      use_in_cycles(thread_count)
    end
  end
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= expected then
    unexpected = unexpected + 1
  end
  last_answer = now_us()
  -- Stopping only once every line sent is answered keeps the idle connections of a finished
  -- thread from being counted as timeouts.
  if prepared > 0 and answered == prepared then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests_stats)
  local first, last, answers, wrong, lines, posted = 0, 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    local started, ended = thread:get("first_sent"), thread:get("last_answer")
    if started > 0 and (first == 0 or started < first) then
      first = started
    end
    if ended > last then
      last = ended
    end
    answers = answers + thread:get("answered")
    wrong = wrong + thread:get("unexpected")
    lines = lines + thread:get("prepared")
    posted = posted + thread:get("sent")
  end
  local errors = summary.errors
  local fields = {
    string.format('"requests": %d', summary.requests),
    string.format('"duration_us": %d', summary.duration),
    string.format('"active_us": %d', (first > 0 and last > first) and (last - first) or 0),
    string.format('"answered": %d', answers),
    string.format('"unexpected_status": %d', wrong),
    string.format('"prepared": %d', lines),
    string.format('"sent": %d', posted),
    string.format('"connect_errors": %d', errors.connect),
    string.format('"read_errors": %d', errors.read),
    string.format('"write_errors": %d', errors.write),
    string.format('"status_errors": %d', errors.status),
    string.format('"timeouts": %d', errors.timeout),
    string.format('"p50_us": %d', latency:percentile(50)),
    string.format('"p95_us": %d', latency:percentile(95)),
    string.format('"p99_us": %d', latency:percentile(99)),
    string.format('"mean_us": %d', latency.mean),
    string.format('"max_us": %d', latency.max),
  }
  io.write("CLINIC-BENCH-JSON {" .. table.concat(fields, ", ") .. "}\n")
end
