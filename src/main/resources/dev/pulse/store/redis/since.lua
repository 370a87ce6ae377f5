-- The topic's epoch and last seq (creating the epoch if the topic has none) and the entries after a seq.
-- KEYS: meta hash, stream. ARGV: since (-1: none), epoch ('' : any), new epoch, meta ttl ms
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[3]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0)
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local last = tonumber(redis.call('HGET', KEYS[1], 'seq'))
local since = tonumber(ARGV[1])
if since < 0 then
  return {epoch, last, 0, {}}
end
if (ARGV[2] ~= '' and ARGV[2] ~= epoch) or since > last then
  return {epoch, last, 1, redis.call('XRANGE', KEYS[2], '-', '+')}
end
return {epoch, last, 0, redis.call('XRANGE', KEYS[2], '(' .. since .. '-0', '+')}
