// The config layer's public face: import from here, not from the files behind it.
export { configSchema } from './schema.js';
export type { PalisadeConfig, ListenerConfig, RealmConfig, SipLimitsConfig, Transport, RealmName } from './schema.js';
export { loadConfig, loadConfigText, type LoadOptions, type LoadResult } from './load.js';
export { formatConfigError, formatPath, type ConfigError } from './errors.js';
export { ENV_PREFIX, RESERVED_ENV } from './env.js';
export { describeConfig, renderConfigDocs, type ConfigKeyDoc } from './describe.js';
export { defaultConfigFile, packageRoot, packageVersion, resolveConfigPath } from './paths.js';
