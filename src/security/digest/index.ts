// SIP digest authentication: client side (answering carriers), server side
// (challenging callers), stateless nonces and the replay guard.

export type { Algorithm, DigestInput, HashName, NcTracker, NonceCheck, NonceManager, Qop } from './types.js';
export { ALL_ALGORITHMS, digestResponse, ha1, parseAlgorithm, userhash } from './hash.js';
export { readDigest, type DigestParams } from './params.js';
export { answerChallenge, type AnswerResult, type ClientCredentials, type ClientOptions, type ClientRequest } from './client.js';
export { createNonceManager, type NonceOptions } from './nonce.js';
export { createMemoryNcTracker, type MemoryNcTracker, type MemoryNcTrackerOptions } from './nc-tracker.js';
export {
  buildChallenges,
  verifyCredentials,
  type ChallengeOptions,
  type FailReason,
  type Ha1Lookup,
  type VerifyOptions,
  type VerifyRequest,
  type VerifyResult,
} from './server.js';
