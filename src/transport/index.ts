// The transport layer's public surface.
export type { Source, InboundMessage, Destination, ListenerInfo } from './types.js';
export { createTransportManager, type TransportDeps, type TransportManager } from './manager.js';
export { frame, INITIAL_FRAME_STATE } from './framing.js';
export type { FrameEvent, FrameResult, FrameState, FramingError, FramingErrorReason, FramingLimits } from './framing.js';
export { createStreamFramer, type StreamFramer, type StreamFramerError } from './stream-buffer.js';
export { DROP_REASONS, type DropReason } from './drops.js';
export { unmapAddress } from './address.js';
export type { SendFailureReason } from './connector.js';
