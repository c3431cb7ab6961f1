import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Issued } from '@mtls-link/testkit';
import { describe, expect, test } from 'vitest';
import { attempt, gatewayFor, testPki } from './gateway-fixtures.ts';

const versions = ['TLSv1.2', 'TLSv1.3'] as const;

describe('a refused client certificate is signalled exactly as configured', () => {
  for (const version of versions) {
    const tls13 = version === 'TLSv1.3';

    test(`${version} alert: the client reads certificate_revoked ${tls13 ? 'after' : 'during'} its handshake`, async () => {
      const pki = await testPki();
      const gateway = await gatewayFor(pki, { refusal: { style: 'alert' } });
      const seen = await attempt(gateway, pki, pki.clients.revoked, { version });
      expect(seen.signal).toBe('alert');
      expect(seen.errorCode).toBe('ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_REVOKED');
      expect(seen.handshakeCompleted).toBe(tls13);
      expect(seen.response).toBe('');
    });

    test(`${version} reset (the default, as the ALB): ECONNRESET ${tls13 ? 'on the first request after the handshake' : 'in the handshake'}, no alert, not one byte`, async () => {
      const pki = await testPki();
      for (const gateway of [await gatewayFor(pki), await gatewayFor(pki, { refusal: { style: 'reset' } })]) {
        const seen = await attempt(gateway, pki, pki.clients.revoked, { version });
        expect(seen.signal).toBe('reset');
        expect(seen.errorCode).toBe('ECONNRESET');
        expect(seen.sawEnd).toBe(false);
        expect(seen.response).toBe('');
        expect(seen.handshakeCompleted).toBe(tls13);
        expect(seen.requestSent).toBe(tls13);
        // A missing certificate is refused the same way.
        const none = await attempt(gateway, pki, undefined, { version });
        expect([none.signal, none.handshakeCompleted]).toEqual(['reset', tls13]);
      }
    });

    test(`${version} close-notify (s2n-tls): a close_notify, never an alert, then the connection ends`, async () => {
      const pki = await testPki();
      const gateway = await gatewayFor(pki, { refusal: { style: 'close-notify' } });
      const seen = await attempt(gateway, pki, pki.clients.revoked, { version });
      expect(seen.response).toBe('');
      expect(seen.handshakeCompleted).toBe(tls13);
      expect(seen.errorCode ?? '').not.toMatch(/ALERT/);
      // Node reads the close_notify as end of stream; the reset for the unread request may follow.
      expect(['close', 'reset']).toContain(seen.signal);
      if (tls13) expect(seen.sawEnd).toBe(true);
    });

    test(`${version} close: the client sees end-of-stream before any byte`, async () => {
      const pki = await testPki();
      const gateway = await gatewayFor(pki, { refusal: { style: 'close' } });
      const seen = await attempt(gateway, pki, pki.clients.revoked, { version });
      expect(seen.signal).toBe('close');
      expect(seen.sawEnd).toBe(true);
      expect(seen.response).toBe('');
      expect(seen.handshakeCompleted).toBe(tls13);
      if (tls13) {
        // close_notify then FIN: a clean end, no error at all.
        expect(seen.errorCode).toBeUndefined();
      } else {
        // The server's Finished never came: Node reports the end of stream as a failed handshake.
        expect(seen.errorMessage).toMatch(/before secure TLS connection was established/);
      }
    });

    test(`${version} alert for a missing certificate`, async () => {
      const pki = await testPki();
      const gateway = await gatewayFor(pki, { refusal: { style: 'alert' } });
      const seen = await attempt(gateway, pki, undefined, { version });
      expect(seen.signal).toBe('alert');
      // TLS 1.2 has no certificate_required; handshake_failure is what RFC 5246 suggests.
      expect(seen.errorCode).toBe(
        tls13 ? 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' : 'ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE',
      );
    });
  }

  test('each verdict has its own alert (TLS 1.3)', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { refusal: { style: 'alert' } });
    const expected = {
      expired: 'ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_EXPIRED',
      notYetValid: 'ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_EXPIRED',
      foreignCa: 'ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_UNKNOWN',
      serverAuthOnly: 'ERR_SSL_SSL/TLS_ALERT_UNSUPPORTED_CERTIFICATE',
      rsa1024: 'ERR_SSL_SSL/TLS_ALERT_UNSUPPORTED_CERTIFICATE',
      chainTooDeep: 'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE',
    } as const;
    for (const [flavour, code] of Object.entries(expected)) {
      const seen = await attempt(gateway, pki, pki.clients[flavour as keyof typeof expected], {
        version: 'TLSv1.3',
      });
      expect({ flavour, code: seen.errorCode }).toEqual({ flavour, code });
    }
  });

  test('the valid certificate is answered whatever the refusal style', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { refusal: { style: 'reset' } });
    for (const version of versions) {
      const seen = await attempt(gateway, pki, pki.clients.valid, { version });
      expect(seen.signal).toBe('answer');
      expect(seen.response).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(seen.protocol).toBe(version);
    }
  });

  test('update() switches the refusal style for the next connections', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { refusal: { style: 'alert' } });
    expect((await attempt(gateway, pki, pki.clients.revoked)).signal).toBe('alert');
    gateway.update({ refusal: { style: 'reset' } });
    expect((await attempt(gateway, pki, pki.clients.revoked)).signal).toBe('reset');
    gateway.update({ refusal: { style: 'close' } });
    expect((await attempt(gateway, pki, pki.clients.revoked)).signal).toBe('close');
  });
});

