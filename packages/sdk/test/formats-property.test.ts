import { performance } from 'node:perf_hooks';
import {
  createTestPki,
  type Issued,
  toEncryptedPkcs8Pem,
  toPkcs1Pem,
  toPkcs12,
  toSec1Pem,
} from '@mtls-link/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type IdentityMaterial, isMtlsLinkError, readIdentity } from '../src/index.ts';
import { errorSurface } from './identity-leak-guard.ts';

// Property: whatever a secret holds, readIdentity returns a ClientIdentity or throws an MtlsLinkError,
// never another exception, never a hang, and never key bytes or the passphrase in what it throws.
// Real identities are generated once; the arbitraries mutate them.

const passphrase = 'prop passphrase 5d2c9a';
const now = Date.now();
const stats = { runs: 0, identities: 0, typedErrors: 0, slowestMs: 0, startedAt: 0 };
const codes = new Map<string, number>();

let bases: string[] = [];
let binaries: Uint8Array[] = [];
let keyRuns: string[] = [];
let issued: Issued[] = [];

function runsOf(pem: string): string[] {
  const body = pem
    .split('\n')
    .filter((l) => !l.startsWith('-----'))
    .join('');
  const out: string[] = [];
  for (let i = 0; i + 24 <= body.length; i += 12) out.push(body.slice(i, i + 24));
  return out;
}

beforeAll(async () => {
  const pki = await createTestPki();
  const { valid, rsa2048, ecP384, expired } = pki.clients;
  issued = [valid, rsa2048, ecP384, expired];
  const encrypted = toEncryptedPkcs8Pem(valid.keyPem, passphrase);
  const json = (o: Record<string, string>) => JSON.stringify(o);
  bases = [
    json({ certificate: valid.certPem, privateKey: valid.keyPem, certificateChain: valid.chainPem }),
    json({ cert: rsa2048.certPem, key: toPkcs1Pem(rsa2048.keyPem), chain: rsa2048.chainPem }),
    json({ 'tls.crt': ecP384.certPem, 'tls.key': toSec1Pem(ecP384.keyPem), 'ca.crt': pki.root.certPem }),
    json({
      Certificate: valid.certPem,
      CertificateChain: valid.chainPem,
      PrivateKey: encrypted,
      Passphrase: passphrase,
    }),
    json({
      CERTIFICATE_PEM: expired.certPem,
      PRIVATE_KEY_PEM: expired.keyPem,
      CERTIFICATE_CHAIN_PEM: expired.chainPem,
    }),
    valid.keyPem + pki.root.certPem + valid.certPem + pki.intermediate.certPem,
    Buffer.from(valid.certPem + valid.keyPem).toString('base64'),
    json({ pfx: Buffer.from(await toPkcs12(valid, passphrase)).toString('base64'), passphrase }),
  ];
  binaries = [
    await toPkcs12(valid, passphrase),
    await toPkcs12(rsa2048, passphrase, { includeChain: false }),
  ];
  keyRuns = [
    ...new Set(
      [...issued.map((i) => i.keyPem), toPkcs1Pem(rsa2048.keyPem), toSec1Pem(ecP384.keyPem)].flatMap(runsOf),
    ),
  ];
  stats.startedAt = performance.now();
}, 60_000);

afterAll(() => {
  const seconds = ((performance.now() - stats.startedAt) / 1000).toFixed(1);
  console.info(
    `formats-property: ${stats.runs} runs in ${seconds} s (${stats.identities} identities, ${stats.typedErrors} typed errors, slowest run ${stats.slowestMs.toFixed(0)} ms); codes ${JSON.stringify(Object.fromEntries(codes))}`,
  );
});

/** The property itself, shared by every arbitrary. */
function check(material: IdentityMaterial): void {
  stats.runs++;
  const started = performance.now();
  let outcome: unknown;
  try {
    const identity = readIdentity(material, { now });
    stats.identities++;
    expect(identity.leaf.checkPrivateKey(identity.privateKey)).toBe(true);
    expect(identity.keyPem.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
  } catch (error) {
    outcome = error;
  }
  const elapsed = performance.now() - started;
  stats.slowestMs = Math.max(stats.slowestMs, elapsed);
  if (elapsed > 3000) throw new Error(`readIdentity took ${elapsed.toFixed(0)} ms`);
  if (outcome === undefined) return;
  if (!isMtlsLinkError(outcome))
    throw new Error(`not an MtlsLinkError: ${String(outcome)}`, { cause: outcome });
  stats.typedErrors++;
  codes.set(outcome.code, (codes.get(outcome.code) ?? 0) + 1);
  const surface = errorSurface(outcome);
  for (const run of keyRuns) {
    if (surface.includes(run)) throw new Error(`${outcome.code} error quotes key material`);
  }
  if (surface.includes(passphrase)) throw new Error(`${outcome.code} error quotes the passphrase`);
}

const source = 'prop';
const baseString = () => fc.constantFrom(...bases);

/** String mutations: truncation, deletion, insertion, duplication, case flips, escapes. */
const mutatedString = () =>
  fc
    .tuple(
      baseString(),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), fc.string({ maxLength: 8 })), {
        minLength: 1,
        maxLength: 4,
      }),
    )
    .map(([base, edits]) => {
      let s = base;
      for (const [a, b, kind, text] of edits) {
        const i = s.length === 0 ? 0 : a % s.length;
        const j = Math.min(s.length, i + (b % 200));
        switch (kind) {
          case 0:
            s = s.slice(0, i);
            break;
          case 1:
            s = s.slice(0, i) + s.slice(j);
            break;
          case 2:
            s = s.slice(0, i) + text + s.slice(i);
            break;
          case 3:
            s = s.slice(0, j) + s.slice(i, j) + s.slice(j);
            break;
          case 4:
            s = s.slice(0, i) + s.slice(i, j).toLowerCase() + s.slice(j);
            break;
          case 5:
            s = s.replaceAll('\n', text.length % 2 ? '\\n' : '\r\n');
            break;
          case 6:
            s = s.slice(0, i) + String.fromCharCode(a % 65536) + s.slice(i + 1);
            break;
          default:
            s = s.replace(/-----(BEGIN|END) [A-Z ]+-----/, text);
        }
      }
      return s;
    });

