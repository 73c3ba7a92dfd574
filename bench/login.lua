-- wrk script: POST /api/v1/session with the demo credentials.
-- Usage: HABILIS_DEMO_PASSWORD=... wrk -t2 -c16 -d20s -s bench/login.lua http://127.0.0.1:8080
local password = os.getenv("HABILIS_DEMO_PASSWORD") or "Tournesol-Bleu-42-Lille"
-- With PEOPLE=N, the generator's people p0.u0 … p0.u(N-1) (SIGNIN_PASSWORD given to the
-- generator): each login may try 100 times an hour, so a long burst needs many of them.
local logins = { "mons.admin", "mons.deputy", "mons.manager", "mons.agent", "caf.admin", "caf.auditor" }
local people = tonumber(os.getenv("PEOPLE") or "0")
if people > 0 then
  logins = {}
  for j = 0, people - 1 do
    logins[#logins + 1] = "p0.u" .. j
  end
end
local i = 0
request = function()
  i = i + 1
  local login = logins[(i % #logins) + 1]
  local body = string.format('{"login":"%s","password":"%s"}', login, password)
  return wrk.format("POST", "/api/v1/session", { ["Content-Type"] = "application/json" }, body)
end
-- Failed sign-ins show in wrk's own "Non-2xx or 3xx responses" line (a `response` hook
-- cannot report them: wrk runs `done` in another Lua state than the threads' `response`).
