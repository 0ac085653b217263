// Simplified ITU-T G.107 E-model: R = 93.2 − Id − Ie,eff; G.107 Annex B R → MOS; G.113 Appendix I codec values.
import { describe, expect, it } from 'vitest';
import { CODEC_IMPAIRMENTS, codecImpairment, delayImpairment, effectiveEquipmentImpairment, estimateMos, rToMos } from '../../../src/media/stats/index.js';

const g711 = CODEC_IMPAIRMENTS.g711;

describe('G.107 Annex B R → MOS', () => {
  it('clamps to [1, 4.5]', () => {
    expect(rToMos(-10)).toBe(1);
    expect(rToMos(0)).toBe(1);
    expect(rToMos(Number.NaN)).toBe(1);
    expect(rToMos(100)).toBe(4.5);
    expect(rToMos(150)).toBe(4.5);
  });
  it('known points', () => {
    expect(rToMos(93.2)).toBeCloseTo(1 + 0.035 * 93.2 + 7e-6 * 93.2 * 33.2 * 6.8, 12);
    expect(rToMos(50)).toBeCloseTo(2.575, 12);
    expect(rToMos(80)).toBeCloseTo(4.024, 3);
  });
});

describe('estimateMos', () => {
  it('G.711, no loss, no delay, no jitter ≈ 4.4', () => {
    const r = estimateMos({ codec: g711, lossRatio: 0, jitterMs: 0 });
    expect(r.effectiveLatencyMs).toBe(10);
    expect(r.r).toBeCloseTo(92.95, 10);
    expect(r.mos).toBeCloseTo(4.40, 2);
  });
  it('G.729 costs Ie = 11 on R', () => {
    const a = estimateMos({ codec: g711, lossRatio: 0, jitterMs: 0 });
    const b = estimateMos({ codec: CODEC_IMPAIRMENTS.g729, lossRatio: 0, jitterMs: 0 });
    expect(a.r - b.r).toBeCloseTo(11, 10);
    expect(b.mos).toBeGreaterThan(4.0);
  });
  it('Ie,eff = Ie + (95 − Ie)·Ppl/(Ppl + Bpl): 1% loss on G.711 with PLC', () => {
    expect(effectiveEquipmentImpairment(g711, 0.01)).toBeCloseTo(95 / 26.1, 12);
    expect(effectiveEquipmentImpairment(CODEC_IMPAIRMENTS.g711NoPlc, 0.01)).toBeCloseTo(95 / 5.3, 12);
    expect(effectiveEquipmentImpairment(g711, 0)).toBe(0);
    expect(effectiveEquipmentImpairment(g711, 2)).toBeCloseTo((95 * 100) / 125.1, 12);
  });
  it('Id is piecewise at 160 ms and continuous there', () => {
    expect(delayImpairment(80)).toBe(2);
    expect(delayImpairment(159.999)).toBeCloseTo(4, 3);
    expect(delayImpairment(160)).toBe(4);
    expect(delayImpairment(220)).toBe(10);
  });
  it('effective latency = delay + 2·jitter + 10', () => {
    expect(estimateMos({ codec: g711, lossRatio: 0, jitterMs: 15, delayMs: 100 }).effectiveLatencyMs).toBe(140);
  });
  it('decreases monotonically with loss', () => {
    let prev = Infinity;
    for (let p = 0; p <= 1; p += 0.005) {
      const m = estimateMos({ codec: g711, lossRatio: p, jitterMs: 5, delayMs: 40 }).mos;
      expect(m).toBeLessThanOrEqual(prev);
      prev = m;
    }
    // Total loss: Ie,eff = 95·100/125.1 ≈ 76 leaves R ≈ 15.8 here, MOS ≈ 1.15: loss alone never reaches 1.
    expect(prev).toBeLessThan(1.2);
  });
  it('decreases monotonically with delay and with jitter', () => {
    let prevD = Infinity;
    let prevJ = Infinity;
    for (let ms = 0; ms <= 2000; ms += 5) {
      const d = estimateMos({ codec: g711, lossRatio: 0.005, jitterMs: 0, delayMs: ms }).mos;
      const j = estimateMos({ codec: g711, lossRatio: 0.005, jitterMs: ms / 2 }).mos;
      expect(d).toBeLessThanOrEqual(prevD);
      expect(j).toBeLessThanOrEqual(prevJ);
      prevD = d;
      prevJ = j;
    }
    expect(prevD).toBe(1);
  });
  it('operator targets: 1% loss with modest jitter stays above 4.0 on G.711; 5% does not', () => {
    expect(estimateMos({ codec: g711, lossRatio: 0.01, jitterMs: 10, delayMs: 30 }).mos).toBeGreaterThan(4.0);
    expect(estimateMos({ codec: g711, lossRatio: 0.05, jitterMs: 10, delayMs: 30 }).mos).toBeLessThan(4.0);
  });
  it('always within [1, 4.5], whatever the input', () => {
    for (const lossRatio of [-1, 0, 0.5, 1, 5, Number.NaN]) {
      for (const jitterMs of [-5, 0, 1e6, Number.NaN]) {
        const m = estimateMos({ codec: g711, lossRatio, jitterMs }).mos;
        expect(m).toBeGreaterThanOrEqual(1);
        expect(m).toBeLessThanOrEqual(4.5);
      }
    }
  });
  it('codecImpairment maps rtpmap names', () => {
    expect(codecImpairment('PCMA')).toBe(g711);
    expect(codecImpairment('g729')).toBe(CODEC_IMPAIRMENTS.g729);
    expect(codecImpairment('opus')).toBe(CODEC_IMPAIRMENTS.opus);
    expect(codecImpairment('telephone-event')).toBe(g711);
  });
});