const pieces = () => {
  const [valid, rsa, ec, expired] = issued as [Issued, Issued, Issued, Issued];
  return fc.constantFrom<unknown>(
    valid.certPem,
    valid.keyPem,
    valid.chainPem,
    rsa.certPem,
    rsa.keyPem,
    ec.keyPem,
    expired.certPem,
    toEncryptedPkcs8Pem(valid.keyPem, passphrase),
    passphrase,
    Buffer.from(valid.keyPem).toString('base64'),
  );
};

const fieldNames = fc.constantFrom(
  'certificate',
  'privateKey',
  'certificateChain',
  'passphrase',
  'ca',
  'cert',
  'key',
  'chain',
  'tls.crt',
  'tls.key',
  'ca.crt',
  'Certificate',
  'PrivateKey',
  'CERTIFICATE_PEM',
  'PRIVATE_KEY_PEM',
  'pfx',
  'other',
  'constructor',
  '__proto__',
  'toString',
);

/** JSON objects with known field names holding swapped, wrongly typed or random values. */
const swappedFields = () =>
  fc
    .dictionary(
      fc.oneof(fieldNames, fc.string({ maxLength: 30 })),
      fc.oneof(
        { weight: 5, arbitrary: pieces() },
        { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
        {
          weight: 1,
          arbitrary: fc.oneof(
            fc.integer(),
            fc.boolean(),
            fc.constant(null),
            fc.array(fc.string(), { maxLength: 3 }),
          ),
        },
        { weight: 1, arbitrary: fc.object({ maxDepth: 1 }) },
      ),
      { maxKeys: 6 },
    )
    .map((o) => JSON.stringify(o));

/** PKCS#12 bytes with flipped, dropped or inserted bytes, or truncated. */
const mutatedBinary = () =>
  fc
    .tuple(
      fc.constantFrom(...binaries),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 })), {
        minLength: 1,
        maxLength: 3,
      }),
    )
    .map(([base, edits]) => {
      let bytes = Buffer.from(base);
      for (const [at, value, kind] of edits) {
        const i = at % bytes.length;
        if (kind === 0) bytes[i] = value;
        else if (kind === 1) bytes = bytes.subarray(0, i);
        else if (kind === 2) bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
        else bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([value]), bytes.subarray(i)]);
        if (bytes.length === 0) bytes = Buffer.from([0x30]);
      }
      return new Uint8Array(bytes);
    });

/** Values far larger than any real secret: repeated PEM markers, base64 and JSON, up to ~1 MB. */
const hugeString = () =>
  fc
    .tuple(
      fc.constantFrom(
        '-----BEGIN CERTIFICATE-----\n',
        'QUJD',
        '{"certificate":"',
        '-----BEGIN ',
        '\\n',
        'MIIB',
      ),
      fc.integer({ min: 10_000, max: 1_000_000 }),
      baseString(),
    )
    .map(
      ([unit, length, base]) =>
        unit.repeat(Math.ceil(length / unit.length)).slice(0, length) + base.slice(0, 500),
    );

describe('readIdentity under random and mutated secrets', () => {
  test('mutated valid secrets (truncated, spliced, escaped, re-cased)', () => {
    fc.assert(
      fc.property(
        mutatedString(),
        fc.option(fc.constantFrom(passphrase, 'wrong'), { nil: undefined }),
        (secretString, pass) =>
          check({ source, secretString, ...(pass === undefined ? {} : { passphrase: pass }) }),
      ),
      { numRuns: 4000 },
    );
  });

  test('JSON with swapped fields and wrong value types', () => {
    fc.assert(
      fc.property(swappedFields(), (secretString) => check({ source, secretString })),
      { numRuns: 3000 },
    );
  });

  test('mutated PKCS#12 bytes and random bytes as SecretBinary', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          { weight: 3, arbitrary: mutatedBinary() },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3000 }) },
        ),
        fc.constantFrom(passphrase, 'wrong', undefined),
        (secretBinary, pass) =>
          check({ source, secretBinary, ...(pass === undefined ? {} : { passphrase: pass }) }),
      ),
      { numRuns: 2000 },
    );
  });

  test('random text and wrongly typed material', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.string({ unit: 'grapheme', maxLength: 100 }),
          fc.base64String({ maxLength: 400 }),
          fc.anything({ maxDepth: 2 }),
        ),
        fc.boolean(),
        (value, asBinary) =>
          check({
            source,
            ...(asBinary ? { secretBinary: value } : { secretString: value }),
          } as unknown as IdentityMaterial),
      ),
      { numRuns: 1200 },
    );
  });

  test('huge values up to ~1 MB', () => {
    fc.assert(
      fc.property(hugeString(), (secretString) => check({ source, secretString })),
      { numRuns: 40 },
    );
  });

  test('at least 10,000 runs in total', () => {
    expect(stats.runs).toBeGreaterThanOrEqual(10_000);
    expect(stats.identities).toBeGreaterThan(0);
    expect(stats.typedErrors).toBeGreaterThan(0);
  });
});
