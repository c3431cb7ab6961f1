import { readFileSync } from 'node:fs';
import { createTestPki, type Gateway, type TestPki } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { CHECK_IDS, PROBE_CODES } from '../src/index.ts';
import { ensureBuilt, runCli } from './helpers/built-cli.ts';
import { type PkiFiles, writePki } from './helpers/pki-files.ts';
import { startVerifyGateway } from './helpers/servers.ts';

const schemaText = readFileSync(new URL('../../../docs/probe-result.schema.json', import.meta.url), 'utf8');
const schema = JSON.parse(schemaText) as { $defs: { checkId: { enum: string[] }; code: { enum: string[] } } };
const validator = z.fromJSONSchema(schema as never);

let pki: TestPki;
let files: PkiFiles;
let gateway: Gateway;

beforeAll(async () => {
  [pki] = await Promise.all([createTestPki(), ensureBuilt()]);
  files = writePki(pki);
  gateway = await startVerifyGateway(pki);
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  files?.remove();
});

function expectValid(stdout: string) {
  const document = JSON.parse(stdout) as unknown;
  const result = validator.safeParse(document);
  expect(result.success, JSON.stringify(result.error?.issues.slice(0, 3))).toBe(true);
  return document as Record<string, unknown>;
}

describe('docs/probe-result.schema.json describes the real --format json document', {
  timeout: 90_000,
}, () => {
  test("its enums are the probe's check ids and codes", () => {
    expect(schema.$defs.checkId.enum).toEqual([...CHECK_IDS]);
    expect([...schema.$defs.code.enum].sort()).toEqual(Object.keys(PROBE_CODES).sort());
  });

  test('the schema rejects what the document never holds (it is not a schema that accepts anything)', () => {
    const ok = {
      schemaVersion: 1,
      target: { url: 'https://x/', host: 'x', port: 443, servername: 'x' },
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 1,
      verdict: 'pass',
      checks: [],
    };
    expect(validator.safeParse(ok).success).toBe(true);
    expect(validator.safeParse({ ...ok, verdict: 'maybe' }).success).toBe(false);
    expect(validator.safeParse({ ...ok, renamed: true }).success).toBe(false);
    expect(
      validator.safeParse({
        ...ok,
        checks: [{ id: 'tls.nope', status: 'pass', durationMs: 0, summary: '', details: {} }],
      }).success,
    ).toBe(false);
  });

  test('a passing run, a failing run with -v and reproduce commands, --insecure, and exit 2 all validate', async () => {
    const valid = files.identity('valid', pki.clients.valid);
    const revoked = files.identity('revoked', pki.clients.revoked);
    const foreign = files.write('foreign.pem', pki.foreignRoot.certPem);
    const url = `https://127.0.0.1:${gateway.port}/widgets`;
    const runs = await Promise.all([
      runCli(['check', url, '--ca', files.ca, '--cert', valid.cert, '--key', valid.key, '--format', 'json']),
      runCli([
        'check',
        url,
        '--ca',
        files.ca,
        '--cert',
        revoked.cert,
        '--key',
        revoked.key,
        '--trust-store',
        files.trustStore,
        '--crl',
        files.crl,
        '-v',
        '--format',
        'json',
      ]),
      runCli([
        'check',
        url,
        '--ca',
        foreign,
        '--cert',
        valid.cert,
        '--key',
        valid.key,
        '--insecure',
        '--format',
        'json',
      ]),
      runCli(['check', url, '--cert', valid.cert, '--key', `${valid.key}.missing`, '--format', 'json']),
    ]);
    expect(runs.map((r) => r.status)).toEqual([0, 1, 0, 2]);
    const [passing, failing, insecure, notRun] = runs.map((r) => expectValid(r.stdout));
    expect(passing?.reproduce).toBeUndefined();
    expect(failing?.reproduce).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ check: 'revocation.crl', code: 'CLIENT_CERT_REVOKED' }),
      ]),
    );
    expect(failing?.certificateRequests).toHaveLength(1);
    expect(insecure?.insecure).toBe(true);
    expect(notRun?.error).toBeDefined();
  });
});
