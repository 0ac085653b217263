// Public surface of call-quality statistics.
export * from './receive.js';
export * from './mos.js';
