// PALISADE_* overrides: coerced to the schema's type, validated like file values,
// and an unknown key is an error that names the variable.
import { describe, expect, it } from 'vitest';
import { loadConfig, loadConfigText } from '../../src/config/index.js';

function load(env: Record<string, string>, yaml?: string) {
  return yaml === undefined ? loadConfig({ env }) : loadConfigText(yaml, { env });
}

describe('environment overrides', () => {
  it('numbers', () => {
    const r = load({ PALISADE_HTTP__PORT: '9091' });
    expect(r.ok && r.config.http.port).toBe(9091);
  });

  it('enums and strings, case-insensitive segments', () => {
    const r = load({ PALISADE_LOG__LEVEL: 'debug', palisade_node__NAME: 'x' } as Record<string, string>);
    // Only the exact upper-case prefix is ours; the lower-case variable is not read.
    expect(r.ok && r.config.log.level).toBe('debug');
    expect(r.ok && r.config.node.name).toBe('palisade');
    const r2 = load({ PALISADE_Node__Name: 'edge-1' });
    expect(r2.ok && r2.config.node.name).toBe('edge-1');
  });

  it('booleans', () => {
    for (const [v, want] of [['false', false], ['0', false], ['no', false], ['TRUE', true], ['1', true], ['on', true]] as const) {
      const r = load({ PALISADE_TRANSPORT__TLS__WATCH: v });
      expect(r.ok && r.config.transport.tls.watch).toBe(want);
    }
  });

  it('camelCase keys written with underscores', () => {
    const r = load({ PALISADE_TRANSPORT__MAX_CONNECTIONS_PER_IP: '16', PALISADE_TRANSPORT__TLS__GENERATEIFMISSING: 'false' });
    expect(r.ok && r.config.transport.maxConnectionsPerIp).toBe(16);
    expect(r.ok && r.config.transport.tls.generateIfMissing).toBe(false);
  });

  it('JSON for lists, replacing the file value', () => {
    const r = load({ PALISADE_REALMS__EXTERNAL__LISTENERS: '[{"transport":"udp","port":5070}]' });
    expect(r.ok && r.config.realms.external.listeners).toEqual([{ transport: 'udp', port: 5070, address: '127.0.0.1' }]);
  });

  it('a list element by index, applied after the whole list', () => {
    const r = load({
      PALISADE_REALMS__EXTERNAL__LISTENERS__2__ADVERTISE: 'sbc.example.net',
      PALISADE_REALMS__INTERNAL__LISTENERS: '[{"transport":"tcp","address":"10.0.0.1"}]',
      PALISADE_REALMS__INTERNAL__LISTENERS__0__PORT: '5080',
    });
    expect(r.ok && r.config.realms.external.listeners[2]?.advertise).toBe('sbc.example.net');
    expect(r.ok && r.config.realms.internal.listeners[0]).toMatchObject({ address: '10.0.0.1', port: 5080 });
  });

  it('PALISADE_CONFIG is not a config key', () => {
    expect(load({ PALISADE_CONFIG: '' }).ok).toBe(true);
  });

  it('an unknown key is an error naming the variable', () => {
    const r = load({ PALISADE_HTTP__PROT: '1' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([expect.objectContaining({ path: 'http.prot', envVar: 'PALISADE_HTTP__PROT' })]);
    expect(r.errors[0]?.message).toMatch(/^unknown key "prot"/);
  });

  it('a key below a leaf is unknown', () => {
    const r = load({ PALISADE_HTTP__PORT__X: '1' });
    expect(!r.ok && r.errors[0]?.path).toBe('http.port.x');
  });

  it('a value of the wrong type', () => {
    const r = load({ PALISADE_HTTP__PORT: 'ninety', PALISADE_HTTP__ENABLED: 'maybe', PALISADE_REALMS__EXTERNAL__LISTENERS: '[oops' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.path, e.envVar])).toEqual([
      ['http.enabled', 'PALISADE_HTTP__ENABLED'],
      ['http.port', 'PALISADE_HTTP__PORT'],
      ['realms.external.listeners', 'PALISADE_REALMS__EXTERNAL__LISTENERS'],
    ]);
  });

  it('an override that fails validation names the variable, not a file line', () => {
    const r = load({ PALISADE_HTTP__PORT: '70000' }, 'http:\n  port: 9090\n');
    expect(!r.ok && r.errors).toEqual([{ path: 'http.port', message: 'must be at most 65535, found 70000', envVar: 'PALISADE_HTTP__PORT' }]);
  });

  it('a JSON override is validated inside', () => {
    const r = load({ PALISADE_REALMS__EXTERNAL__LISTENERS: '[{"transport":"udp","port":99999}]' });
    expect(!r.ok && r.errors[0]).toMatchObject({ path: 'realms.external.listeners[0].port', envVar: 'PALISADE_REALMS__EXTERNAL__LISTENERS' });
  });

  it('an index past the end of a list', () => {
    const r = load({ PALISADE_REALMS__INTERNAL__LISTENERS__3__PORT: '1' });
    expect(!r.ok && r.errors[0]?.message).toMatch(/no element 3/);
  });
});
