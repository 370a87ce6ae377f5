-- A node delivered seqs the store no longer has (a failover lost them): start a new epoch rather than reuse them.
-- KEYS: meta hash, stream. ARGV: epoch seen, last seq seen, new epoch
if redis.call('HGET', KEYS[1], 'epoch') == ARGV[1] and tonumber(redis.call('HGET', KEYS[1], 'seq')) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'epoch', ARGV[3], 'seq', 0)
  redis.call('DEL', KEYS[2])
  return 1
end
return 0
