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
export { decodeMtlsHeader, encodePemForHeader, mtlsHeaderNames } from './mtls-headers.ts';
export type {
  AlpnProtocol,
  GatewayOptions,
  GatewayUpdate,
  MtlsMode,
  RefusalStyle,
  TlsVersion as GatewayTlsVersion,
} from './options.ts';
export type { CompiledTrustStore, TrustStoreInput } from './trust-store.ts';
export { compileTrustStore } from './trust-store.ts';
