import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

// Runs the TypeScript entry directly: Node 24 strips the types, the source condition resolves the
// workspace, so the test never depends on a stale dist/ build.
const entry = fileURLToPath(new URL('../src/bin/emulator.ts', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function startEmulator(args: string[]): {
  child: ChildProcess;
  firstLine: Promise<string>;
  output: () => string;
} {
  const child = spawn(process.execPath, ['--conditions=@mtls-link/source', entry, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.on('exit', (code) => reject(new Error(`emulator exited with ${code} before printing: ${err}`)));
  });
  // Callers that expect a failure never await it.
  firstLine.catch(() => {});
  return { child, firstLine, output: () => out };
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function get(url: string, ca: string, cert: string, key: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, cert, key, servername: 'localhost', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!hasOpenssl)
  console.warn('openssl CLI not found: the --advertise-ca-names test (needs s_client) is skipped');

describe('mtls-emulator command', () => {
  test('--json prints url and files, serves them in verify mode, stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gateway-bin-'));
    dirs.push(dir);
    const { child, firstLine } = startEmulator(['--json', '--out', dir, '--refusal', 'reset']);
    const info = JSON.parse(await firstLine) as { url: string; mode: string; files: Record<string, string> };
    expect(info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(info.mode).toBe('verify');
    expect(Object.keys(info.files).sort()).toEqual([
      'ca',
      'clientCert',
      'clientKey',
      'crl',
      'revokedCert',
      'revokedKey',
      'serverCert',
      'serverKey',
      'trustStore',
    ]);
    expect((await stat(info.files.clientKey as string)).mode & 0o777).toBe(0o600);
    const [ca, cert, key, revokedCert, revokedKey] = await Promise.all(
      ['ca', 'clientCert', 'clientKey', 'revokedCert', 'revokedKey'].map((name) =>
        readFile(info.files[name] as string, 'utf8'),
      ),
    );
    const answer = await get(`${info.url}/widgets/1`, ca as string, cert as string, key as string);
    expect(answer).toEqual({ status: 200, body: '{"id":"1","value":"4.99"}' });
    await expect(
      get(`${info.url}/widgets/1`, ca as string, revokedCert as string, revokedKey as string),
    ).rejects.toMatchObject({ code: 'ECONNRESET' });
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    // A directory the user chose is theirs: kept.
    expect((await stat(info.files.clientKey as string)).isFile()).toBe(true);
  });

  test('text mode prints the URL, the files and ready-made curl and mtls-probe lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gateway-bin-'));
    dirs.push(dir);
    const { child, firstLine, output } = startEmulator(['--out', dir, '--mode', 'passthrough']);
    expect(await firstLine).toMatch(
      /^mtls-emulator: passthrough mode listening on https:\/\/127\.0\.0\.1:\d+$/,
    );
    await expect.poll(output).toContain('Ctrl-C');
    expect(output()).toContain(`curl --cacert ${join(dir, 'ca.pem')} --cert ${join(dir, 'client.pem')}`);
    expect(output()).toMatch(/mtls-probe check https:\/\/127\.0\.0\.1:\d+\/widgets --cert /);
    child.kill('SIGINT');
    expect(await exited(child)).toBe(0);
  });

  test('without --out the PEM files go to a temporary directory that is removed on exit', async () => {
    const { child, firstLine } = startEmulator(['--json']);
    const info = JSON.parse(await firstLine) as { dir: string; files: Record<string, string> };
    dirs.push(info.dir);
    expect((await stat(info.files.clientKey as string)).isFile()).toBe(true);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    await expect(stat(info.dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('options after a leading -- (as `pnpm emulator -- --json` passes them) are honoured', async () => {
    const { child, firstLine } = startEmulator(['--', '--json', '--mode', 'off']);
    const info = JSON.parse(await firstLine) as { dir: string; mode: string };
    dirs.push(info.dir);
    expect(info.mode).toBe('off');
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  test.skipIf(!hasOpenssl)('--advertise-ca-names lists the trust store CAs (openssl s_client)', async () => {
    const { child, firstLine } = startEmulator(['--json', '--advertise-ca-names', '--tls', 'TLSv1.2']);
    const info = JSON.parse(await firstLine) as { dir: string; port: number };
    dirs.push(info.dir);
    const out = await new Promise<string>((resolve) => {
      const sClient = execFile(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${info.port}`, '-tls1_2'],
        { timeout: 10_000, encoding: 'utf8' },
        (_error, stdout) => resolve(stdout),
      );
      sClient.stdin?.end();
    });
    expect(out).toContain('Acceptable client certificate CA names');
    expect(out).toContain('mtls-link test root CA');
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  test('API and refusal flags: --missing-route, --authorizer, --endpoint-policy-deny, --domain-name, --blinding, --alpn', async () => {
    const start = async (args: string[]) => {
      const { child, firstLine } = startEmulator(['--json', ...args]);
      const info = JSON.parse(await firstLine) as { url: string; dir: string; files: Record<string, string> };
      dirs.push(info.dir);
      const [ca, cert, key] = await Promise.all(
        ['ca', 'clientCert', 'clientKey'].map((name) => readFile(info.files[name] as string, 'utf8')),
      );
      const fetch = (path: string) => get(`${info.url}${path}`, ca as string, cert as string, key as string);
      return { child, fetch };
    };
    // Four processes, started together: each generates its own PKI.
    const [forbidden, denied, policy, domain] = await Promise.all([
      start(['--missing-route', 'forbidden', '--authorizer', 'allow']),
      start(['--authorizer', 'deny', '--alpn', 'http/1.1']),
      start(['--endpoint-policy-deny', 'InvalidSignatureException', '--blinding', '100-200']),
      start(['--domain-name', 'api.example.com']),
    ]);
    expect(await forbidden.fetch('/nope')).toEqual({
      status: 403,
      body: '{"message":"Missing Authentication Token"}',
    });
    expect(await denied.fetch('/widgets')).toEqual({
      status: 403,
      body: '{"Message":"User is not authorized to access this resource with an explicit deny"}',
    });
    const invalid = await policy.fetch('/widgets');
    expect(invalid.status).toBe(403);
    expect(invalid.body).toContain('The request signature we calculated does not match');
    // The client's Host is 127.0.0.1:PORT, not the API's domain.
    expect((await domain.fetch('/widgets')).status).toBe(403);
    for (const { child } of [forbidden, denied, policy, domain]) {
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
    }
  }, 60_000);

  test.each([
    [['--mode', 'strict'], /mode/],
    [['--blinding', '500-100'], /--blinding must be 's2n' or MIN-MAX/],
  ])('a bad option (%j) exits non-zero with a message naming it', async (args, message) => {
    const { child } = startEmulator(args);
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    expect(await exited(child)).not.toBe(0);
    expect(err).toMatch(message);
  });
});
