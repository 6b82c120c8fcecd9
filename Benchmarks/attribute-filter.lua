-- Random attribute filters for the audience search, chosen by the FILTER environment variable:
--   city      attributes.city=city-N (about 1,000 users each)
--   range     attributes.score between X and X+1000 (about 1,000 users), newest first
--   sorted    the same range, ordered by the score (walks the index)
--   plan      attributes.plan=<one of 5> (about 200,000 users each), newest first
local filter = os.getenv("FILTER") or "city"
local plans = {"free", "basic", "pro", "team", "enterprise"}
request = function()
  local path
  if filter == "city" then
    path = string.format("/api/v1/audience/users?limit=20&attributes.city=city-%d", math.random(0, 999))
  elseif filter == "plan" then
    path = "/api/v1/audience/users?limit=20&attributes.plan=" .. plans[math.random(1, 5)]
  else
    local low = math.random(0, 998999)
    path = string.format("/api/v1/audience/users?limit=20&attributes.score.gte=%d&attributes.score.lt=%d", low, low + 1000)
    if filter == "sorted" then path = path .. "&sort=attributes.score" end
  end
  return wrk.format("GET", path)
end
