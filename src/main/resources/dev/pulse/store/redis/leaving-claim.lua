-- Claims a topic whose grace periods are due: pushes its due time to a lease, so no other node handles it
-- meanwhile, and a node that dies before it is done only delays the leaves until the lease ends.
-- KEYS: leaving. ARGV: topic, now, lease end. Returns 1 if claimed.
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if due and tonumber(due) <= tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  return 1
end
return 0
