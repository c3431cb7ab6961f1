export * from './classify/index.ts';
export * from './client/index.ts';
export * from './errors/index.ts';
export * from './identity/index.ts';
export { type ConnectionFacts, connectionFactsOf, type SwapEvent } from './transport/index.ts';
