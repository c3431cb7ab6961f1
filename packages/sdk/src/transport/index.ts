export { type ConnectionFacts, connectionFactsOf, trackingConnector } from './connection-facts.ts';
export {
  IdentityTransport,
  type IdentityTransportOptions,
  isIdentityProvider,
  type SwapEvent,
} from './identity-transport.ts';
export { createIdentityPool, type IdentityPool, type PoolSettings, type TlsMaterial } from './pool.ts';
