// Test doubles for the transaction layer: a SendTarget that records what was sent
// and when (under vitest fake timers Date.now() is the fake clock), and a client
// init whose callbacks record what the core would have seen.
import { vi } from 'vitest';
import type { ClientTransactionInit, SendTarget } from '../../../src/proxy/transaction/index.js';

export interface Sent { readonly at: number; readonly text: string }

export interface RecordingTarget extends SendTarget {
  readonly sent: Sent[];
  /** make send() fail from now on */
  fail: boolean;
  texts(): string[];
  times(): number[];
}

export function recordingTarget(reliable = false, start = Date.now()): RecordingTarget {
  const sent: Sent[] = [];
  return {
    reliable,
    sent,
    fail: false,
    send(bytes: Buffer): boolean {
      if (this.fail) return false;
      sent.push({ at: Date.now() - start, text: bytes.toString() });
      return true;
    },
    texts: () => sent.map((s) => s.text),
    times: () => sent.map((s) => s.at),
  };
}

export interface ClientRecord {
  readonly init: ClientTransactionInit;
  readonly responses: Array<[number, string]>;
  timeouts: number;
  transportErrors: number;
  timerC: number;
}

export function clientInit(
  key: string,
  method: string,
  target: SendTarget,
  extra: Partial<Pick<ClientTransactionInit, 'buildAck' | 'onTimerC'>> & { ack?: boolean } = {},
): ClientRecord {
  const rec: ClientRecord = {
    responses: [],
    timeouts: 0,
    transportErrors: 0,
    timerC: 0,
    init: undefined as unknown as ClientTransactionInit,
  };
  (rec as { init: ClientTransactionInit }).init = {
    key,
    method,
    request: Buffer.from(`${method} sip:x`),
    target,
    onResponse: (status, raw) => rec.responses.push([status, raw.toString()]),
    onTimeout: () => { rec.timeouts++; },
    onTransportError: () => { rec.transportErrors++; },
    ...(method === 'INVITE' && extra.ack !== false
      ? { buildAck: extra.buildAck ?? ((status: number) => Buffer.from(`ACK for ${status}`)) }
      : {}),
    ...(extra.onTimerC ? { onTimerC: extra.onTimerC } : {}),
  };
  return rec;
}

export const b = (s: string): Buffer => Buffer.from(s);

export function useFakeClock(): void {
  vi.useFakeTimers({ now: 1_000_000 });
}
