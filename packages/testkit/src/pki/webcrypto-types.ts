import type { webcrypto } from 'node:crypto';

// The project compiles without the DOM lib, so WebCrypto's types come from Node's declarations.
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export type SignatureAlgorithm =
  | webcrypto.Algorithm
  | webcrypto.EcdsaParams
  | webcrypto.RsaHashedImportParams;
