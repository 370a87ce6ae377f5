-- A session is no longer subscribed; if it was the user's last, the user leaves now or at ARGV[8] (grace).
-- KEYS: as presence-add. ARGV: topic, user, node, session, now, channel, reason, leave at (0: now)
local member = ARGV[2] .. '\n' .. ARGV[3] .. '\n' .. ARGV[4]
if redis.call('SREM', KEYS[2], member) == 0 then
  return -1
end
if redis.call('HINCRBY', KEYS[3], ARGV[2], -1) > 0 then
  return -1
end
redis.call('HDEL', KEYS[3], ARGV[2])
if ARGV[8] == '0' then
  redis.call('ZREM', KEYS[4], ARGV[2])
  redis.call('HDEL', KEYS[5], ARGV[2])
  if redis.call('HDEL', KEYS[1], ARGV[2]) == 1 then
    redis.call('PUBLISH', ARGV[6], 'l|' .. ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[5] .. '|' .. ARGV[7])
  end
  return 0
end
redis.call('ZADD', KEYS[4], ARGV[8], ARGV[2])
redis.call('HSET', KEYS[5], ARGV[2], ARGV[7])
return tonumber(ARGV[8])
