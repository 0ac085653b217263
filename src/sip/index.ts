// Public surface of the SIP syntax layer.
export * from './limits.js';
export * from './headers.js';
export * from './params.js';
export * from './uri.js';
export * from './nameaddr.js';
export * from './via.js';
export * from './cseq.js';
export * from './digest.js';
export { type SipMessage, topLevelComma } from './message.js';
export * from './parse.js';
export * from './response.js';
