-- POSTs users with unique emails (a per-thread counter plus a random thread tag).
local counter = 0
local tag = nil

request = function()
  if tag == nil then
    math.randomseed(os.time() + math.floor(os.clock() * 1e6) + math.random(1, 1e6))
    tag = tostring(math.random(1, 1e9))
  end
  counter = counter + 1
  -- wrk.format replaces the -H headers when given a table, so start from them.
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  local body = string.format('{"email":"bench-%s-%d@example.com","firstName":"B%d"}', tag, counter, counter)
  return wrk.format("POST", nil, headers, body)
end
