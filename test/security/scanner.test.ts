import { afterEach, describe, expect, it } from 'vitest';
import { harness, metricValue, req, src, tick, type Harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.pipeline.close());

const SCANNER_UAS = [
  'friendly-scanner',
  'sipvicious',
  'SIPVicious svwar 0.3.4',
  'svmap',
  'svcrack',
  'sipsak 0.9.6',
  'SIPScan',
  'sip-scan',
  'sundayddr',
  'iWar',
  'VaxSIPUserAgent/3.1',
  'pplsip',
  'Gulp',
  'sipcli/v1.8',
];

describe('scanner fingerprints (issue 4)', () => {
  it.each(SCANNER_UAS)('User-Agent %s: dropped silently and banned', async (ua) => {
    h = harness();
    const v = await h.pipeline.check(req('OPTIONS', { ua }), src('198.51.100.66'));
    expect(v).toEqual({ action: 'drop', reason: 'scanner' });
    await tick();
    expect(h.pipeline.listBans()[0]).toMatchObject({ address: '198.51.100.66', reason: 'scanner' });
  });

  it('the From display name counts too (SIPVicious sets it)', async () => {
    h = harness();
    expect(await h.pipeline.check(req('REGISTER', { from: '"sipvicious"<sip:100@1.1.1.1>;tag=x' }), src('198.51.100.66'))).toMatchObject({ action: 'drop' });
  });

  it('ordinary phones and PBXs pass; ignoreUserAgents and extraUserAgents adjust the list', async () => {
    h = harness({ security: { scanner: { ignoreUserAgents: ['sipsak'], extraUserAgents: ['EvilTool'] } } });
    for (const ua of ['Asterisk PBX 20.5.0', 'FreeSWITCH-mod_sofia/1.10.9', 'Yealink SIP-T46S 66.86.0.15', 'Linphone/5.0', 'sipsak 0.9.6']) {
      expect((await h.pipeline.check(req('OPTIONS', { ua }), src('198.51.100.1'))).action).not.toBe('drop');
    }
    expect((await h.pipeline.check(req('OPTIONS', { ua: 'eviltool 2' }), src('198.51.100.2'))).action).toBe('drop');
  });

  it('behaviour: REGISTER/OPTIONS probes of many users without credentials → drop + ban', async () => {
    h = harness({ security: { scanner: { maxDistinctUsers: 10 } } });
    const verdicts: string[] = [];
    for (let ext = 100; ext < 112; ext++) {
      const m = ext % 2 === 0 ? 'REGISTER' : 'OPTIONS';
      verdicts.push((await h.pipeline.check(req(m, { to: `<sip:${ext}@sbc.example.com>` }), src('198.51.100.9'))).action);
    }
    expect(verdicts.slice(0, 10).every((a) => a === 'reject')).toBe(true); // challenged like anyone else
    expect(verdicts[10]).toBe('drop');
    await tick();
    expect(h.pipeline.listBans().map((b) => b.reason)).toEqual(['scanner']);
    expect(await metricValue(h.metrics, 'palisade_security_drops_total', { reason: 'scanner' })).toBe(1);
  });

  it('behaviour: the same user over and over is not a scan', async () => {
    h = harness({ security: { scanner: { maxDistinctUsers: 3 } } });
    for (let i = 0; i < 20; i++) expect((await h.pipeline.check(req('OPTIONS'), src('198.51.100.9'))).action).toBe('reject');
  });
});
