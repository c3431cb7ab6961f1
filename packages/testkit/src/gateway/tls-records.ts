import {
  type CipherCCMTypes,
  type CipherChaCha20Poly1305Types,
  type CipherGCMTypes,
  createCipheriv,
  createHmac,
} from 'node:crypto';

/**
 * Just enough of the TLS record layer to let the emulator send the alert a refusing ALB sends.
 * OpenSSL (through Node) cannot be told to send an arbitrary alert, so the emulator builds the
 * record itself: in plaintext before the server's ChangeCipherSpec (TLS 1.2), or encrypted with the
 * server application traffic secret taken from the key log (TLS 1.3), at sequence number 0 because
 * every record the engine produced under that key is withheld from the client.
 */

export const recordType = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23 } as const;
export const alertLevel = { warning: 1, fatal: 2 } as const;

export function plaintextAlertRecord(level: number, description: number): Buffer {
  return Buffer.from([recordType.alert, 0x03, 0x03, 0x00, 0x02, level, description]);
}

interface Tls13Suite {
  readonly cipher: CipherGCMTypes | CipherChaCha20Poly1305Types | CipherCCMTypes;
  readonly keyLength: number;
  readonly hash: 'sha256' | 'sha384';
}

const tls13Suites: Readonly<Record<string, Tls13Suite>> = {
  TLS_AES_128_GCM_SHA256: { cipher: 'aes-128-gcm', keyLength: 16, hash: 'sha256' },
  TLS_AES_256_GCM_SHA384: { cipher: 'aes-256-gcm', keyLength: 32, hash: 'sha384' },
  TLS_CHACHA20_POLY1305_SHA256: { cipher: 'chacha20-poly1305', keyLength: 32, hash: 'sha256' },
  TLS_AES_128_CCM_SHA256: { cipher: 'aes-128-ccm', keyLength: 16, hash: 'sha256' },
};

export function supportsTls13Suite(name: string): boolean {
  return name in tls13Suites;
}

function hkdfExpand(hash: string, prk: Buffer, info: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    previous = createHmac(hash, prk)
      .update(Buffer.concat([previous, info, Buffer.from([i])]))
      .digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** HKDF-Expand-Label of RFC 8446 section 7.1, with an empty context. */
function hkdfExpandLabel(hash: string, secret: Buffer, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'ascii');
  const info = Buffer.concat([
    Buffer.from([length >> 8, length & 0xff, fullLabel.length]),
    fullLabel,
    Buffer.from([0]),
  ]);
  return hkdfExpand(hash, secret, info, length);
}

/** One TLS 1.3 record (RFC 8446 section 5.2) protected with a traffic secret at a sequence number. */
export function tls13ProtectedRecord(
  suiteName: string,
  trafficSecret: Buffer,
  sequence: number,
  innerType: number,
  content: Buffer,
): Buffer {
  const suite = tls13Suites[suiteName];
  if (suite === undefined)
    throw new Error(`TLS 1.3 cipher suite ${suiteName} is not supported for crafted records`);
  const key = hkdfExpandLabel(suite.hash, trafficSecret, 'key', suite.keyLength);
  const iv = hkdfExpandLabel(suite.hash, trafficSecret, 'iv', 12);
  const nonce = Buffer.from(iv);
  const seq = Buffer.alloc(8);
  seq.writeBigUInt64BE(BigInt(sequence));
  for (let i = 0; i < 8; i++) nonce[4 + i] = (nonce[4 + i] as number) ^ (seq[i] as number);
  const inner = Buffer.concat([content, Buffer.from([innerType])]);
  const length = inner.length + 16;
  const header = Buffer.from([recordType.applicationData, 0x03, 0x03, length >> 8, length & 0xff]);
  // The CCM overload wants its own literal type; GCM and ChaCha20-Poly1305 share the AEAD API.
  const cipher =
    suite.cipher === 'aes-128-ccm'
      ? createCipheriv(suite.cipher, key, nonce, { authTagLength: 16 })
      : createCipheriv(suite.cipher as CipherGCMTypes, key, nonce, { authTagLength: 16 });
  cipher.setAAD(header, { plaintextLength: inner.length });
  const body = Buffer.concat([cipher.update(inner), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

export function tls13AlertRecord(
  suiteName: string,
  trafficSecret: Buffer,
  sequence: number,
  level: number,
  description: number,
): Buffer {
  return tls13ProtectedRecord(
    suiteName,
    trafficSecret,
    sequence,
    recordType.alert,
    Buffer.from([level, description]),
  );
}

/** `SERVER_TRAFFIC_SECRET_0 <client_random> <secret>` from an NSS key log line. */
export function serverTrafficSecretFromKeylog(line: Buffer | string): Buffer | undefined {
  const text = line.toString('latin1').trim();
  if (!text.startsWith('SERVER_TRAFFIC_SECRET_0 ')) return undefined;
  const secret = text.split(' ')[2];
  return secret === undefined ? undefined : Buffer.from(secret, 'hex');
}

const helloRetryRandom = Buffer.from(
  'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c',
  'hex',
);

/** Whether a server write starts with a HelloRetryRequest (a ServerHello with the magic random). */
export function startsWithHelloRetryRequest(chunk: Buffer): boolean {
  // record header (5) + handshake type (1) + length (3) + legacy_version (2) = 11, then 32 bytes random
  return (
    chunk.length >= 43 &&
    chunk[0] === recordType.handshake &&
    chunk[5] === 2 &&
    chunk.subarray(11, 43).equals(helloRetryRandom)
  );
}
