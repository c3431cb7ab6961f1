import { formatHostPort } from '../net/address.ts';
import type { ProbeReport } from '../report.ts';
import { byAddress, checkOf, type Facts, factsAt, numberAt, textAt } from './details.ts';

const ms = (value: number | undefined) => (value === undefined ? '?' : `${value} ms`);

function failureText(facts: Facts | undefined): string | undefined {
  const failure = facts?.failure as Facts | undefined;
  if (failure === undefined) return undefined;
  const alert = textAt(failure, 'alert');
  return `${textAt(failure, 'signal') ?? 'failed'}${alert === undefined ? '' : ` (${alert})`} at ${textAt(failure, 'stage') ?? '?'}: ${textAt(failure, 'message') ?? ''}`;
}

/**
 * `-v`: what happened on the wire, per dialled address, from the check results (as curl -v and
 * openssl s_client show it): DNS, TCP, the TLS parameters and server chain with each expiry, the
 * CertificateRequest's CA names, the client-certificate verdict and the HTTP answer.
 */
export function renderTimeline(report: ProbeReport): string {
  const lines: string[] = ['timeline (-v):'];
  const dns = checkOf(report, 'dns.resolve');
  if (dns !== undefined && dns.status !== 'skip') {
    const answers = factsAt(dns.details.addresses).map(
      (a) => `${textAt(a, 'address')} (${textAt(a, 'scope') ?? '?'})`,
    );
    const cnames = Array.isArray(dns.details.cnameChain)
      ? (dns.details.cnameChain as unknown[]).map(String)
      : [];
    lines.push(
      `  dns   ${report.target.host} via ${String(dns.details.resolver ?? 'system')}: ${answers.join(', ') || 'no answer'}${cnames.length > 0 ? ` (CNAME ${cnames.join(' → ')})` : ''} in ${ms(dns.durationMs)}`,
    );
  }
  const tcp = byAddress(checkOf(report, 'tcp.connect'));
  const tls = byAddress(checkOf(report, 'tls.server'));
  const clientCert = byAddress(checkOf(report, 'tls.client-cert'));
  const noCert = byAddress(checkOf(report, 'tls.no-client-cert'));
  const http = byAddress(checkOf(report, 'http.response'));
  const requests = new Map((report.certificateRequests ?? []).map((r) => [`${r.address} ${r.port}`, r]));
  const keys = [...new Set([...tcp.keys(), ...tls.keys(), ...clientCert.keys(), ...http.keys()])];
  for (const key of keys) {
    const [address = '', port = ''] = key.split(' ');
    lines.push(`  ${formatHostPort(address, Number(port))}`);
    const t = tcp.get(key);
    if (t !== undefined) {
      lines.push(
        `    tcp   ${t.ok === false ? `failed: ${textAt(t, 'error') ?? '?'}` : `connected in ${ms(numberAt(t, 'connectMs'))}`}`,
      );
    }
    const s = tls.get(key);
    if (s !== undefined) {
      const timings = s.timings as Facts | undefined;
      const protocol = textAt(s, 'protocol');
      lines.push(
        protocol === undefined
          ? `    tls   ${failureText(s) ?? 'no handshake'}`
          : `    tls   ${protocol} ${textAt(s, 'cipher') ?? ''} ALPN ${textAt(s, 'alpn') ?? 'none'}, handshake ${ms(numberAt(timings, 'tlsMs'))}`,
      );
      factsAt(s.chain).forEach((cert, i) => {
        lines.push(
          `    ${i === 0 ? 'chain' : '     '} ${i} ${textAt(cert, 'subject')} (issuer ${textAt(cert, 'issuer')}) serial ${textAt(cert, 'serialNumber')}, expires ${textAt(cert, 'notAfter')} (${numberAt(cert, 'daysLeft')} days)`,
        );
      });
    }
    const request = requests.get(key);
    if (request !== undefined) {
      lines.push(
        request.caNames === undefined
          ? `    ca    acceptable CA names: not read (${request.note})`
          : request.caNames.length === 0
            ? '    ca    acceptable CA names: none listed (the server names no CAs in its CertificateRequest)'
            : `    ca    acceptable CA names (CertificateRequest): ${request.caNames.join('; ')}`,
      );
    }
    const n = noCert.get(key);
    if (n !== undefined)
      lines.push(
        `    bare  without a client certificate: ${n.refused === true ? 'refused' : (failureText(n) ?? `answered ${numberAt(n, 'status') ?? '?'}`)}`,
      );
    const c = clientCert.get(key);
    if (c !== undefined)
      lines.push(
        `    cert  with the client certificate: ${c.accepted === true ? 'accepted' : (failureText(c) ?? 'refused')}`,
      );
    const h = http.get(key) ?? c;
    const status = numberAt(h, 'status');
    if (status !== undefined) {
      const timings = h?.timings as Facts | undefined;
      lines.push(
        `    http  status ${status}, first byte ${ms(numberAt(timings, 'firstByteMs'))}, total ${ms(numberAt(timings, 'totalMs'))}`,
      );
    }
  }
  const answer = checkOf(report, 'http.response');
  if (answer !== undefined && answer.status !== 'skip') {
    const d = answer.details;
    const head = [
      numberAt(d, 'status') === undefined ? undefined : `status ${numberAt(d, 'status')}`,
      textAt(d, 'server') === undefined ? undefined : `server: ${textAt(d, 'server')}`,
      textAt(d, 'requestId') === undefined ? undefined : `request id ${textAt(d, 'requestId')}`,
      textAt(d, 'errorType') === undefined ? undefined : `error type ${textAt(d, 'errorType')}`,
    ].filter((p) => p !== undefined);
    // `body` is the start of a failed answer; `bodyStart`, when the check reports it, that of any answer.
    const body = textAt(d, 'body') ?? textAt(d, 'bodyStart');
    lines.push(
      `  response: ${head.join(', ') || answer.summary}${body === undefined ? '' : `, first bytes ${JSON.stringify(body.slice(0, 120))}`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
