-- wrk script: each request renews with the next unused refresh token of this thread
-- (`<N as 32 hex digits>.bench-refresh-N`: the family's id, then the secret; made by crates/store/examples/generate.rs with REFRESH_TOKENS).
-- Tokens are single-use: thread k sends k, k+T, k+2T… (T = WRK_THREADS), never one twice.
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  n = 0
  stride = tonumber(os.getenv("WRK_THREADS") or "2")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
function request()
  local i = id + n * stride
  n = n + 1
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. string.format("%032x", i) .. ".bench-refresh-" .. i)
end
