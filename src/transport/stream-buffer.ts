// The per-connection byte accumulator in front of frame(). Segments are framed in
// place when nothing is pending (the common case: whole messages per segment, no copy);
// only an incomplete tail is copied into a growable buffer, which doubles in size so a
// message arriving in n segments costs O(total bytes), not O(n * bytes).
import { frame, INITIAL_FRAME_STATE, type FrameEvent, type FrameState, type FramingError, type FramingLimits } from './framing.js';

export interface StreamFramerLimits extends FramingLimits {
  /** Most unframed bytes held for one connection (transport.maxBufferedBytes). */
  readonly maxBufferedBytes: number;
}

export type StreamFramerError = FramingError | { readonly reason: 'buffer_limit'; readonly detail: string };

export interface PushResult {
  readonly events: FrameEvent[];
  readonly error?: StreamFramerError;
}

export interface StreamFramer {
  /** Adds a received segment; returns what it completed. After an error, discard the framer. */
  push(chunk: Buffer): PushResult;
  /** Unframed bytes held. */
  buffered(): number;
}

const MIN_CAPACITY = 4096;

export function createStreamFramer(limits: StreamFramerLimits): StreamFramer {
  let acc: Buffer | null = null; // holds the unframed tail in [0, len)
  let len = 0;
  let state: FrameState = INITIAL_FRAME_STATE;

  function ensureCapacity(needed: number): Buffer {
    if (acc !== null && acc.length >= needed) return acc;
    let cap = acc === null ? MIN_CAPACITY : acc.length * 2;
    while (cap < needed) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    if (acc !== null && len > 0) acc.copy(next, 0, 0, len);
    acc = next;
    return next;
  }

  function keepTail(from: Buffer, start: number, end: number, reuse: boolean): void {
    const n = end - start;
    if (!reuse) {
      // Messages handed out may be views into acc; never write over them.
      acc = null;
      len = 0;
    }
    if (n === 0) {
      len = 0;
      return;
    }
    if (reuse && start === 0) return; // the tail is already in place
    const target = ensureCapacity(n);
    from.copy(target, 0, start, end);
    len = n;
  }

  return {
    push(chunk) {
      let view: Buffer;
      let fromAcc: boolean;
      if (len === 0) {
        view = chunk;
        fromAcc = false;
      } else {
        const target = ensureCapacity(len + chunk.length);
        chunk.copy(target, len);
        len += chunk.length;
        view = target.subarray(0, len);
        fromAcc = true;
      }
      const r = frame(view, state, limits);
      state = r.state;
      if (r.error) {
        acc = null;
        len = 0;
        return { events: r.events, error: r.error };
      }
      const emitted = r.events.some((e) => e.type === 'message');
      // When framing ran on acc and emitted messages, acc now backs them: start a new one.
      // When it ran on the chunk, the tail is copied so a small tail does not pin a big chunk.
      keepTail(view, r.consumed, view.length, fromAcc && !emitted);
      if (len > limits.maxBufferedBytes) {
        acc = null;
        len = 0;
        return { events: r.events, error: { reason: 'buffer_limit', detail: `more than ${limits.maxBufferedBytes} unframed bytes` } };
      }
      return { events: r.events };
    },
    buffered: () => len,
  };
}
