// The Lua scripts the Redis store runs. Each touches exactly one key (KEYS[1]) so it
// runs unchanged on a standalone server, behind Sentinel and on a Cluster, and each is
// atomic, so two instances racing on the same key cannot both win.

import { createHash } from 'node:crypto';

export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

/** The subset of an ioredis client (Redis or Cluster) the scripts need. */
export interface ScriptClient {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

function script(name: string, lua: string): Script {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * INCR, and start the expiry only if the key has none: the window begins at its first
 * increment and later increments do not stretch it. (PTTL < 0 rather than PEXPIRE NX
 * so Redis 6 works too, and so a key that somehow lost its expiry gets one back.)
 * KEYS[1] counter; ARGV[1] window ms. Returns the new count.
 */
export const INCR_WINDOW = script(
  'incrWindow',
  `local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`,
);

/**
 * Compare-and-set of the highest nonce-count seen: refuses nc not above it (a replay),
 * otherwise records nc and restarts the entry's life.
 * KEYS[1] nonce key; ARGV[1] nc; ARGV[2] ttl ms. Returns 1 (fresh) or 0 (replay).
 */
export const CHECK_NONCE = script(
  'checkNonce',
  `local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
);

/**
 * One instance's share of a fleet-wide gauge, and the fleet total. The hash maps
 * instanceId → "count:expiresAtMs"; an instance rewrites its own field with an absolute
 * count (so a refresh after an outage is idempotent) and a fresh expiry; fields whose
 * owner stopped refreshing (crashed, partitioned) are deleted and not counted. Time
 * comes from the server so instances' clock skew does not matter.
 * KEYS[1] share hash; ARGV[1] instanceId; ARGV[2] count (0 removes the field); ARGV[3] ttl ms.
 * Returns the total of live shares.
 */
export const SHARE = script(
  'share',
  `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. (now + ttl))
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
local all = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #all, 2 do
  local v = all[i + 1]
  local sep = string.find(v, ':', 1, true)
  local n = sep and tonumber(string.sub(v, 1, sep - 1))
  local exp = sep and tonumber(string.sub(v, sep + 1))
  if n == nil or exp == nil or exp <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    total = total + n
  end
end
if total > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return total`,
);

/**
 * Records a ban in the fleet's hash and tells every instance, atomically, so no instance
 * can load the hash without also being sent the event for anything newer.
 * KEYS[1] bans hash; ARGV[1] address; ARGV[2] ban JSON; ARGV[3] channel; ARGV[4] event JSON.
 */
export const BAN_ADD = script(
  'banAdd',
  `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`,
);

/**
 * Lifts a ban and tells every instance (even when the hash had no entry: an instance may
 * still mirror one it was told about). Returns 1 if the hash held it.
 * KEYS[1] bans hash; ARGV[1] address; ARGV[2] channel; ARGV[3] event JSON.
 */
export const BAN_REMOVE = script(
  'banRemove',
  `local n = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return n`,
);

/**
 * EVALSHA, loading the script with EVAL the first time a server has not seen it
 * (a fresh server, a failover to a replica that never cached it).
 */
export async function runScript(client: ScriptClient, s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return client.eval(s.lua, keys.length, ...keys, ...args);
    throw err;
  }
}