describe('refusal delay (s2n-style)', () => {
  test('the signal arrives only after delayMs; the valid client is not delayed', async () => {
    const pki = await testPki();
    // A delay well above a slow handshake on a busy machine, so the valid client finishes first.
    const gateway = await gatewayFor(pki, { refusal: { style: 'alert', delayMs: 1_000 } });
    const [refused, accepted] = await Promise.all([
      attempt(gateway, pki, pki.clients.revoked, { version: 'TLSv1.3' }),
      attempt(gateway, pki, pki.clients.valid, { version: 'TLSv1.3' }),
    ]);
    expect(refused.signal).toBe('alert');
    expect(refused.elapsedMs).toBeGreaterThanOrEqual(990);
    expect(accepted.signal).toBe('answer');
    expect(accepted.elapsedMs).toBeLessThan(refused.elapsedMs);
  });

  test('blinding: silence for a random time within the range, then the reset (no byte before it)', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { refusal: { blinding: { minMs: 300, maxMs: 600 } } });
    for (const version of versions) {
      const [refused, accepted] = await Promise.all([
        attempt(gateway, pki, pki.clients.revoked, { version }),
        attempt(gateway, pki, pki.clients.valid, { version }),
      ]);
      expect(refused.signal).toBe('reset');
      expect(refused.response).toBe('');
      expect(refused.elapsedMs).toBeGreaterThanOrEqual(290);
      // The range's upper end plus a generous margin for a busy machine.
      expect(refused.elapsedMs).toBeLessThan(600 + 5_000);
      expect(accepted.signal).toBe('answer');
    }
    // Blinding ends with whichever signal the style names.
    gateway.update({ refusal: { style: 'alert', blinding: { minMs: 100, maxMs: 100 } } });
    const alerted = await attempt(gateway, pki, pki.clients.revoked, { version: 'TLSv1.3' });
    expect(alerted.errorCode).toBe('ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_REVOKED');
    expect(alerted.elapsedMs).toBeGreaterThanOrEqual(95);
  });

  test('blinding and delay options are checked', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki);
    expect(() => gateway.update({ refusal: { blinding: { minMs: 500, maxMs: 100 } } })).toThrow(
      /update: refusal\.blinding/,
    );
    expect(() => gateway.update({ refusal: { blinding: { minMs: -1, maxMs: 100 } } })).toThrow(
      /refusal\.blinding/,
    );
    expect(() => gateway.update({ refusal: { style: 'drop' as never } })).toThrow(
      /refusal\.style must be one of 'reset', 'close-notify', 'alert', 'close'/,
    );
  });

  test('close() does not wait for a pending refusal delay and drops that connection', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { refusal: { style: 'alert', delayMs: 60_000 } });
    const pending = attempt(gateway, pki, pki.clients.revoked, { version: 'TLSv1.3', timeoutMs: 20_000 });
    await expect.poll(() => gateway.connectionLog.length, { timeout: 5_000 }).toBe(1);
    const started = performance.now();
    await gateway.close();
    expect(performance.now() - started).toBeLessThan(2_000);
    const seen = await pending;
    expect(seen.elapsedMs).toBeLessThan(10_000);
    expect(seen.response).toBe('');
    expect(['reset', 'close']).toContain(seen.signal);
  });
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!hasOpenssl)
  console.warn('openssl CLI not found: the HelloRetryRequest test (needs s_client) is skipped');

describe('HelloRetryRequest', () => {
  /** openssl s_client offering a key share the server does not prefer, so the server asks again. */
  async function sClientWithRetry(port: number, caPem: string, client: Issued): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'gateway-hrr-'));
    try {
      await writeFile(join(dir, 'ca.pem'), caPem);
      await writeFile(join(dir, 'client.pem'), client.certPem + client.chainPem);
      await writeFile(join(dir, 'key.pem'), client.keyPem, { mode: 0o600 });
      const args = [
        's_client',
        '-tls1_3',
        '-groups',
        'secp384r1:X25519',
        '-msg',
        '-ign_eof',
        '-connect',
        `127.0.0.1:${port}`,
        '-CAfile',
        join(dir, 'ca.pem'),
        '-cert',
        join(dir, 'client.pem'),
        '-key',
        join(dir, 'key.pem'),
      ];
      return await new Promise<string>((resolve) => {
        const child = execFile('openssl', args, { timeout: 10_000, encoding: 'utf8' }, (_e, stdout, stderr) =>
          resolve(stdout + stderr),
        );
        child.stdin?.end('GET /widgets/1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  test.skipIf(!hasOpenssl)(
    'after a HelloRetryRequest the gate still waits for the right flight',
    async () => {
      const pki = await testPki();
      const gateway = await gatewayFor(pki, { refusal: { style: 'alert' } });
      const accepted = await sClientWithRetry(gateway.port, pki.root.certPem, pki.clients.valid);
      // The first ServerHello is the HelloRetryRequest, the second the real one.
      expect(accepted.match(/<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], ServerHello/g)).toHaveLength(2);
      expect(accepted).toContain('{"id":"1","value":"4.99"}');
      const refused = await sClientWithRetry(gateway.port, pki.root.certPem, pki.clients.revoked);
      expect(refused).toContain('alert certificate revoked');
    },
  );
});
