import {
  type CertificateAuthority,
  createTestPki,
  type Gateway,
  type Issued,
  startGateway,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ProbeResult } from '../src/index.ts';
import { type CliRun, ensureBuilt, runCli } from './helpers/built-cli.ts';
import { type IdentityFiles, type PkiFiles, writePki } from './helpers/pki-files.ts';

// revocation.crl against CRLs a real CA produces: a key rollover (two CAs of one name), delta CRLs
// with removeFromCRL entries, and lists whose signature this run cannot check. Through the built
// CLI against the gateway; the assertions are on revocation.crl.

interface Env {
  pki: TestPki;
  files: PkiFiles;
  gw: Gateway;
  /** The intermediate after a key rollover: same name as pki.intermediate, a new key. */
  rolled: CertificateAuthority;
  rolledClient: Issued;
  rolledId: IdentityFiles;
  valid: IdentityFiles;
  revoked: IdentityFiles;
  /** Root, old intermediate first, then the rolled-over one: a first-name-match picks the wrong one. */
  rolloverStore: string;
  crl: Record<
    'rolledRevoking' | 'rolledEmpty' | 'oldListingRolledSerial' | 'base' | 'delta' | 'deltaAlone',
    string
  >;
}

let env: Env;

beforeAll(async () => {
  const [pki] = await Promise.all([createTestPki(), ensureBuilt()]);
  const files = writePki(pki);
  const rolled = await pki.root.issueIntermediate({ commonName: 'mtls-link test intermediate CA' });
  const rolledClient = await rolled.issueClient({ commonName: 'client under the new key' });
  const { valid, revoked } = pki.clients;
  const [rolledRevoking, rolledEmpty, oldListingRolledSerial, base, delta, gw] = await Promise.all([
    rolled.crl({ revoked: [rolledClient] }),
    rolled.crl(),
    // The old key's list happens to carry the new client's serial: it speaks for the old key only.
    pki.intermediate.crl({ revoked: [rolledClient] }),
    pki.intermediate.crl({ revoked: [revoked], crlNumber: 100 }),
    // Since the full CRL 100: `valid` revoked, `revoked` taken off hold.
    pki.intermediate.crl({ revoked: [valid], removed: [revoked], crlNumber: 101, deltaOf: 100 }),
    startGateway({ mode: 'verify', server: pki.server, trustStore: { caPem: pki.trustStorePem } }),
  ]);
  env = {
    pki,
    files,
    gw,
    rolled,
    rolledClient,
    rolledId: files.identity('rolled-client', rolledClient),
    valid: files.identity('valid', valid),
    revoked: files.identity('revoked', revoked),
    rolloverStore: files.write('rollover-store.pem', `${pki.trustStorePem}\n${rolled.certPem}`),
    crl: {
      rolledRevoking: files.write('rolled-revoking.crl.pem', rolledRevoking),
      rolledEmpty: files.write('rolled-empty.crl.pem', rolledEmpty),
      oldListingRolledSerial: files.write('old-listing.crl.pem', oldListingRolledSerial),
      base: files.write('base.crl.pem', base),
      delta: files.write('delta.crl.pem', delta),
      deltaAlone: files.write('delta-alone.crl.pem', delta),
    },
  };
}, 120_000);

afterAll(async () => {
  if (!env) return;
  await env.gw.close();
  env.files.remove();
});

async function crlCheck(args: string[]) {
  const run: CliRun = await runCli([
    'check',
    `https://127.0.0.1:${env.gw.port}/widgets`,
    '--ca',
    env.files.ca,
    ...args,
    '--format',
    'json',
  ]);
  expect(run.stderr).toBe('');
  const result = JSON.parse(run.stdout) as ProbeResult;
  const found = result.checks.find((c) => c.id === 'revocation.crl');
  if (!found) throw new Error('no revocation.crl in the result');
  return found;
}

const creds = (id: IdentityFiles) => ['--cert', id.cert, '--key', id.key];
const crls = (...paths: string[]) => paths.flatMap((p) => ['--crl', p]);

interface Signature {
  signature: string;
  candidates: number;
  signedBy?: { serial: string };
  deltaAppliedTo?: string;
}

