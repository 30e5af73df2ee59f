-- GET /v1/me, rotating over customer tokens (one per line of $TOKENS, default tokens-customer.txt).
local tokens = {}
for line in io.lines(os.getenv("TOKENS") or "tokens-customer.txt") do tokens[#tokens + 1] = line end
local counter = 0

request = function()
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  return wrk.format("GET", "/v1/me", { ["Authorization"] = "Bearer " .. token })
end
