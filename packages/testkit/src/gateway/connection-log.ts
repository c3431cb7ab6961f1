import type { TlsVerifyStatus } from './client-chain-verdict.ts';

/** One ALB connection-log record; field names follow the ALB documentation, in its order. */
export interface ConnectionLogEntry {
  /** ISO 8601 with microseconds, as the ALB writes it: `2026-11-24T10:00:00.123000Z`. */
  readonly timestamp: string;
  readonly clientIp: string;
  readonly clientPort: number;
  readonly listenerPort: number;
  /** `TLSv1.2`, `TLSv1.3`, or `-` when the handshake did not get that far. */
  readonly tlsProtocol: string;
  /** OpenSSL cipher name, or `-`. */
  readonly tlsCipher: string;
  /** Seconds from TCP accept to handshake completion, or -1 when there was none. */
  readonly tlsHandshakeLatency: number;
  readonly leafClientCertSubject: string;
  readonly leafClientCertValidity: string;
  readonly leafClientCertSerialNumber: string;
  /** `Success`, `Failed:<code>`, or `-` outside `verify` mode. */
  readonly tlsVerifyStatus: TlsVerifyStatus | '-';
  readonly connTraceId: string;
  readonly tlsKeyexchange: string;
  readonly elb: string;
  readonly ipAddress: string;
}

export function albLogTimestamp(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * The space-separated line. The subject is quoted because RFC 2253 names may hold spaces; `-`
 * stands for a missing value, as in the ALB's logs.
 */
export function formatConnectionLogLine(entry: ConnectionLogEntry): string {
  const dash = (value: string) => (value === '' ? '-' : value);
  return [
    entry.timestamp,
    entry.clientIp,
    String(entry.clientPort),
    String(entry.listenerPort),
    dash(entry.tlsProtocol),
    dash(entry.tlsCipher),
    entry.tlsHandshakeLatency < 0 ? '-' : entry.tlsHandshakeLatency.toFixed(3),
    `"${dash(entry.leafClientCertSubject).replace(/"/g, '\\"')}"`,
    dash(entry.leafClientCertValidity),
    dash(entry.leafClientCertSerialNumber),
    entry.tlsVerifyStatus,
    entry.connTraceId,
    dash(entry.tlsKeyexchange),
    entry.elb,
    entry.ipAddress,
  ].join(' ');
}
