-- Signs the 16 benchmark accounts in, one after another, over and over (each request hashes
-- a password with bcrypt).
local counter = 0

request = function()
  counter = counter + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  local body = string.format('{"email":"signer-%d@example.com","password":"bench-password-1"}', counter % 16)
  return wrk.format("POST", nil, headers, body)
end
