-- A session of a user subscribed: the user joins unless listed (or back within grace).
-- KEYS: members (user -> since), sessions (set of user\nnode\nsession), counts (user -> n), leaving (zset), reasons
-- ARGV: topic, user, node, session, now, channel
local member = ARGV[2] .. '\n' .. ARGV[3] .. '\n' .. ARGV[4]
if redis.call('SADD', KEYS[2], member) == 1 then
  redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
end
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('HDEL', KEYS[5], ARGV[2])
if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[5]) == 1 then
  redis.call('PUBLISH', ARGV[6], 'j|' .. ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[5])
  return 1
end
return 0
