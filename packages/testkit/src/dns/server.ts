import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';
import { TestkitError } from '../errors.ts';

export interface DnsRecord {
  type: 'A' | 'AAAA' | 'CNAME' | 'TXT';
  /** Address, target name or text (long text is split into 255-byte strings as DNS requires). */
  data: string;
  /** Seconds. @default 60 */
  ttl?: number;
}

export interface DnsServerOptions {
  /** Records per name (case-insensitive, trailing dot optional). Names not listed answer NXDOMAIN. */
  records: Record<string, DnsRecord[]>;
  /** Names whose queries are swallowed: the client sees a timeout. */
  silent?: string[];
  /** Names answered with SERVFAIL. */
  servfail?: string[];
  /** Names answered with REFUSED (a resolver that does not serve them). */
  refused?: string[];
  /**
   * Query types answered this way for every name, whatever the records: e.g. `{ CNAME: 'refused' }`
   * is dnsmasq without a local zone, answering A but refusing what it would have to forward.
   */
  byType?: Partial<Record<DnsRecord['type'], 'refused' | 'servfail' | 'silent'>>;
}

export interface DnsQuery {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}

export interface LocalDnsServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `127.0.0.1:PORT`, for `Resolver.setServers`. */
  readonly address: string;
  /** Queries received so far, answered or not. */
  readonly queries: number;
  readonly queryLog: DnsQuery[];
  /** Replaces a name's records while running (`undefined` removes the name: NXDOMAIN). */
  setRecords(name: string, records: DnsRecord[] | undefined): void;
  setSilent(name: string, on: boolean): void;
  close(): Promise<void>;
}

const defaultTtl = 60;
const maxCnameHops = 8;
const rcodes = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

const normalise = (name: string) => name.toLowerCase().replace(/\.$/, '');

const textChunks = (text: string): string[] => {
  const bytes = Buffer.from(text);
  const chunks: string[] = [];
  for (let at = 0; at < bytes.length || chunks.length === 0; at += 255) {
    chunks.push(bytes.subarray(at, at + 255).toString());
  }
  return chunks;
};

/**
 * A DNS server on 127.0.0.1 (UDP, and TCP on the same port) for tests that point `node:dns`
 * `Resolver#setServers` at it. The wire format is dns-packet's; the answering rules follow an
 * authoritative server: CNAME chains are followed within the zone and returned in one answer.
 */
export async function startDnsServer(opts: DnsServerOptions): Promise<LocalDnsServer> {
  const records = new Map<string, DnsRecord[]>();
  for (const [name, list] of Object.entries(opts.records)) records.set(normalise(name), list);
  const silent = new Set((opts.silent ?? []).map(normalise));
  const servfail = new Set((opts.servfail ?? []).map(normalise));
  const refused = new Set((opts.refused ?? []).map(normalise));
  const byType: Partial<Record<string, 'refused' | 'servfail' | 'silent'>> = { ...opts.byType };
  const queryLog: DnsQuery[] = [];

  const toAnswer = (name: string, record: DnsRecord): Answer => {
    const base = { name, ttl: record.ttl ?? defaultTtl, class: 'IN' as const };
    if (record.type === 'TXT') return { ...base, type: 'TXT', data: textChunks(record.data) };
    return { ...base, type: record.type, data: record.data };
  };

  /** Builds the answer for one question; `undefined` means stay silent. */
  const answer = (query: DecodedPacket, transport: DnsQuery['transport']): Packet | undefined => {
    const question = query.questions?.[0];
    const name = question ? normalise(question.name) : '';
    queryLog.push({ name, type: question?.type ?? '', transport });
    const forType = question === undefined ? undefined : byType[question.type];
    if (silent.has(name) || forType === 'silent') return undefined;

    let rcode: number = rcodes.NOERROR;
    const answers: Answer[] = [];
    if (!question || servfail.has(name) || forType === 'servfail') {
      rcode = rcodes.SERVFAIL;
    } else if (refused.has(name) || forType === 'refused') {
      rcode = rcodes.REFUSED;
    } else if (!records.has(name)) {
      rcode = rcodes.NXDOMAIN;
    } else {
      let current = name;
      for (let hop = 0; hop < maxCnameHops; hop++) {
        const list = records.get(current) ?? [];
        const direct = list.filter((r) => r.type === question.type);
        const cname = list.find((r) => r.type === 'CNAME');
        if (direct.length > 0 || !cname) {
          answers.push(...direct.map((r) => toAnswer(current, r)));
          break;
        }
        answers.push(toAnswer(current, cname));
        current = normalise(cname.data);
      }
    }
    const recursionDesired = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
    return {
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | recursionDesired | dnsPacket.RECURSION_AVAILABLE | rcode,
      questions: query.questions ?? [],
      answers,
    };
  };

  const onUdpMessage = (udp: UdpSocket, message: Buffer, remote: RemoteInfo) => {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return; // not DNS: drop it, as a server would
    }
    const reply = answer(query, 'udp');
    if (reply) udp.send(dnsPacket.encode(reply), remote.port, remote.address);
  };

  const sockets = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      // Each TCP message is prefixed by its 16-bit length.
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        let query: DecodedPacket;
        try {
          query = dnsPacket.decode(message);
        } catch {
          socket.destroy();
          return;
        }
        const reply = answer(query, 'tcp');
        if (reply) socket.write(dnsPacket.streamEncode(reply));
      }
    });
  });

  const { udp, port } = await bindPair(onUdpMessage, tcp);
  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    get queries() {
      return queryLog.length;
    },
    queryLog,
    setRecords(name, list) {
      if (list) records.set(normalise(name), list);
      else records.delete(normalise(name));
    },
    setSilent(name, on) {
      if (on) silent.add(normalise(name));
      else silent.delete(normalise(name));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

/** UDP takes a free port; TCP then listens on the same number, retrying when another process holds it. */
async function bindPair(
  onMessage: (udp: UdpSocket, message: Buffer, remote: RemoteInfo) => void,
  tcp: Server,
): Promise<{ udp: UdpSocket; port: number }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const udp = createSocket('udp4');
    udp.on('message', (message, remote) => onMessage(udp, message, remote));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const port = udp.address().port;
    const listening = await new Promise<boolean>((resolve) => {
      const onError = () => resolve(false);
      tcp.once('error', onError);
      tcp.listen(port, '127.0.0.1', () => {
        tcp.off('error', onError);
        resolve(true);
      });
    });
    if (listening) return { udp, port };
    await new Promise<void>((resolve) => udp.close(() => resolve()));
  }
  throw new TestkitError(
    'DNS_PORT_BUSY',
    'found no port free for both UDP and TCP on 127.0.0.1 in 5 attempts',
  );
}
