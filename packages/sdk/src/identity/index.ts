export { parseCrls, type RevocationList } from './crl.ts';
export type { Duration } from './lifecycle/duration.ts';
export { inspectIdentity } from './alb/inspect.ts';
export {
  fromIdentity,
  type IdentityLoader,
  RefreshingIdentityProvider,
  type RefreshOptions,
} from './lifecycle/provider.ts';
export { readIdentity, readIdentityParts } from './formats/read-identity.ts';
export { MAX_CHAIN_DEPTH } from './alb/rules.ts';
export { type EnvIdentityOptions, fromEnv } from './sources/env.ts';
export { type FilesIdentityOptions, fromFiles } from './sources/files.ts';
export { fromLambdaExtension, type LambdaExtensionIdentityOptions } from './sources/lambda-extension.ts';
export { fromSecretsManager, type SecretsManagerIdentityOptions } from './sources/secrets-manager.ts';
export type {
  AlbVerifyStatus,
  ClientIdentity,
  ExpiryWarningEvent,
  FindingCode,
  IdentityEvents,
  IdentityFinding,
  IdentityInspection,
  IdentityMaterial,
  IdentityProvider,
  InspectIdentityOptions,
  MaterialPart,
  ReadIdentityOptions,
  RefreshEvent,
  RefreshFailedEvent,
} from './types.ts';
