/*
 * ps_queue_lua.h - the queue's Lua scripts (included by ps_queue.c only).
 *
 * Every script starts with PRELUDE, which reads the common arguments
 *   ARGV[1] key prefix "{tag}:"   ARGV[2] retention ms
 *   ARGV[3] backoff ms            ARGV[4] max stalled
 *   ARGV[5] job timeout ms
 * takes the time from the Redis server (one clock for every host) and
 * defines the helpers the state changes share.  Script-specific
 * arguments start at ARGV[6].  KEYS[1] is always the wait list: it names
 * the hash slot for Redis Cluster; the other keys share its hash tag.
 */
#ifndef PS_QUEUE_LUA_H
#define PS_QUEUE_LUA_H

#define PS_LUA_PRELUDE \
"if redis.replicate_commands then redis.replicate_commands() end\n" \
"local P = ARGV[1]\n" \
"local retention = tonumber(ARGV[2])\n" \
"local backoff = tonumber(ARGV[3])\n" \
"local max_stalled = tonumber(ARGV[4])\n" \
"local timeout_ms = tonumber(ARGV[5])\n" \
"local t = redis.call('TIME')\n" \
"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n" \
"local K_WAIT, K_ACTIVE = P .. 'q:wait', P .. 'q:active'\n" \
"local K_DEADLINE, K_DELAYED = P .. 'q:deadline', P .. 'q:delayed'\n" \
"local K_STATS, K_WORKERS = P .. 'q:stats', P .. 'q:workers'\n" \
"local K_WAKE = P .. 'q:wake'\n" \
"local events = {}\n" \
"local function jkey(id) return P .. 'job:' .. id end\n" \
"local function wake()\n" \
"  if redis.call('LPUSH', K_WAKE, '1') > 64 then\n" \
"    redis.call('LTRIM', K_WAKE, 0, 63)\n" \
"  end\n" \
"end\n" \
"local function owns_lock(jk)\n" \
"  local f = redis.call('HMGET', jk, 'user', 'lock_token')\n" \
"  local user, tok = f[1], f[2]\n" \
"  if not user or not tok or tok == '' then return nil end\n" \
"  local lk = P .. 'lock:' .. user\n" \
"  local v = redis.call('GET', lk)\n" \
"  if v and string.sub(v, 1, #tok + 1) == tok .. ':' then return lk end\n" \
"  return nil\n" \
"end\n" \
"local function unindex(id)\n" \
"  redis.call('ZREM', K_ACTIVE, id)\n" \
"  redis.call('ZREM', K_DEADLINE, id)\n" \
"  redis.call('ZREM', K_DELAYED, id)\n" \
"end\n" \
"local function finish(id, state, ...)\n" \
"  local jk = jkey(id)\n" \
"  unindex(id)\n" \
"  redis.call('HSET', jk, 'state', state, 'finished', now, ...)\n" \
"  redis.call('HDEL', jk, 'lease', 'lease_until', 'deadline')\n" \
"  redis.call('ZADD', P .. 'q:' .. state, now, id)\n" \
"  redis.call('HINCRBY', K_STATS, state, 1)\n" \
"  redis.call('PEXPIRE', jk, retention)\n" \
"  local lk = owns_lock(jk)\n" \
"  if lk then redis.call('DEL', lk) return 1 end\n" \
"  return 0\n" \
"end\n" \
"local function retry_or_fail(id, reason, retryable)\n" \
"  local jk = jkey(id)\n" \
"  local attempts = tonumber(redis.call('HGET', jk, 'attempts') or '0')\n" \
"  local maxa = tonumber(redis.call('HGET', jk, 'max_attempts') or '1')\n" \
"  if retryable and attempts < maxa then\n" \
"    local delay = backoff * (2 ^ (attempts - 1))\n" \
"    if delay > 3600000 then delay = 3600000 end\n" \
"    unindex(id)\n" \
"    redis.call('HSET', jk, 'state', 'delayed', 'error', reason,\n" \
"      'next_run', now + delay)\n" \
"    redis.call('HDEL', jk, 'lease', 'lease_until', 'deadline')\n" \
"    redis.call('ZADD', K_DELAYED, now + delay, id)\n" \
"    redis.call('HINCRBY', K_STATS, 'retried', 1)\n" \
"    return 'retry', 0\n" \
"  end\n" \
"  return 'failed', finish(id, 'failed', 'error', reason)\n" \
"end\n" \
"local function owned(jk, token)\n" \
"  local f = redis.call('HMGET', jk, 'state', 'lease')\n" \
"  return f[1] == 'active' and f[2] == token\n" \
"end\n" \
"local function note(id, what, reason)\n" \
"  events[#events + 1] = id\n" \
"  events[#events + 1] = redis.call('HGET', jkey(id), 'user') or ''\n" \
"  events[#events + 1] = what\n" \
"  events[#events + 1] = reason\n" \
"end\n" \
"local function recover_lease(id)\n" \
"  local jk = jkey(id)\n" \
"  redis.call('HINCRBY', K_STATS, 'stalled', 1)\n" \
"  if redis.call('HINCRBY', jk, 'stalled', 1) > max_stalled then\n" \
"    local reason = 'job stalled more than the allowed limit ' ..\n" \
"      '(its worker stopped renewing the lease)'\n" \
"    finish(id, 'failed', 'error', reason)\n" \
"    note(id, 'failed', reason)\n" \
"  else\n" \
"    unindex(id)\n" \
"    redis.call('HSET', jk, 'state', 'waiting')\n" \
"    redis.call('HDEL', jk, 'lease', 'lease_until', 'deadline')\n" \
"    redis.call('LPUSH', K_WAIT, id)\n" \
"    wake()\n" \
"    note(id, 'stalled', 'lease expired, job back to waiting')\n" \
"  end\n" \
"end\n" \
"local function time_out(id)\n" \
"  redis.call('HINCRBY', K_STATS, 'timed_out', 1)\n" \
"  local reason = 'job timed out after ' .. timeout_ms .. ' ms'\n" \
"  local what = retry_or_fail(id, reason, true)\n" \
"  note(id, what, reason)\n" \
"  if what == 'retry' then wake() end\n" \
"end\n" \
"local function promote(id)\n" \
"  redis.call('ZREM', K_DELAYED, id)\n" \
"  redis.call('HSET', jkey(id), 'state', 'waiting')\n" \
"  redis.call('RPUSH', K_WAIT, id)\n" \
"end\n" \
"local function exists(id)\n" \
"  if redis.call('EXISTS', jkey(id)) == 1 then return true end\n" \
"  unindex(id)\n" \
"  return false\n" \
"end\n" \
"-- Apply what is due to one job; its state after that (false: none).\n" \
"local function settle(id)\n" \
"  local jk = jkey(id)\n" \
"  local st = redis.call('HGET', jk, 'state')\n" \
"  if st == 'active' then\n" \
"    local f = redis.call('HMGET', jk, 'deadline', 'lease_until')\n" \
"    local dl, lu = tonumber(f[1] or '0'), tonumber(f[2] or '0')\n" \
"    if dl > 0 and dl <= now then time_out(id)\n" \
"    elseif lu > 0 and lu <= now then recover_lease(id)\n" \
"    else return st end\n" \
"    return redis.call('HGET', jk, 'state')\n" \
"  elseif st == 'delayed' then\n" \
"    local nr = tonumber(redis.call('HGET', jk, 'next_run') or '0')\n" \
"    if nr <= now then promote(id) wake() return 'waiting' end\n" \
"  end\n" \
"  return st\n" \
"end\n" \
"local function housekeeping()\n" \
"  for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_DELAYED, '-inf', now,\n" \
"      'LIMIT', 0, 100)) do\n" \
"    if exists(id) then promote(id) end\n" \
"  end\n" \
"  for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_DEADLINE, '-inf',\n" \
"      now, 'LIMIT', 0, 100)) do\n" \
"    if exists(id) then time_out(id) end\n" \
"  end\n" \
"  for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_ACTIVE, '-inf', now,\n" \
"      'LIMIT', 0, 100)) do\n" \
"    if exists(id) then recover_lease(id) end\n" \
"  end\n" \
"  redis.call('ZREMRANGEBYSCORE', K_WORKERS, '-inf', now - 86400000)\n" \
"  redis.call('ZREMRANGEBYSCORE', P .. 'q:completed', '-inf',\n" \
"    now - retention)\n" \
"  redis.call('ZREMRANGEBYSCORE', P .. 'q:failed', '-inf', now - retention)\n" \
"end\n" \
"-- One wake-up per waiting job, up to 64: a worker woken by one takes\n" \
"-- a job, and while jobs wait a blocked worker is never left asleep.\n" \
"local function sync_wake()\n" \
"  local w = redis.call('LLEN', K_WAIT)\n" \
"  local k = redis.call('LLEN', K_WAKE)\n" \
"  if w > 64 then w = 64 end\n" \
"  if w == 0 then\n" \
"    if k > 0 then redis.call('DEL', K_WAKE) end\n" \
"  elseif k > w then\n" \
"    redis.call('LTRIM', K_WAKE, 0, w - 1)\n" \
"  elseif k < w then\n" \
"    local t = {}\n" \
"    for i = 1, w - k do t[i] = '1' end\n" \
"    redis.call('LPUSH', K_WAKE, unpack(t))\n" \
"  end\n" \
"end\n" \
"local function take_next(worker, lease_ms, token, lock_ttl)\n" \
"  -- Recovery runs at most every 100 ms whoever takes: under load it\n" \
"  -- is not repeated for every job, when idle it runs on every take.\n" \
"  if redis.call('SET', P .. 'q:hk', '1', 'PX', 100, 'NX') then\n" \
"    housekeeping()\n" \
"  end\n" \
"  redis.call('ZADD', K_WORKERS, now, worker)\n" \
"  while true do\n" \
"    local id = redis.call('LPOP', K_WAIT)\n" \
"    if not id then break end\n" \
"    local jk = jkey(id)\n" \
"    local f = redis.call('HMGET', jk, 'state', 'attempts')\n" \
"    if f[1] == 'waiting' then\n" \
"      redis.call('HSET', jk, 'state', 'active',\n" \
"        'attempts', (tonumber(f[2]) or 0) + 1, 'started', now,\n" \
"        'lease', token, 'worker', worker, 'lease_until', now + lease_ms,\n" \
"        'deadline', now + timeout_ms)\n" \
"      redis.call('ZADD', K_ACTIVE, now + lease_ms, id)\n" \
"      redis.call('ZADD', K_DEADLINE, now + timeout_ms, id)\n" \
"      local lk = owns_lock(jk)\n" \
"      if lk and redis.call('PTTL', lk) < lock_ttl then\n" \
"        redis.call('PEXPIRE', lk, lock_ttl)\n" \
"      end\n" \
"      sync_wake()\n" \
"      return {1, now, events, redis.call('HGETALL', jk)}\n" \
"    end\n" \
"  end\n" \
"  sync_wake()\n" \
"  local nd = redis.call('ZRANGE', K_DELAYED, 0, 0, 'WITHSCORES')\n" \
"  local next_due = -1\n" \
"  if nd[2] then next_due = tonumber(nd[2]) end\n" \
"  return {0, now, events, next_due}\n" \
"end\n"

