export * from './classify/index.ts';
export * from './client/index.ts';
export * from './errors/index.ts';
export * from './identity/index.ts';
export {
  type AcceptanceEvidence,
  type ConnectionFacts,
  connectionFactsOf,
  type ExchangeOptions,
  type ExchangeOutcome,
  type ExchangeRequest,
  type ExchangeResponse,
  exchangeOnce,
  type SwapEvent,
} from './transport/index.ts';
