-- A node died without closing its sessions: they go, and users left without one leave as evicted at ARGV[3].
-- KEYS: as presence-add. ARGV: node, topic, leave at; returns the leave time, or -1 if nobody is leaving
local prefix_end = '\n' .. ARGV[1] .. '\n'
local leaving = false
for _, member in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local first = string.find(member, '\n', 1, true)
  if first and string.sub(member, first, first + string.len(prefix_end) - 1) == prefix_end then
    local user = string.sub(member, 1, first - 1)
    redis.call('SREM', KEYS[2], member)
    if redis.call('HINCRBY', KEYS[3], user, -1) <= 0 then
      redis.call('HDEL', KEYS[3], user)
      redis.call('ZADD', KEYS[4], ARGV[3], user)
      redis.call('HSET', KEYS[5], user, 'evicted')
      leaving = true
    end
  end
end
if leaving then
  return tonumber(ARGV[3])
end
return -1