/* ARGV[6] id [7] user [8] data [9] lock token [10] lock ttl ms
 * [11] max attempts [12] max waiting [13] alive window ms
 * [14] spawn guard ms (0: never ask for a worker) [15] lock owner label
 * -> {1, fence, position, workers alive, spawn, now}
 *  | {0, why ('busy'|'locked'|'full'), ms left on the lock} */
static const char submit_lua[] = PS_LUA_PRELUDE
"local id, user, data, tok = ARGV[6], ARGV[7], ARGV[8], ARGV[9]\n"
"local lock_ttl, maxa = tonumber(ARGV[10]), tonumber(ARGV[11])\n"
"local max_waiting, alive_ms = tonumber(ARGV[12]), tonumber(ARGV[13])\n"
"local guard_ms = tonumber(ARGV[14])\n"
"local jk, lk = jkey(id), P .. 'lock:' .. user\n"
"local st = settle(id)\n"
"if st == 'waiting' or st == 'active' or st == 'delayed' then\n"
"  redis.call('HINCRBY', K_STATS, 'lock_refused', 1)\n"
"  return {0, 'busy', redis.call('PTTL', lk)}\n"
"end\n"
"local left = redis.call('PTTL', lk)\n"
"if left ~= -2 then\n"
"  redis.call('HINCRBY', K_STATS, 'lock_refused', 1)\n"
"  return {0, 'locked', left}\n"
"end\n"
"local waiting = redis.call('LLEN', K_WAIT)\n"
"if waiting >= max_waiting then\n"
"  return {0, 'full', 0}\n"
"end\n"
"local fence = redis.call('INCR', P .. 'lock-fence')\n"
"redis.call('SET', lk, tok .. ':' .. fence .. ':' .. ARGV[15], 'PX', lock_ttl)\n"
"if st then\n"
"  -- A finished job with this id is replaced.\n"
"  redis.call('DEL', jk)\n"
"  if st ~= 'failed' then redis.call('ZREM', P .. 'q:completed', id) end\n"
"  if st ~= 'completed' then redis.call('ZREM', P .. 'q:failed', id) end\n"
"end\n"
"redis.call('HSET', jk, 'id', id, 'user', user, 'data', data,\n"
"  'state', 'waiting', 'attempts', 0, 'max_attempts', maxa,\n"
"  'created', now, 'lock_token', tok, 'fence', fence, 'stalled', 0)\n"
"redis.call('RPUSH', K_WAIT, id)\n"
"wake()\n"
"-- Every accepted submit took a lock: lock_acquired = submitted.\n"
"redis.call('HINCRBY', K_STATS, 'submitted', 1)\n"
"local pos = waiting + 1\n"
"-- Whether a worker is alive matters only to start one on demand.\n"
"local alive, spawn = -1, 0\n"
"if guard_ms > 0 then\n"
"  alive = redis.call('ZCOUNT', K_WORKERS, now - alive_ms, '+inf')\n"
"end\n"
"if alive == 0 and guard_ms > 0 and\n"
"   redis.call('SET', P .. 'q:spawn', '1', 'NX', 'PX', guard_ms) then\n"
"  spawn = 1\n"
"end\n"
"return {1, fence, pos, alive, spawn, now}\n";

