-- Staff GET /v1/customers/{id}?purpose=service over random customer ids, rotating over support tokens.
local tokens = {}
for line in io.lines(os.getenv("TOKENS") or "tokens-support.txt") do tokens[#tokens + 1] = line end
local customers = tonumber(os.getenv("CUSTOMERS") or "100000")
local counter = 0

init = function(args)
  math.randomseed(os.time() + counter)
end

request = function()
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  local path = string.format("/v1/customers/c-%07d?purpose=service", math.random(1, customers))
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
