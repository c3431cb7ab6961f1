export {
  type AcceptanceEvidence,
  type ConnectionFacts,
  connectionFactsOf,
  type TrackingConnector,
  type TrackingOptions,
  trackingConnector,
  trackingTlsOptions,
} from './connection-facts.ts';
export {
  type ExchangeOptions,
  type ExchangeOutcome,
  type ExchangeRequest,
  type ExchangeResponse,
  exchangeOnce,
} from './exchange.ts';
export {
  IdentityTransport,
  type IdentityTransportOptions,
  isIdentityProvider,
  type SwapEvent,
} from './identity-transport.ts';
export { createIdentityPool, type IdentityPool, type PoolSettings, type TlsMaterial } from './pool.ts';