/* ARGV[6] worker [7] lease ms [8] lease token [9] lock ttl ms
 * -> {1, now, events, HGETALL job} | {0, now, events, next due or -1} */
static const char take_lua[] = PS_LUA_PRELUDE
"return take_next(ARGV[6], tonumber(ARGV[7]), ARGV[8], tonumber(ARGV[9]))\n";

/* ARGV[6] id [7] lease token [8] lease ms [9] worker
 * -> {1, now} | {0, now, events} */
static const char renew_lua[] = PS_LUA_PRELUDE
"local id, lease_ms = ARGV[6], tonumber(ARGV[8])\n"
"local jk = jkey(id)\n"
"if not owned(jk, ARGV[7]) then return {0, now, events} end\n"
"if tonumber(redis.call('HGET', jk, 'deadline') or '0') <= now then\n"
"  time_out(id)\n"
"  return {0, now, events}\n"
"end\n"
"redis.call('ZADD', K_ACTIVE, now + lease_ms, id)\n"
"redis.call('HSET', jk, 'lease_until', now + lease_ms)\n"
"redis.call('ZADD', K_WORKERS, now, ARGV[9])\n"
"return {1, now, events}\n";

/* Ending a job can take the worker's next one in the same round trip
 * (BullMQ's moveToFinished does the same): ARGV[10] worker ('' = no),
 * [11] lease ms, [12] the next lease token, [13] lock ttl ms. */
