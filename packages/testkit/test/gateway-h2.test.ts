// HTTP/2 through the gateway: offered by ALPN as the ALB does, and its SETTINGS frame as evidence of
// acceptance, which a refused client never gets.
import { connect as connectTls } from 'node:tls';
import type { Gateway, GatewayOptions, Issued, TestPki } from '@mtls-link/testkit';
import { describe, expect, test } from 'vitest';
import { gatewayFor, h2Get, testPki } from './gateway-fixtures.ts';

const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** An empty client SETTINGS frame: length 0, type 4, flags 0, stream 0. */
const emptySettings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

interface H2Wire {
  readonly alpn: string | false | null;
  readonly handshakeCompleted: boolean;
  /** Types of the complete frames the server sent (4 = SETTINGS). */
  readonly frameTypes: number[];
  readonly errorCode: string | undefined;
  readonly elapsedMs: number;
}

/**
 * A bare TLS client that offers only h2, sends the connection preface and its SETTINGS right after
 * the handshake, and records the frames the server sends back until it has one or the socket ends.
 */
function h2Wire(
  gateway: Gateway,
  pki: TestPki,
  client: Issued | undefined,
  version: 'TLSv1.2' | 'TLSv1.3',
): Promise<H2Wire> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connectTls({
      host: '127.0.0.1',
      port: gateway.port,
      servername: 'localhost',
      ca: pki.root.certPem,
      ALPNProtocols: ['h2'],
      minVersion: version,
      maxVersion: version,
      ...(client === undefined ? {} : { cert: client.certPem + client.chainPem, key: client.keyPem }),
    });
    let handshakeCompleted = false;
    let alpn: string | false | null = null;
    let errorCode: string | undefined;
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(new Error('test client timeout')), 10_000);
    socket.on('secureConnect', () => {
      handshakeCompleted = true;
      alpn = socket.alpnProtocol;
      socket.write(Buffer.concat([preface, emptySettings]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 9) socket.destroy();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      errorCode = e.code;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const frameTypes: number[] = [];
      for (let at = 0; at + 9 <= received.length; ) {
        frameTypes.push(received[at + 3] as number);
        at += 9 + received.readUIntBE(at, 3);
      }
      resolve({ alpn, handshakeCompleted, frameTypes, errorCode, elapsedMs: performance.now() - started });
    });
  });
}

const verify = (pki: TestPki, extra: Partial<GatewayOptions> = {}) => gatewayFor(pki, extra);

describe('HTTP/2 (ALPN h2, offered by default)', () => {
  test('the default listener negotiates h2 and serves the built-in API over it', async () => {
    const pki = await testPki();
    const gateway = await verify(pki);
    const wire = await h2Wire(gateway, pki, pki.clients.valid, 'TLSv1.3');
    expect(wire.alpn).toBe('h2');
    const answer = await h2Get(gateway, pki, '/widgets/1');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ id: '1', value: '4.99' });
  });

  test('tls.alpn [http/1.1] pins the old listener: no h2', async () => {
    const pki = await testPki();
    const gateway = await verify(pki, { tls: { alpn: ['http/1.1'] } });
    const wire = await h2Wire(gateway, pki, pki.clients.valid, 'TLSv1.3');
    expect(wire.handshakeCompleted).toBe(false);
    expect(wire.errorCode).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    test(`${version}: an accepted client gets the server's SETTINGS first; a refused one never gets any`, async () => {
      const pki = await testPki();
      const gateway = await verify(pki);
      const accepted = await h2Wire(gateway, pki, pki.clients.valid, version);
      expect(accepted.alpn).toBe('h2');
      expect(accepted.frameTypes[0]).toBe(4);
      for (const client of [pki.clients.revoked, pki.clients.foreignCa, undefined]) {
        const refused = await h2Wire(gateway, pki, client, version);
        expect(refused.frameTypes).toEqual([]);
        expect(refused.errorCode).toBe('ECONNRESET');
        // Under TLS 1.3 the client finished its handshake (ALPN h2 agreed) before it was refused.
        expect(refused.handshakeCompleted).toBe(version === 'TLSv1.3');
      }
    });
  }

  test('TLS 1.3 with blinding: the refused client hears nothing, not even SETTINGS, until the reset', async () => {
    const pki = await testPki();
    const gateway = await verify(pki, { refusal: { blinding: { minMs: 400, maxMs: 500 } } });
    const [refused, accepted] = await Promise.all([
      h2Wire(gateway, pki, pki.clients.revoked, 'TLSv1.3'),
      h2Wire(gateway, pki, pki.clients.valid, 'TLSv1.3'),
    ]);
    expect(refused.handshakeCompleted).toBe(true);
    expect(refused.frameTypes).toEqual([]);
    expect(refused.errorCode).toBe('ECONNRESET');
    expect(refused.elapsedMs).toBeGreaterThanOrEqual(390);
    expect(accepted.frameTypes[0]).toBe(4);
    expect(accepted.elapsedMs).toBeLessThan(refused.elapsedMs);
  });

  test('TLS 1.3 alert style over h2: the alert and no SETTINGS', async () => {
    const pki = await testPki();
    const gateway = await verify(pki, { refusal: { style: 'alert' } });
    const refused = await h2Wire(gateway, pki, pki.clients.revoked, 'TLSv1.3');
    expect(refused.handshakeCompleted).toBe(true);
    expect(refused.frameTypes).toEqual([]);
    expect(refused.errorCode).toBe('ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_REVOKED');
  });
});
