export type {
  CertificateAuthority,
  CrlOptions,
  ExtendedKeyUsageName,
  IssueClientOptions,
  IssueIntermediateOptions,
  IssueServerOptions,
  RootCaOptions,
} from './authority.ts';
export { createRootCa } from './authority.ts';
export type { Issued } from './issued.ts';
export { toEncryptedPkcs8Pem, toPkcs1Pem, toSec1Pem } from './key-formats.ts';
export type { KeySpec } from './key-spec.ts';
export type { Pkcs12Options } from './pkcs12.ts';
export { toPkcs12 } from './pkcs12.ts';
export type { ClientFlavours, TestPki, TestPkiOptions } from './test-pki.ts';
export { createTestPki } from './test-pki.ts';
