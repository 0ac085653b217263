import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { createMemoryStore, type MemoryStore } from '../../src/state/memory.js';
import type { Ban } from '../../src/state/types.js';

const T0 = 1_000_000;

function ban(address: string, until: number, reason = 'flood'): Ban {
  return { address, reason, until, createdAt: T0, origin: 'test' };
}

describe('memory store', () => {
  let store: MemoryStore;

  beforeEach(() => {
    // Fake timers move Date.now and the sweep's interval together.
    vi.useFakeTimers({ now: T0 });
    store = createMemoryStore({ sweepIntervalMs: 1000 });
  });

  afterEach(async () => {
    await store.close();
    vi.useRealTimers();
  });

  it('is always up and ready', async () => {
    expect(store.kind).toBe('memory');
    expect(store.up()).toBe(true);
    expect(await store.ready()).toBe(true);
  });

  describe('bans', () => {
    it('adds, finds, lists and removes a ban, telling listeners each time', async () => {
      const seen: [string, Ban | undefined][] = [];
      store.onBanChange((a, b) => seen.push([a, b]));
      const b = ban('192.0.2.1', T0 + 60_000);
      await store.addBan(b);
      expect(store.isBanned('192.0.2.1', T0)).toEqual(b);
      expect(store.isBanned('192.0.2.2', T0)).toBeUndefined();
      expect(store.listBans(T0)).toEqual([b]);
      expect(await store.removeBan('192.0.2.1')).toBe(true);
      expect(await store.removeBan('192.0.2.1')).toBe(false);
      expect(store.isBanned('192.0.2.1', T0)).toBeUndefined();
      expect(seen).toEqual([
        ['192.0.2.1', b],
        ['192.0.2.1', undefined],
      ]);
    });

    it('a later ban for the same address replaces the earlier one', async () => {
      await store.addBan(ban('192.0.2.1', T0 + 1000, 'a'));
      await store.addBan(ban('192.0.2.1', T0 + 5000, 'b'));
      expect(store.isBanned('192.0.2.1', T0 + 2000)?.reason).toBe('b');
      expect(store.listBans(T0)).toHaveLength(1);
    });

    it('expires lazily on look-up, and the lift is announced', async () => {
      const lifted: string[] = [];
      store.onBanChange((a, b) => b === undefined && lifted.push(a));
      await store.addBan(ban('2001:db8::1', T0 + 1000));
      expect(store.isBanned('2001:db8::1', T0 + 999)).toBeDefined();
      expect(store.isBanned('2001:db8::1', T0 + 1000)).toBeUndefined();
      expect(store.sizes().bans).toBe(0);
      expect(lifted).toEqual(['2001:db8::1']);
    });

    it('listBans leaves out expired bans', async () => {
      await store.addBan(ban('192.0.2.1', T0 + 1000));
      await store.addBan(ban('192.0.2.2', T0 + 9000));
      expect(store.listBans(T0 + 5000).map((b) => b.address)).toEqual(['192.0.2.2']);
    });

    it('the periodic sweep removes expired bans nobody looks up (memory is O(active bans))', async () => {
      for (let i = 0; i < 100; i++) await store.addBan(ban(`10.0.0.${i}`, T0 + 500));
      await store.addBan(ban('10.0.1.1', T0 + 60_000));
      expect(store.sizes().bans).toBe(101);
      vi.advanceTimersByTime(1000);
      expect(store.sizes().bans).toBe(1);
    });

    it('a throwing listener does not stop the others', async () => {
      const seen: string[] = [];
      store.onBanChange(() => {
        throw new Error('boom');
      });
      store.onBanChange((a) => seen.push(a));
      await store.addBan(ban('192.0.2.9', T0 + 1000));
      expect(seen).toEqual(['192.0.2.9']);
    });
  });

  describe('incrWindow', () => {
    it('counts within a window fixed at the first increment, then starts over', async () => {
      expect(await store.incrWindow('auth:192.0.2.1', 1000)).toBe(1);
      vi.advanceTimersByTime(600);
      expect(await store.incrWindow('auth:192.0.2.1', 1000)).toBe(2);
      // Later increments did not stretch the window: it ends 1000 ms after the first.
      vi.advanceTimersByTime(400);
      expect(await store.incrWindow('auth:192.0.2.1', 1000)).toBe(1);
    });

    it('keys are independent', async () => {
      await store.incrWindow('a', 1000);
      await store.incrWindow('a', 1000);
      expect(await store.incrWindow('b', 1000)).toBe(1);
    });

    it('is swept and bounded', async () => {
      const s = createMemoryStore({ maxWindows: 3, sweepIntervalMs: 1000 });
      for (const k of ['a', 'b', 'c', 'd']) await s.incrWindow(k, 500);
      expect(s.sizes().windows).toBe(3);
      // The oldest ('a') went first.
      expect(await s.incrWindow('a', 500)).toBe(1);
      vi.advanceTimersByTime(1000);
      expect(s.sizes().windows).toBe(0);
      await s.close();
    });
  });

  describe('shares', () => {
    it('adds and subtracts, never below zero, and drops a key at zero', async () => {
      expect(await store.addShare('trunk:a', 1)).toBe(1);
      expect(await store.addShare('trunk:a', 2)).toBe(3);
      expect(store.shareTotal('trunk:a')).toBe(3);
      expect(await store.addShare('trunk:a', -3)).toBe(0);
      expect(await store.addShare('trunk:a', -1)).toBe(0);
      expect(store.shareTotal('trunk:a')).toBe(0);
      expect(store.sizes().shares).toBe(0);
      expect(store.shareTotal('never')).toBe(0);
    });
  });

  describe('checkNonceCount', () => {
    it('accepts only increasing nonce-counts per nonce (RFC 7616 §3.4 replay detection)', async () => {
      expect(await store.checkNonceCount('n1', 1, 10_000)).toBe(true);
      expect(await store.checkNonceCount('n1', 1, 10_000)).toBe(false);
      expect(await store.checkNonceCount('n1', 3, 10_000)).toBe(true);
      expect(await store.checkNonceCount('n1', 2, 10_000)).toBe(false);
      expect(await store.checkNonceCount('n2', 1, 10_000)).toBe(true);
    });

    it('forgets a nonce after its ttl', async () => {
      await store.checkNonceCount('n1', 5, 1000);
      vi.advanceTimersByTime(1000);
      expect(await store.checkNonceCount('n1', 1, 1000)).toBe(true);
    });

    it('evicts the oldest nonce at the cap', async () => {
      const s = createMemoryStore({ maxNonces: 2 });
      await s.checkNonceCount('a', 1, 10_000);
      await s.checkNonceCount('b', 1, 10_000);
      await s.checkNonceCount('c', 1, 10_000);
      expect(s.sizes().nonces).toBe(2);
      expect(await s.checkNonceCount('b', 1, 10_000)).toBe(false);
      expect(await s.checkNonceCount('a', 1, 10_000)).toBe(true);
      await s.close();
    });

    it('property: accepted counts per nonce are strictly increasing', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('x', 'y', 'z'), fc.integer({ min: 1, max: 20 })), { maxLength: 60 }), async (calls) => {
          const s = createMemoryStore();
          const highest = new Map<string, number>();
          for (const [nonce, nc] of calls) {
            const ok = await s.checkNonceCount(nonce, nc, 60_000);
            const h = highest.get(nonce) ?? 0;
            expect(ok).toBe(nc > h);
            if (ok) highest.set(nonce, nc);
          }
          await s.close();
        }),
      );
    });
  });

  it('close stops the sweep timer', async () => {
    const before = vi.getTimerCount();
    const s = createMemoryStore();
    expect(vi.getTimerCount()).toBe(before + 1);
    await s.close();
    await s.close();
    expect(vi.getTimerCount()).toBe(before);
  });
});
