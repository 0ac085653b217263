// Checks that span several keys, run after the schema accepted the shape. They
// catch what would otherwise surface as a confusing EADDRINUSE or two listeners
// sharing one metrics label at startup.
import type { PalisadeConfig, RealmName } from './schema.js';
import { formatPath, type ConfigError } from './errors.js';

export function crossChecks(config: PalisadeConfig): ConfigError[] {
  const errors: ConfigError[] = [];
  const ids = new Map<string, string>();
  const binds = new Map<string, string>();
  for (const realm of ['external', 'internal'] as const satisfies readonly RealmName[]) {
    config.realms[realm].listeners.forEach((l, i) => {
      const here = formatPath(['realms', realm, 'listeners', i]);
      if (l.id !== undefined) {
        const prev = ids.get(l.id);
        if (prev !== undefined) errors.push({ path: `${here}.id`, message: `duplicate listener id "${l.id}" (also used by ${prev})` });
        else ids.set(l.id, here);
      }
      const port = l.port ?? (l.transport === 'tls' ? 5061 : 5060);
      if (port === 0) return; // each port-0 listener gets its own free port
      // tcp and tls are both TCP sockets: they cannot share an address and port.
      const key = `${l.transport === 'udp' ? 'udp' : 'tcp'} ${l.address} ${port}`;
      const prev = binds.get(key);
      if (prev !== undefined) errors.push({ path: here, message: `${l.transport} ${l.address}:${port} is already bound by ${prev}` });
      else binds.set(key, here);
    });
  }
  return errors;
}
