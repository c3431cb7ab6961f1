// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API first.
import 'reflect-metadata';
import type { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

import type { KeyType } from './key-types.ts';

const ALGORITHMS: Readonly<
  Record<
    KeyType,
    { generate: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams; sign: webcrypto.Algorithm }
  >
> = {
  'ec-p256': {
    generate: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
  },
  'ec-p384': {
    generate: { name: 'ECDSA', namedCurve: 'P-384' },
    sign: { name: 'ECDSA', hash: 'SHA-384' } as webcrypto.EcdsaParams,
  },
  'rsa-2048': {
    generate: {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
  'rsa-4096': {
    generate: {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 4096,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
};

/** A fresh private key and the CSR for it. The key stays in this process until it is stored. */
export interface KeyRequest {
  /** PKCS#8 PEM. Never log it. */
  readonly keyPem: string;
  readonly csrPem: string;
}

let providerSet = false;

/** Makes the key with WebCrypto and a PKCS#10 request for `CN=<commonName>` signed by it. */
export async function createKeyRequest(keyType: KeyType, commonName: string): Promise<KeyRequest> {
  if (!providerSet) {
    x509.cryptoProvider.set(globalThis.crypto);
    providerSet = true;
  }
  const { generate, sign } = ALGORITHMS[keyType];
  const keys = (await crypto.subtle.generateKey(generate, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: sign,
  });
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const body = pkcs8.toString('base64').replace(/.{1,64}/g, '$&\n');
  return {
    keyPem: `-----BEGIN PRIVATE KEY-----\n${body}-----END PRIVATE KEY-----\n`,
    csrPem: `${csr.toString('pem').trimEnd()}\n`,
  };
}
