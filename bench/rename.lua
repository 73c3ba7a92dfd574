-- wrk script: PUT /api/v1/groups/<GROUP> with a new name each time (a traced change).
-- GROUP and TOKEN come from the environment; each wrk thread numbers its own names.
local group = os.getenv("GROUP")
local token = os.getenv("TOKEN")
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
request = function()
  counter = counter + 1
  local body = string.format('{"name":"Bench %d-%d"}', tid or 0, counter)
  return wrk.format("PUT", "/api/v1/groups/" .. group,
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end
