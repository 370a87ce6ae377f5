-- Users whose grace period is over and who did not come back leave; returns the next leave time, or -1.
-- KEYS: as presence-add. ARGV: topic, now, channel
local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[2])
for _, user in ipairs(due) do
  local n = tonumber(redis.call('HGET', KEYS[3], user) or '0')
  local reason = redis.call('HGET', KEYS[5], user) or 'closed'
  redis.call('ZREM', KEYS[4], user)
  redis.call('HDEL', KEYS[5], user)
  if n <= 0 and redis.call('HDEL', KEYS[1], user) == 1 then
    redis.call('PUBLISH', ARGV[3], 'l|' .. ARGV[1] .. '|' .. user .. '|' .. ARGV[2] .. '|' .. reason)
  end
end
local next = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
if next[2] then
  return tonumber(next[2])
end
return -1
