/**
 * `@mtls-link/sdk/diagnostics`: what a troubleshooting tool needs beside the client (the probe uses
 * it): the failure classifier, TLS alert reading, connection facts, CRL parsing and the offline
 * judgement of an identity against the ALB's rules.
 */
export * from './classify/index.ts';
export { inspectIdentity } from './identity/alb/inspect.ts';
export { MAX_CHAIN_DEPTH } from './identity/alb/rules.ts';
export { parseCrls, type RevocationList } from './identity/crl.ts';
export type {
  AlbVerifyStatus,
  FindingCode,
  IdentityFinding,
  IdentityInspection,
  InspectIdentityOptions,
} from './identity/types.ts';
export { type ConnectionFacts, connectionFactsOf } from './transport/index.ts';
