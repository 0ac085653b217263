// Public surface of the SDP layer.
export * from './types.js';
export { parseSdp } from './parse.js';
export { serializeSdp, sdpToBuffer } from './serialize.js';
export { splitCrypto, attrName, attrValue } from './fields.js';
export * from './media.js';
export * from './origin.js';
export * from './rewrite.js';
export * from './multipart.js';
export * from './policy.js';
