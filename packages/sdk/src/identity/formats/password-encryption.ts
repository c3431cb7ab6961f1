import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, PBES2Params, PBKDF2Params } from 'pkijs';

// Password-based encryption as PKCS#12 and PKCS#8 use it: PBES2 (PBKDF2 + AES/3DES) and the legacy
// PKCS#12 PBE (its own key derivation, RFC 7292 appendix B). Everything is synchronous node:crypto so
// that reading an identity stays synchronous.

/**
 * A hostile or corrupted secret could ask for billions of iterations and hang the process. Real files
 * use 2,048 (OpenSSL) to 600,000 (OWASP's PBKDF2 advice); the JavaScript PKCS#12 KDF takes about
 * 1.4 s at this limit.
 */
const MAX_ITERATIONS = 1_000_000;

export class PasswordEncryptionError extends Error {
  readonly reason: 'unsupported' | 'malformed' | 'too-many-iterations' | 'bad-decrypt';
  constructor(reason: PasswordEncryptionError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  pbeSha2Des: '1.2.840.113549.1.12.1.4',
  pbeShaRc2128: '1.2.840.113549.1.12.1.5',
  pbeShaRc240: '1.2.840.113549.1.12.1.6',
} as const;

const HMAC_PRF: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const DIGESTS: Record<string, { name: string; blockSize: number; size: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', blockSize: 64, size: 20 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', blockSize: 64, size: 28 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', blockSize: 64, size: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', blockSize: 128, size: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', blockSize: 128, size: 64 },
};

const PBES2_CIPHERS: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

const PKCS12_PBE_CIPHERS: Record<string, { name: string; keyLength: number; ivLength: number }> = {
  [OID.pbeSha3Des]: { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
  [OID.pbeSha2Des]: { name: 'des-ede-cbc', keyLength: 16, ivLength: 8 },
  [OID.pbeShaRc2128]: { name: 'rc2-cbc', keyLength: 16, ivLength: 8 },
  [OID.pbeShaRc240]: { name: 'rc2-40-cbc', keyLength: 5, ivLength: 8 },
};

/**
 * An INTEGER as a number. asn1js's `valueDec` (which pkijs copies into `iterationCount`) reads 0 for
 * four-byte values, so large counts are read here from the bytes.
 */
export function integerValue(value: unknown): number {
  if (!(value instanceof asn1js.Integer))
    throw new PasswordEncryptionError('malformed', 'expected an INTEGER');
  const big = value.toBigInt();
  return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(big);
}

/** PBKDF2-params: `SEQUENCE { salt, iterationCount INTEGER, ... }`, read from the raw schema. */
function pbkdf2Iterations(params: unknown): number {
  if (!(params instanceof asn1js.Sequence))
    throw new PasswordEncryptionError('malformed', 'PBKDF2 parameters');
  const iterations = integerValue(params.valueBlock.value[1]);
  checkIterations(iterations);
  return iterations;
}

function checkIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new PasswordEncryptionError('malformed', 'the iteration count is not a positive integer');
  }
  if (iterations > MAX_ITERATIONS) {
    throw new PasswordEncryptionError(
      'too-many-iterations',
      `the iteration count ${iterations} exceeds the limit of ${MAX_ITERATIONS}`,
    );
  }
}

function parseAsn1(bytes: Uint8Array): asn1js.AsnType {
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1)
    throw new PasswordEncryptionError('malformed', 'the encryption parameters do not parse');
  return parsed.result;
}

function fromSchema<T>(make: (schema: asn1js.AsnType) => T, schema: unknown): T {
  try {
    return make(schema as asn1js.AsnType);
  } catch {
    throw new PasswordEncryptionError('malformed', 'the encryption parameters do not parse');
  }
}

/**
 * Octets of an OCTET STRING, constructed (BER) or primitive; also accepts the IMPLICIT-tagged
 * primitive pkijs leaves for EncryptedContentInfo's content.
 */
export function octets(value: unknown): Uint8Array {
  if (value instanceof asn1js.BaseBlock) {
    const block = value.valueBlock as { value?: unknown; valueHexView?: Uint8Array };
    if (value.idBlock.isConstructed && Array.isArray(block.value)) {
      return Buffer.concat((block.value as unknown[]).map(octets));
    }
    if (block.valueHexView instanceof Uint8Array) return block.valueHexView;
  }
  throw new PasswordEncryptionError('malformed', 'expected an OCTET STRING');
}

/** Checks the iteration count of an encrypted PKCS#8 key before node:crypto runs it. */
export function checkEncryptedKeyInfo(der: Uint8Array): void {
  const root = parseAsn1(der);
  if (!(root instanceof asn1js.Sequence)) throw new PasswordEncryptionError('malformed', 'not a SEQUENCE');
  const algorithm = fromSchema((s) => new AlgorithmIdentifier({ schema: s }), root.valueBlock.value[0]);
  iterationsOf(algorithm);
}

function iterationsOf(algorithm: AlgorithmIdentifier): number {
  if (algorithm.algorithmId === OID.pbes2) {
    const params = fromSchema((s) => new PBES2Params({ schema: s }), algorithm.algorithmParams);
    if (params.keyDerivationFunc.algorithmId !== OID.pbkdf2) return 1;
    return pbkdf2Iterations(params.keyDerivationFunc.algorithmParams);
  }
  if (PKCS12_PBE_CIPHERS[algorithm.algorithmId]) {
    const { iterations } = pkcs12PbeParams(algorithm);
    return iterations;
  }
  return 1;
}

