export { loadAsn1Readers, loadAsn1ReadersFor } from './formats/asn1-readers.ts';
export { readIdentity, readIdentityParts } from './formats/read-identity.ts';
export type { Duration } from './lifecycle/duration.ts';
export {
  fromIdentity,
  type IdentityLoader,
  type LoadContext,
  RefreshingIdentityProvider,
  type RefreshOptions,
} from './lifecycle/provider.ts';
export { type EnvIdentityOptions, fromEnv } from './sources/env.ts';
export { type FilesIdentityOptions, fromFiles } from './sources/files.ts';
export { fromLambdaExtension, type LambdaExtensionIdentityOptions } from './sources/lambda-extension.ts';
export {
  fromSecretsManager,
  type SecretsManagerIdentityOptions,
  secretError,
} from './sources/secrets-manager.ts';
export { guardIdentity, summarizeIdentity } from './summary.ts';
export type {
  ClientIdentity,
  ExpiryWarningEvent,
  IdentityEvents,
  IdentityMaterial,
  IdentityProvider,
  IdentitySummary,
  MaterialPart,
  ReadIdentityOptions,
  RefreshEvent,
  RefreshFailedEvent,
} from './types.ts';
