import { type ChildProcess, spawn } from 'node:child_process';
import { createTestPki, type Gateway, startGateway, type TestPki } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cliPath, ensureBuilt, localAwsEnv, runCli } from './helpers/built-cli.ts';
import { assertNoKeyMaterial, type PkiFiles, writePki } from './helpers/pki-files.ts';
import { parseExposition } from './helpers/prometheus-text.ts';
import { startSilentServer } from './helpers/servers.ts';

let pki: TestPki;
let files: PkiFiles;
let gateway: Gateway;
let silent: Awaited<ReturnType<typeof startSilentServer>>;
let exporter: ChildProcess;
let base: string;
const probeDeadlineMs = 1500;

/** Starts `mtls-probe serve` on a free port and resolves with the URL it prints. */
function serve(config: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cliPath, 'serve', '--listen', '127.0.0.1:0', '--config', config], {
    env: { PATH: process.env.PATH ?? '', ...localAwsEnv },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
}

beforeAll(async () => {
  [pki] = await Promise.all([createTestPki(), ensureBuilt()]);
  files = writePki(pki);
  const valid = files.identity('valid', pki.clients.valid);
  const expired = files.identity('expired', pki.clients.expired);
  [gateway, silent] = await Promise.all([
    startGateway({ mode: 'verify', server: pki.server, trustStore: { caPem: pki.trustStorePem } }),
    startSilentServer(),
  ]);
  const config = files.write(
    'exporter.json',
    JSON.stringify({
      maxConcurrent: 1,
      maxTimeMs: probeDeadlineMs,
      modules: {
        valid: { cert: valid.cert, key: valid.key, ca: files.ca },
        expired: { cert: expired.cert, key: expired.key, ca: [files.ca], 'trust-store': files.trustStore },
      },
    }),
  );
  ({ child: exporter, url: base } = await serve(config));
}, 120_000);

afterAll(async () => {
  exporter?.kill('SIGTERM');
  await Promise.all([gateway?.close(), silent?.close()]);
  files?.remove();
});

const target = () => encodeURIComponent(`https://127.0.0.1:${gateway.port}/widgets`);
const scrape = async (path: string) => {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
};

describe('mtls-probe serve, scraped over HTTP like blackbox_exporter', { timeout: 90_000 }, () => {
  test('GET /probe runs the module against the target and answers parseable metrics', async () => {
    const good = await scrape(`/probe?target=${target()}&module=valid`);
    expect(good.status).toBe(200);
    expect(good.type).toContain('text/plain; version=0.0.4');
    const metrics = parseExposition(good.text);
    expect(metrics.one('probe_success').value).toBe(1);
    expect(metrics.one('probe_mtls_check', { check: 'http.response' }).labels.status).toBe('pass');
    expect(metrics.one('probe_client_cert_expiry').value).toBeGreaterThan(Date.now() / 1000);

    const badText = (await scrape(`/probe?target=${target()}&module=expired`)).text;
    const bad = parseExposition(badText);
    expect(bad.one('probe_success').value).toBe(0);
    expect(bad.one('probe_mtls_check', { check: 'client-cert.inspect' }).labels).toEqual({
      check: 'client-cert.inspect',
      status: 'fail',
      code: 'CLIENT_CERT_EXPIRED',
    });
    expect(bad.one('probe_client_cert_expiry').value).toBeLessThan(Date.now() / 1000);
    assertNoKeyMaterial(good.text + badText, files.secrets);
  });

  test('a bad request names what is wrong; a target the module cannot use is a failed probe', async () => {
    const unknown = await scrape(`/probe?target=${target()}&module=nope`);
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('unknown module "nope"; known: valid, expired');
    expect((await scrape('/probe?module=valid')).status).toBe(400);
    const plain = parseExposition(
      (await scrape('/probe?target=http%3A%2F%2F127.0.0.1%2F&module=valid')).text,
    );
    expect(plain.one('probe_success').value).toBe(0);
    expect(plain.one('probe_mtls_run_error').labels.code).toBe('CONFIG_INVALID');
  });

  test('each probe keeps to its deadline, one runs at a time, and /metrics counts them', async () => {
    const hung = encodeURIComponent(`https://127.0.0.1:${silent.port}/`);
    const started = performance.now();
    // maxConcurrent 1: the second waits for the first, and both are bounded by the per-probe deadline.
    const [first, second] = await Promise.all([
      scrape(`/probe?target=${hung}&module=valid`),
      scrape(`/probe?target=${hung}&module=valid`),
      scrape(`/probe?target=${target()}&module=valid`),
    ]);
    const elapsed = performance.now() - started;
    const statuses = [first.status, second.status].sort();
    // Either the second got the slot once the first gave up and answered probe_success 0 too, or its
    // deadline passed while it waited (503): never more than one probe in flight, never past the deadline.
    expect(statuses[0]).toBe(200);
    expect(parseExposition(first.status === 200 ? first.text : second.text).one('probe_success').value).toBe(
      0,
    );
    expect(elapsed).toBeLessThan(2 * probeDeadlineMs + 1500);
    const own = parseExposition((await scrape('/metrics')).text);
    expect(own.one('mtls_probe_exporter_max_concurrent_probes').value).toBe(1);
    // Three requests at once, and never more than one probe running.
    expect(own.one('mtls_probe_exporter_probes_in_flight_peak').value).toBe(1);
    expect(own.one('mtls_probe_exporter_probes_in_flight').value).toBe(0);
    expect(
      own.one('mtls_probe_exporter_probes_total', { module: 'valid', verdict: 'pass' }).value,
    ).toBeGreaterThanOrEqual(1);
    expect(own.one('mtls_probe_exporter_probes_total', { module: 'expired', verdict: 'fail' }).value).toBe(1);
    expect(own.types.get('mtls_probe_exporter_probes_total')).toBe('counter');
  });

  test("Prometheus' scrape timeout header shortens the deadline", async () => {
    const hung = encodeURIComponent(`https://127.0.0.1:${silent.port}/`);
    const response = await fetch(`${base}/probe?target=${hung}&module=valid`, {
      headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '1' },
    });
    const metrics = parseExposition(await response.text());
    expect(metrics.one('probe_success').value).toBe(0);
    // 1 s minus the 0.5 s blackbox_exporter keeps back for the answer.
    expect(metrics.one('probe_duration_seconds').value).toBeLessThan(1);
  });

  test('a config the exporter cannot use exits 2 naming the field', async () => {
    const bad = files.write('bad.json', JSON.stringify({ modules: { m: { format: 'json' } } }));
    const run = await runCli(['serve', '--listen', '127.0.0.1:0', '--config', bad]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('modules.m.format: not a module option');
  });
});