function pkcs12PbeParams(algorithm: AlgorithmIdentifier): { salt: Uint8Array; iterations: number } {
  const params = algorithm.algorithmParams as unknown;
  if (!(params instanceof asn1js.Sequence)) throw new PasswordEncryptionError('malformed', 'PBE parameters');
  const [salt, count] = params.valueBlock.value;
  if (!(count instanceof asn1js.Integer))
    throw new PasswordEncryptionError('malformed', 'PBE iteration count');
  const iterations = integerValue(count);
  checkIterations(iterations);
  return { salt: octets(salt), iterations };
}

/** RFC 7292 B.1: the password as a BMPString with a two-byte terminator. */
function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

/** RFC 7292 appendix B.2 key derivation (id 1: key, 2: IV, 3: MAC key). */
export function pkcs12Kdf(
  digestOid: string,
  password: string,
  salt: Uint8Array,
  id: 1 | 2 | 3,
  iterations: number,
  length: number,
): Buffer {
  const digest = DIGESTS[digestOid];
  if (!digest) throw new PasswordEncryptionError('unsupported', `digest ${digestOid}`);
  checkIterations(iterations);
  const { blockSize: v, size: u, name } = digest;
  const fill = (source: Uint8Array): Buffer => {
    if (source.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i++) out[i] = source[i % source.length]!;
    return out;
  };
  const d = Buffer.alloc(v, id);
  const i = Buffer.concat([fill(salt), fill(bmpPassword(password))]);
  const result: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let a = createHash(name).update(d).update(i).digest();
    for (let r = 1; r < iterations; r++) a = createHash(name).update(a).digest();
    result.push(a);
    const b = Buffer.alloc(v);
    for (let k = 0; k < v; k++) b[k] = a[k % u]!;
    for (let j = 0; j < i.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = i[j + k]! + b[k]! + carry;
        i[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(result).subarray(0, length);
}

/** Verifies the PKCS#12 MAC; false means the passphrase is wrong (or the file was altered). */
export function verifyPkcs12Mac(
  digestOid: string,
  password: string,
  salt: Uint8Array,
  iterations: number,
  content: Uint8Array,
  expected: Uint8Array,
): boolean {
  const digest = DIGESTS[digestOid];
  if (!digest) throw new PasswordEncryptionError('unsupported', `MAC digest ${digestOid}`);
  const key = pkcs12Kdf(digestOid, password, salt, 3, iterations, digest.size);
  const mac = createHmac(digest.name, key).update(content).digest();
  return mac.length === expected.length && timingSafeEqual(mac, expected);
}

/** Decrypts data protected by PBES2 or a PKCS#12 PBE scheme. */
export function decryptWithPassword(
  algorithm: AlgorithmIdentifier,
  ciphertext: Uint8Array,
  password: string,
): Buffer {
  let cipherName: string;
  let key: Buffer;
  let iv: Uint8Array;
  if (algorithm.algorithmId === OID.pbes2) {
    const params = fromSchema((s) => new PBES2Params({ schema: s }), algorithm.algorithmParams);
    if (params.keyDerivationFunc.algorithmId !== OID.pbkdf2) {
      throw new PasswordEncryptionError(
        'unsupported',
        `PBES2 key derivation ${params.keyDerivationFunc.algorithmId}`,
      );
    }
    const kdf = fromSchema((s) => new PBKDF2Params({ schema: s }), params.keyDerivationFunc.algorithmParams);
    const iterations = pbkdf2Iterations(params.keyDerivationFunc.algorithmParams);
    const prf = kdf.prf ? HMAC_PRF[kdf.prf.algorithmId] : 'sha1';
    const cipher = PBES2_CIPHERS[params.encryptionScheme.algorithmId];
    if (!prf || !cipher) throw new PasswordEncryptionError('unsupported', 'PBES2 cipher or PRF');
    iv = octets(params.encryptionScheme.algorithmParams);
    key = pbkdf2Sync(Buffer.from(password, 'utf8'), octets(kdf.salt), iterations, cipher.keyLength, prf);
    cipherName = cipher.name;
  } else {
    const cipher = PKCS12_PBE_CIPHERS[algorithm.algorithmId];
    if (!cipher)
      throw new PasswordEncryptionError('unsupported', `encryption algorithm ${algorithm.algorithmId}`);
    const { salt, iterations } = pkcs12PbeParams(algorithm);
    const sha1 = '1.3.14.3.2.26';
    key = pkcs12Kdf(sha1, password, salt, 1, iterations, cipher.keyLength);
    iv = pkcs12Kdf(sha1, password, salt, 2, iterations, cipher.ivLength);
    cipherName = cipher.name;
  }
  let decipher: ReturnType<typeof createDecipheriv>;
  try {
    decipher = createDecipheriv(cipherName, key, iv);
  } catch {
    throw new PasswordEncryptionError(
      'unsupported',
      `cipher ${cipherName} is not available in this Node.js build`,
    );
  }
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new PasswordEncryptionError('bad-decrypt', 'decryption failed');
  }
}
