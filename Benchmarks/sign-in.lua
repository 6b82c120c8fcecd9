-- Signs the benchmark user in, over and over (each request hashes a password with bcrypt).
request = function()
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", nil, headers, '{"email":"bench@example.com","password":"bench-password-1"}')
end
