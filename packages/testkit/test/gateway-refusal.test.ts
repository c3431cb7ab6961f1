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

    test(`${version} reset: the client gets ECONNRESET and not one byte`, async () => {
      const pki = await testPki();
      const gateway = await gatewayFor(pki, { refusal: { style: 'reset' } });
      const seen = await attempt(gateway, pki, pki.clients.revoked, { version });
      expect(seen.signal).toBe('reset');
      expect(seen.errorCode).toBe('ECONNRESET');
      expect(seen.sawEnd).toBe(false);
      expect(seen.handshakeCompleted).toBe(tls13);
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
      const gateway = await gatewayFor(pki);
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
    const gateway = await gatewayFor(pki);
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
    const gateway = await gatewayFor(pki, { refusal: { style: 'alert', delayMs: 400 } });
    const [refused, accepted] = await Promise.all([
      attempt(gateway, pki, pki.clients.revoked, { version: 'TLSv1.3' }),
      attempt(gateway, pki, pki.clients.valid, { version: 'TLSv1.3' }),
    ]);
    expect(refused.signal).toBe('alert');
    expect(refused.elapsedMs).toBeGreaterThanOrEqual(390);
    expect(accepted.signal).toBe('answer');
    expect(accepted.elapsedMs).toBeLessThan(refused.elapsedMs);
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
