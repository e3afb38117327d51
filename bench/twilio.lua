-- wrk script: replays pre-signed Twilio webhook requests, each sent once.
-- wrk -t T -c C -s bench/twilio.lua URL -- <file prefix> [pace ms]
-- Thread n reads "<prefix><n>.txt" (one "body<TAB>signature" line per request, written by
-- bench/sms_wrk.py) and writes "<prefix><n>.done" when the last of them is answered (wrk runs
-- for its whole -d duration otherwise: bench/sms_wrk.py stops it with SIGINT then). With C == T each thread has one
-- connection, so its lines go out strictly in order (whole conversations); pace > 0 waits that
-- many milliseconds before each request (a fixed offered rate: C * 1000 / pace a second at most).
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  lines = {}
  local f = assert(io.open(args[1] .. id .. ".txt", "r"))
  for line in f:lines() do
    local body, sig = line:match("^([^\t]*)\t(.*)$")
    lines[#lines + 1] = wrk.format("POST", "/sms/twilio",
      { ["Content-Type"] = "application/x-www-form-urlencoded", ["X-Twilio-Signature"] = sig }, body)
  end
  f:close()
  prefix = args[1]
  pace = tonumber(args[2] or "0")
  sent, answered, bad, finished = 0, 0, 0, false
  -- wrk calls request() once in the first thread to check it, and never sends that one
  verify = (id == 1)
end

function delay()
  if sent >= #lines then
    return 600000  -- all sent: this connection waits until wrk is stopped
  end
  return pace
end

function request()
  if verify then
    verify = false
    return wrk.format("GET", "/healthz")
  end
  sent = sent + 1
  if sent > #lines then
    return lines[#lines]  -- only once all are answered, or with more connections than lines left
  end
  return lines[sent]
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 then bad = bad + 1 end
  if answered >= #lines and not finished then
    finished = true
    local f = io.open(prefix .. id .. ".done", "w")  -- bench/sms_wrk.py then stops wrk
    f:close()
  end
end

function done(summary, latency, requests)
  local total_bad, total = 0, 0
  for _, t in ipairs(threads) do
    total_bad = total_bad + t:get("bad")
    total = total + t:get("answered")
  end
  io.write(string.format("RESULT answered=%d non200=%d p50_us=%d p99_us=%d\n", total, total_bad,
    latency:percentile(50), latency:percentile(99)))
end