describe.concurrent('revocation.crl', () => {
  test('CA key rollover: the CRL of the new key verifies against the second CA of that name and revokes its client', async () => {
    const crl = await crlCheck([
      ...creds(env.rolledId),
      '--trust-store',
      env.rolloverStore,
      ...crls(env.crl.rolledRevoking),
    ]);
    expect(crl).toMatchObject({ status: 'fail', code: 'CLIENT_CERT_REVOKED' });
    expect(crl.summary).toContain(env.rolledClient.serialHex);
    const [signature] = crl.details.signatures as Signature[];
    expect(signature).toMatchObject({ signature: 'verified', candidates: 2 });
    expect(signature?.signedBy?.serial).toBe(env.rolled.serialHex);
  });

  test("CA key rollover: the old key's list does not apply to a certificate of the new key", async () => {
    const crl = await crlCheck([
      ...creds(env.rolledId),
      '--trust-store',
      env.rolloverStore,
      ...crls(env.crl.rolledEmpty, env.crl.oldListingRolledSerial),
    ]);
    expect(crl.status, crl.summary).toBe('pass');
    expect(crl.summary).toContain('signatures verified');
    const signatures = crl.details.signatures as Signature[];
    expect(signatures.map((s) => [s.signature, s.signedBy?.serial])).toEqual([
      ['verified', env.rolled.serialHex],
      ['verified', env.pki.intermediate.serialHex],
    ]);
  });

  test('a CRL signed by a key no trust-store CA of its name holds: CRL_INVALID', async () => {
    // The trust store without the rolled-over CA: only the old key carries the name.
    const crl = await crlCheck([
      ...creds(env.valid),
      '--trust-store',
      env.files.trustStore,
      ...crls(env.crl.rolledEmpty),
    ]);
    expect(crl).toMatchObject({ status: 'fail', code: 'CRL_INVALID' });
    expect(crl.summary).toContain('signature does not verify with the issuing CA');
  });

  test('a delta CRL revokes a certificate its full CRL did not list', async () => {
    const crl = await crlCheck([
      ...creds(env.valid),
      '--trust-store',
      env.files.trustStore,
      ...crls(env.crl.base, env.crl.delta),
    ]);
    expect(crl).toMatchObject({ status: 'fail', code: 'CLIENT_CERT_REVOKED' });
    expect(crl.summary).toContain('CRL #2 (delta)');
    const signatures = crl.details.signatures as Signature[];
    expect(signatures[1]).toMatchObject({ signature: 'verified', deltaAppliedTo: '100' });
    const lists = (crl.details.crls as { lists: Record<string, unknown>[] }[]).map((c) => c.lists[0]);
    expect(lists[1]).toMatchObject({
      crlNumber: '101',
      deltaOf: '100',
      removeFromCrlEntries: 1,
      revokedEntries: 1,
    });
  });

  test('removeFromCRL in the delta takes a certificate of the full CRL off the list', async () => {
    const crl = await crlCheck([
      ...creds(env.revoked),
      '--trust-store',
      env.files.trustStore,
      ...crls(env.crl.base, env.crl.delta),
    ]);
    expect(crl.status, crl.summary).toBe('pass');
    expect(crl.summary).toContain('1 delta CRL applied to its full CRL');
    expect(crl.summary).toContain(`serial ${env.pki.clients.revoked.serialHex} not listed`);
  });

  test('a delta CRL without its full CRL: CRL_INCOMPLETE, a warning, its own entries still count', async () => {
    const alone = await crlCheck([
      ...creds(env.revoked),
      '--trust-store',
      env.files.trustStore,
      ...crls(env.crl.deltaAlone),
    ]);
    expect(alone).toMatchObject({ status: 'warn', code: 'CRL_INCOMPLETE' });
    expect(alone.summary).toContain('full CRL number 100, which was not given');
    const listed = await crlCheck([
      ...creds(env.valid),
      '--trust-store',
      env.files.trustStore,
      ...crls(env.crl.deltaAlone),
    ]);
    expect(listed).toMatchObject({ status: 'fail', code: 'CLIENT_CERT_REVOKED' });
  });

  test('without credentials or trust store nothing can check the signature: CRL_UNVERIFIED, not "valid"', async () => {
    const crl = await crlCheck(crls(env.files.crl));
    expect(crl).toMatchObject({ status: 'warn', code: 'CRL_UNVERIFIED' });
    expect(crl.summary).toMatch(/signature not verified/);
    expect(crl.summary).not.toContain('valid and fresh');
    expect(crl.hint).toMatch(/--trust-store/);
    expect((crl.details.signatures as Signature[])[0]).toMatchObject({
      signature: 'no-issuer',
      candidates: 0,
    });
  });

  test('without credentials but with the trust store the signature is verified', async () => {
    const crl = await crlCheck(['--trust-store', env.files.trustStore, ...crls(env.files.crl)]);
    expect(crl.status, crl.summary).toBe('pass');
    expect(crl.summary).toMatch(/^1 CRL valid and fresh, signatures verified \(1 revoked entry/);
  });

  test("with credentials whose chain holds another key of the CRL's issuer name and no trust store: unverified, a warning", async () => {
    // The rolled-over client's chain holds the new key only; the old key signed this list.
    const crl = await crlCheck([...creds(env.rolledId), ...crls(env.crl.oldListingRolledSerial)]);
    expect(crl).toMatchObject({ status: 'warn', code: 'CRL_UNVERIFIED' });
    expect(crl.summary).toContain('the CA of this name known to this run did not sign it');
    expect((crl.details.signatures as Signature[])[0]).toMatchObject({
      signature: 'bad-signature',
      candidates: 1,
    });
  });
});