#define PS_LUA_NEXT \
"local function maybe_next()\n" \
"  if ARGV[10] == '' then return false end\n" \
"  return take_next(ARGV[10], tonumber(ARGV[11]), ARGV[12],\n" \
"    tonumber(ARGV[13]))\n" \
"end\n"

/* ARGV[6] id [7] lease token [8] result [9] result ttl ms [10..13] next
 * -> {1, now, lock released, take reply or false} | {0, now} */
static const char complete_lua[] = PS_LUA_PRELUDE PS_LUA_NEXT
"local id = ARGV[6]\n"
"local jk = jkey(id)\n"
"if not owned(jk, ARGV[7]) then return {0, now} end\n"
"local rel = finish(id, 'completed', 'error', '', 'result', ARGV[8],\n"
"  'result_expires', now + tonumber(ARGV[9]))\n"
"return {1, now, rel, maybe_next()}\n";

/* ARGV[6] id [7] lease token [8] reason [9] retryable (1/0) [10..13] next
 * -> {1, now, final, lock released, take reply or false} | {0, now} */
static const char fail_lua[] = PS_LUA_PRELUDE PS_LUA_NEXT
"local id = ARGV[6]\n"
"local jk = jkey(id)\n"
"if not owned(jk, ARGV[7]) then return {0, now} end\n"
"local what, rel = retry_or_fail(id, ARGV[8], ARGV[9] == '1')\n"
"if what == 'retry' then wake() end\n"
"return {1, now, what == 'failed' and 1 or 0, rel, maybe_next()}\n";

