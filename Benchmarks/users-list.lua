-- Users list requests, chosen by the LIST environment variable:
--   page   status=active&type=user, newest first, a random page among the first 50
--   name   q="<first> <last>" from the seeded names, unaccented and lower-cased
--   email  q=<last name>.<number prefix>: one seeded email's beginning
local list = os.getenv("LIST") or "page"
local first = {"anna","jose","zoe","mary","john","emile","chloe","ivan","olga","liam","noah","mia","lea","sofia","jorg",
  "mateo","aiko","yuki","omar","fatima","nina","paul","sara","tomas","ines","bjorn","ana","luca","eva","max"}
local last = {"muller","smith","garcia","dubois","rossi","novak","soren","kowalski","ozturk","silva","nguyen","kim","petrov",
  "johansson","bauer","moreau","costa","horvath","jensen","lopez","schmidt","martin","brown","wilson","taylor",
  "andersen","ferreira","lefevre","zukauskas","olafsson","weiss","fischer","wagner","becker","hoffmann","schafer",
  "koch","richter","klein","wolf"}
request = function()
  local path
  if list == "name" then
    path = string.format("/api/v1/users?limit=20&q=%s%%20%s", first[math.random(1, #first)], last[math.random(1, #last)])
  elseif list == "email" then
    local n = math.random(1, 999999)
    local f, l = first[n % 30 + 1], last[math.floor(n / 30) % 40 + 1]
    path = string.format("/api/v1/users?limit=20&q=%s.%s%d@", f, l, n)
  else
    path = string.format("/api/v1/users?status=active&type=user&sort=-createdAt&limit=20&page=%d", math.random(1, 50))
  end
  return wrk.format("GET", path)
end
