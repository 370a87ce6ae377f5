-- Ends a claim with nothing left to do: removes the topic unless another node scheduled a leave meanwhile
-- (which lowered its due time below the lease). KEYS: leaving. ARGV: topic, lease end.
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if due and tonumber(due) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
