/**
 * `@mtls-link/sdk/diagnostics`: what a troubleshooting tool needs beside the client (the probe uses
 * it): the failure classifier, TLS alert reading, connection facts and single exchanges, CRL parsing
 * and judging, and the offline judgement of an identity against the ALB's rules.
 */
export * from './classify/index.ts';
export { inspectIdentity } from './identity/alb/inspect.ts';
export { MAX_CHAIN_DEPTH } from './identity/alb/rules.ts';
export {
  type CrlIssuerMatch,
  type CrlSignatureVerdict,
  DN_ATTRIBUTE_NAMES,
  findCrlIssuer,
  type JudgeCrlsOptions,
  type JudgedCrl,
  judgeCrlPems,
  judgeCrls,
  loadCrlReader,
  parseCrls,
  type RevocationList,
} from './identity/crl.ts';
export { normalizeSerial } from './identity/serial.ts';
export type {
  AlbVerifyStatus,
  FindingCode,
  IdentityFinding,
  IdentityInspection,
  InspectIdentityOptions,
} from './identity/types.ts';
export {
  type AcceptanceEvidence,
  type ConnectionFacts,
  connectionFactsOf,
  type ExchangeOptions,
  type ExchangeOutcome,
  type ExchangeRequest,
  type ExchangeResponse,
  exchangeOnce,
} from './transport/index.ts';
