import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestPki, type TestPki, toPkcs12 } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

// The published entry (dist, as a service imports it) in fresh processes: pkijs and asn1js are
// loaded only when an identity needs them (a PKCS#12 file, an encrypted key), not at import.
const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const diagnosticsEntry = fileURLToPath(new URL('../dist/diagnostics.js', import.meta.url));
const run = promisify(execFile);

let pki: TestPki;
let dir: string;
let pfxPath: string;

beforeAll(async () => {
  pki = await createTestPki();
  dir = mkdtempSync(join(tmpdir(), 'sdk-lazy-asn1-'));
  pfxPath = join(dir, 'client.p12');
  writeFileSync(pfxPath, await toPkcs12(pki.clients.valid, 'pfx-pass'));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs an ES module in a fresh Node that reports which pkijs/asn1js modules got resolved. */
async function fresh(body: string): Promise<{ loaded: number; out: string }> {
  const script = `
    import { registerHooks } from 'node:module';
    let loaded = 0;
    registerHooks({ resolve(specifier, context, next) {
      const result = next(specifier, context);
      if (/[/\\\\](pkijs|asn1js)[/\\\\]/.test(result.url)) loaded += 1;
      return result;
    } });
    const sdk = await import(${JSON.stringify(entry)});
    const before = loaded;
    const out = await (async () => { ${body} })();
    console.log(JSON.stringify({ before, loaded, out }));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
  const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    before: number;
    loaded: number;
    out: string;
  };
  expect(result.before, 'pkijs/asn1js resolved by the import alone').toBe(0);
  return { loaded: result.loaded, out: result.out };
}

describe('pkijs and asn1js load only when an identity needs them', () => {
  test('PEM identities never load them', async () => {
    const issued = pki.clients.valid;
    const secret = JSON.stringify({
      certificate: issued.certPem,
      privateKey: issued.keyPem,
      certificateChain: issued.chainPem,
    });
    const { loaded, out } = await fresh(
      `return sdk.readIdentity({ secretString: ${JSON.stringify(secret)}, source: 'test' }, { validate: false }).serialHex;`,
    );
    expect(out).toBe(issued.serialHex);
    expect(loaded).toBe(0);
  });

  test('PEM files and secrets through the sources never load them, even where "pfx" or "p12" appear in the text', async () => {
    // PEM exported from a PKCS#12 by OpenSSL keeps its bag attributes above each block; any base64
    // also holds such letters by chance. Neither is a PKCS#12 nor an encrypted key.
    const issued = pki.clients.valid;
    const cert = `Bag Attributes\n    friendlyName: client.pfx\nsubject=CN = exported from client.p12\n${issued.certPem}`;
    const certPath = join(dir, 'bagged.pem');
    const keyPath = join(dir, 'bagged.key');
    writeFileSync(certPath, cert);
    writeFileSync(keyPath, issued.keyPem);
    const secret = JSON.stringify({ certificate: cert, privateKey: issued.keyPem });
    const { loaded, out } = await fresh(`
      const fromFiles = (await sdk.fromFiles({ cert: ${JSON.stringify(certPath)}, key: ${JSON.stringify(keyPath)} }).current()).serialHex;
      await sdk.loadAsn1ReadersFor({ secretString: ${JSON.stringify(secret)}, source: 'test' });
      return fromFiles;
    `);
    expect(out).toBe(issued.serialHex);
    expect(loaded).toBe(0);
  });

  test('an encrypted PEM key or a PKCS#12 field in a secret loads them before it is read', async () => {
    const { loaded: encrypted } = await fresh(
      `await sdk.loadAsn1ReadersFor({ secretString: ${JSON.stringify(JSON.stringify({ certificate: pki.clients.valid.certPem, privateKey: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----' }))}, source: 'test' }); return '';`,
    );
    expect(encrypted).toBeGreaterThan(0);
    const { loaded: pfxField } = await fresh(
      `await sdk.loadAsn1ReadersFor({ secretString: ${JSON.stringify(JSON.stringify({ PKCS12: 'MIIKaQIBAzCCCi8GCSqGSIb3DQEHAaCCCiAEggocMIIKGDCCBM8GCSqGSIb3' }))}, source: 'test' }); return '';`,
    );
    expect(pfxField).toBeGreaterThan(0);
  });

  test('a PKCS#12 file through a provider loads them on use and reads', async () => {
    const { loaded, out } = await fresh(
      `const id = await sdk.fromFiles({ pfx: ${JSON.stringify(pfxPath)}, passphrase: 'pfx-pass' }).current(); return id.serialHex;`,
    );
    expect(out).toBe(pki.clients.valid.serialHex);
    expect(loaded).toBeGreaterThan(0);
  });

  test('a direct, synchronous readIdentity of a PKCS#12 loads them itself', async () => {
    const { loaded, out } = await fresh(`
      const { readFileSync } = await import('node:fs');
      const bytes = new Uint8Array(readFileSync(${JSON.stringify(pfxPath)}));
      return sdk.readIdentity({ secretBinary: bytes, passphrase: 'pfx-pass', source: 'test' }, { validate: false }).serialHex;
    `);
    expect(out).toBe(pki.clients.valid.serialHex);
    expect(loaded).toBeGreaterThan(0);
  });
});

describe('the diagnostics entry loads the CRL reader (pkijs) only for CRLs', () => {
  const judge = (load: string) => `
    const diagnostics = await import(${JSON.stringify(diagnosticsEntry)});
    const atImport = loaded;
    ${load}
    const { judged, findings } = diagnostics.judgeCrlPems([${JSON.stringify(pki.crlPem)}], ${JSON.stringify(pki.trustStorePem)}, { now: Date.now(), source: 'test' });
    return JSON.stringify({ atImport, lists: judged.length, errors: findings.filter((f) => f.severity === 'error').length });
  `;

  test('importing it loads none; loadCrlReader() loads them and the CRL judges', async () => {
    const { loaded, out } = await fresh(judge('await diagnostics.loadCrlReader();'));
    expect(JSON.parse(out)).toEqual({ atImport: 0, lists: 1, errors: 0 });
    expect(loaded).toBeGreaterThan(0);
  });

  test('without loadCrlReader(), the first CRL loads them synchronously', async () => {
    const { loaded, out } = await fresh(judge(''));
    expect(JSON.parse(out)).toEqual({ atImport: 0, lists: 1, errors: 0 });
    expect(loaded).toBeGreaterThan(0);
  });
});
