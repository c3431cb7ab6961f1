/**
 * The gateway emulator: a local stand-in for an ALB listener in mutual-TLS mode in front of an
 * API Gateway private REST API. Modes off / passthrough / verify, a reloadable trust store with
 * CRLs, the ALB's `X-Amzn-Mtls-*` headers and connection-log codes, and refusals a client sees as
 * a real TLS alert, a TCP reset or a clean close (TLS 1.2 and 1.3), optionally delayed.
 *
 * Known limits: the TLS 1.3 alert is built from the key log (Node exposes it per socket only
 * through an internal handle method; without it the refusal degrades to a FIN); `tls_keyexchange`
 * is logged as `-` (Node does not report the group on the server side).
 */
export type { ApiAnswer, ApiRequest, Widget } from './built-in-api.ts';
export type { ParsedCertificate } from './certificate.ts';
export { parseCertificate, pemCertificatesToDer } from './certificate.ts';
export type {
  AlbClientCertFailure,
  ClientChainVerdict,
  JudgeOptions,
  RefusalAlert,
  TlsVerifyStatus,
} from './client-chain-verdict.ts';
export {
  alertNumbers,
  judgeClientChain,
  judgeClientChain as verifyClientChain,
} from './client-chain-verdict.ts';
export type { ConnectionLogEntry } from './connection-log.ts';
export { formatConnectionLogLine } from './connection-log.ts';
export { formatRfc2253 } from './distinguished-name.ts';
export type { Gateway } from './gateway.ts';
export { startGateway } from './gateway.ts';
export type { MtlsHeaderField, MtlsHeaderNames } from './mtls-headers.ts';
export { decodeMtlsHeader, encodePemForHeader, mtlsHeaderNames } from './mtls-headers.ts';
export type {
  AlpnProtocol,
  ApiGatewayOptions,
  GatewayOptions,
  GatewayUpdate,
  MtlsMode,
  RefusalOptions,
  RefusalStyle,
  TlsVersion as GatewayTlsVersion,
} from './options.ts';
export { defaultUpstreamTimeoutMs, refusalStyles, s2nBlinding } from './options.ts';
export type { CompiledTrustStore, TrustStoreInput } from './trust-store.ts';
export { compileTrustStore } from './trust-store.ts';