/* ARGV[6] id [7] user whose lock to report, or ''
 * -> {1, now, events, position, HGETALL job, lock ms left}
 *  | {0, now, lock ms left}   (ms left: -2 free, -1 no expiry) */
static const char get_lua[] = PS_LUA_PRELUDE
"local id, user = ARGV[6], ARGV[7]\n"
"local jk = jkey(id)\n"
"local function lock_left()\n"
"  if user == '' then return -2 end\n"
"  return redis.call('PTTL', P .. 'lock:' .. user)\n"
"end\n"
"if redis.call('EXISTS', jk) == 0 then return {0, now, lock_left()} end\n"
"local st = settle(id)\n"
"local rex = tonumber(redis.call('HGET', jk, 'result_expires') or '0')\n"
"if rex > 0 and rex <= now then redis.call('HDEL', jk, 'result') end\n"
"local pos = 0\n"
"if st == 'waiting' then\n"
"  local p = redis.pcall('LPOS', K_WAIT, id)\n"
"  if type(p) == 'number' then pos = p + 1 end\n"
"end\n"
"return {1, now, events, pos, redis.call('HGETALL', jk), lock_left()}\n";

/* ARGV[6] alive window ms
 * -> {now, waiting, delayed, active, completed, failed, HGETALL stats,
 *     workers with scores} */
static const char stats_lua[] = PS_LUA_PRELUDE
"return {now, redis.call('LLEN', K_WAIT), redis.call('ZCARD', K_DELAYED),\n"
"  redis.call('ZCARD', K_ACTIVE), redis.call('ZCARD', P .. 'q:completed'),\n"
"  redis.call('ZCARD', P .. 'q:failed'), redis.call('HGETALL', K_STATS),\n"
"  redis.call('ZREVRANGEBYSCORE', K_WORKERS, '+inf',\n"
"    now - tonumber(ARGV[6]), 'WITHSCORES', 'LIMIT', 0, 32)}\n";

/* ARGV[6] worker [7] '1' here, '0' gone, 'leave' gone only if the queue
 * is idle (nothing waiting, delayed or active) -> 1 left, 0 stay.  A
 * worker that leaves also clears the on-demand start guard, so the next
 * submit may start one; the check and the leaving are one step, so a
 * submit is either seen by this worker or sees it gone. */
static const char heartbeat_lua[] = PS_LUA_PRELUDE
"if ARGV[7] == '1' then\n"
"  redis.call('ZADD', K_WORKERS, now, ARGV[6])\n"
"elseif ARGV[7] == 'leave' then\n"
"  if redis.call('LLEN', K_WAIT) > 0 or\n"
"     redis.call('ZCARD', K_DELAYED) > 0 or\n"
"     redis.call('ZCARD', K_ACTIVE) > 0 then\n"
"    return 0\n"
"  end\n"
"  redis.call('ZREM', K_WORKERS, ARGV[6])\n"
"  redis.call('DEL', P .. 'q:spawn')\n"
"  return 1\n"
"else\n"
"  redis.call('ZREM', K_WORKERS, ARGV[6])\n"
"  redis.call('DEL', P .. 'q:spawn')\n"
"end\n"
"return now\n";

#endif /* PS_QUEUE_LUA_H */
