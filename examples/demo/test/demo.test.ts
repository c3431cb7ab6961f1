import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const run = promisify(execFile);
const demo = fileURLToPath(new URL('../dist/main.js', import.meta.url));

// The README's first command runs exactly this (after the build the test command also does).
test('the demo runs the probe and the SDK against the emulated producer and explains the revoked case', async () => {
  const { stdout } = await run(process.execPath, [demo], {
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  expect(stdout).toMatch(/ok\s+tls\.client-cert/);
  expect(stdout).toMatch(/PASS: \d+ passed, 0 warned, 0 failed/);
  expect(stdout).toContain('GET /widgets/1 -> 200 {"id":"1","value":"4.99"}');
  expect(stdout).toMatch(/FAIL\s+tls\.client-cert.*MTLS_REJECTED/);
  expect(stdout).toMatch(/FAIL\s+revocation\.crl.*CLIENT_CERT_REVOKED/);
  // The emulated ALB refuses as the real one does: a reset right after the TLS 1.3 handshake.
  expect(stdout).toMatch(/ClientCertificateRejectedError MTLS_REJECTED: .*resetting the connection/);
  expect(stdout).toContain('demo finished: the good identity works end to end');
  expect(stdout).not.toMatch(/PRIVATE KEY/);
});
