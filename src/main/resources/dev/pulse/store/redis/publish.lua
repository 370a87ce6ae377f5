-- Sequences, retains and announces one message atomically, so seq order, history and pub/sub never disagree.
-- KEYS: meta hash, stream. ARGV: topic, data, now, max length, ttl ms, deadline ms, new epoch, meta ttl ms, channel
local clock = redis.call('TIME')
if tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) > tonumber(ARGV[6]) then
  return redis.error_reply('PULSE_LATE the caller has given up on this publish')
end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[7]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0)
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], seq .. '-0', 't', ARGV[3], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[9], 'm|' .. ARGV[1] .. '|' .. seq .. '|' .. epoch .. '|' .. ARGV[3] .. '|' .. ARGV[2])
return {epoch, seq}
