-- Members with their since and connection count, read atomically. KEYS: as presence-add
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[3])}
