import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { type LocalDnsServer, startDnsServer } from '@mtls-link/testkit';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let dns: LocalDnsServer;
let resolver: Resolver;
/** Only for names that are never answered: waiting out its timeout is the point. */
let impatient: Resolver;

beforeAll(async () => {
  dns = await startDnsServer({
    records: {
      'api.example.com': [
        { type: 'A', data: '10.0.1.10', ttl: 30 },
        { type: 'A', data: '10.0.2.10', ttl: 30 },
        { type: 'AAAA', data: 'fd00::10' },
      ],
      'Alias.Example.com.': [{ type: 'CNAME', data: 'hop.example.com' }],
      'hop.example.com': [{ type: 'CNAME', data: 'api.example.com' }],
      '_verify.example.com': [
        { type: 'TXT', data: 'vpce:abc123' },
        { type: 'TXT', data: 'x'.repeat(300) },
      ],
      'text-only.example.com': [{ type: 'TXT', data: 'no addresses here' }],
    },
    silent: ['blackhole.example.com'],
    servfail: ['broken.example.com'],
  });
  // The server shares this process's event loop: on a loaded machine an answer can take longer than
  // a short timeout, so answered names get a generous one.
  resolver = new Resolver({ timeout: 5_000, tries: 1 });
  resolver.setServers([dns.address]);
  impatient = new Resolver({ timeout: 300, tries: 1 });
  impatient.setServers([dns.address]);
});

afterAll(async () => {
  await dns.close();
});

async function failure(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await promise;
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  throw new Error('expected the lookup to fail');
}

describe('DNS server through node:dns', () => {
  test('binds 127.0.0.1 on a free port', () => {
    expect(dns.host).toBe('127.0.0.1');
    expect(dns.port).toBeGreaterThan(0);
    expect(dns.address).toBe(`127.0.0.1:${dns.port}`);
  });

  test('answers A with TTLs and AAAA', async () => {
    expect(await resolver.resolve4('api.example.com', { ttl: true })).toEqual([
      { address: '10.0.1.10', ttl: 30 },
      { address: '10.0.2.10', ttl: 30 },
    ]);
    expect(await resolver.resolve6('api.example.com')).toEqual(['fd00::10']);
    expect(await resolver.resolve4('API.EXAMPLE.COM.')).toEqual(['10.0.1.10', '10.0.2.10']);
  });

  test('follows a CNAME chain in one response', async () => {
    const before = dns.queries;
    expect(await resolver.resolve4('alias.example.com')).toEqual(['10.0.1.10', '10.0.2.10']);
    expect(dns.queries - before).toBe(1);
    expect(await resolver.resolveCname('alias.example.com')).toEqual(['hop.example.com']);
  });

  test('answers TXT, splitting long text into 255-byte strings', async () => {
    const records = await resolver.resolveTxt('_verify.example.com');
    expect(records).toEqual([['vpce:abc123'], ['x'.repeat(255), 'x'.repeat(45)]]);
  });

  test('a name with no record of the asked type answers NODATA (ENODATA), not NXDOMAIN', async () => {
    const error = await failure(resolver.resolve4('text-only.example.com'));
    expect(error.code).toBe('ENODATA');
  });

  test('an unknown name is NXDOMAIN (ENOTFOUND)', async () => {
    const error = await failure(resolver.resolve4('missing.example.com'));
    expect(error.code).toBe('ENOTFOUND');
  });

  test('a silent name is never answered (ETIMEOUT) but counted', async () => {
    const before = dns.queries;
    const started = performance.now();
    const error = await failure(impatient.resolve4('blackhole.example.com'));
    expect(error.code).toBe('ETIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(dns.queries - before).toBe(1);
    expect(dns.queryLog.at(-1)).toEqual({ name: 'blackhole.example.com', type: 'A', transport: 'udp' });
  });

  test('a servfail name answers SERVFAIL (ESERVFAIL)', async () => {
    const error = await failure(resolver.resolve4('broken.example.com'));
    expect(error.code).toBe('ESERVFAIL');
  });

  test('records and silence change while running', async () => {
    dns.setRecords('late.example.com', [{ type: 'A', data: '10.9.9.9' }]);
    expect(await resolver.resolve4('late.example.com')).toEqual(['10.9.9.9']);
    dns.setSilent('late.example.com', true);
    expect((await failure(impatient.resolve4('late.example.com'))).code).toBe('ETIMEOUT');
    dns.setSilent('late.example.com', false);
    dns.setRecords('late.example.com', undefined);
    expect((await failure(resolver.resolve4('late.example.com'))).code).toBe('ENOTFOUND');
  });
});

describe('DNS wire details', () => {
  /** Sends one query over TCP (length-prefixed) and decodes the reply. */
  function queryTcp(name: string, type: 'A' | 'AAAA'): Promise<ReturnType<typeof dnsPacket.decode>> {
    return new Promise((resolve, reject) => {
      const socket = connect(dns.port, '127.0.0.1');
      let buffered = Buffer.alloc(0);
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          socket.end();
          resolve(dnsPacket.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
        }
      });
      socket.write(
        dnsPacket.streamEncode({
          type: 'query',
          id: 4242,
          flags: dnsPacket.RECURSION_DESIRED,
          questions: [{ type, name, class: 'IN' }],
        }),
      );
    });
  }

  test('answers over TCP on the same port, echoing id and flags', async () => {
    const reply = await queryTcp('alias.example.com', 'A');
    expect(reply.id).toBe(4242);
    expect(reply.flag_qr).toBe(true);
    expect(reply.flag_aa).toBe(true);
    expect(reply.flag_rd).toBe(true);
    expect((reply as { rcode?: string }).rcode).toBe('NOERROR');
    expect(reply.answers?.map((a) => [a.name, a.type, 'data' in a ? a.data : undefined])).toEqual([
      ['alias.example.com', 'CNAME', 'hop.example.com'],
      ['hop.example.com', 'CNAME', 'api.example.com'],
      ['api.example.com', 'A', '10.0.1.10'],
      ['api.example.com', 'A', '10.0.2.10'],
    ]);
    expect(dns.queryLog.at(-1)?.transport).toBe('tcp');
  });

  test('NXDOMAIN carries rcode 3 with QR and AA set and no answers', async () => {
    const reply = await queryTcp('missing.example.com', 'AAAA');
    expect((reply as { rcode?: string }).rcode).toBe('NXDOMAIN');
    expect(reply.flags! & 0xf).toBe(3);
    expect(reply.flag_qr && reply.flag_aa).toBe(true);
    expect(reply.answers).toEqual([]);
  });
});
