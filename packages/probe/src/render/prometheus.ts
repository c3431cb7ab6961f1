import type { ProbeReport } from '../report.ts';
import { checkOf, factsAt, numberAt, textAt } from './details.ts';

/** A label value in the text exposition format: backslash, double quote and newline escaped. */
export const escapeLabel = (value: string) =>
  value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

export const labelsOf = (labels: Readonly<Record<string, string>>) => {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
};

/** One metric family: HELP, TYPE and its samples. */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly samples: readonly { readonly labels?: Readonly<Record<string, string>>; readonly value: number }[];
}

export function renderFamilies(families: readonly Family[]): string {
  return families
    .filter((f) => f.samples.length > 0)
    .map((f) =>
      [
        `# HELP ${f.name} ${f.help}`,
        `# TYPE ${f.name} ${f.type}`,
        ...f.samples.map(
          (s) => `${f.name}${labelsOf(s.labels ?? {})} ${Number.isFinite(s.value) ? s.value : 'NaN'}`,
        ),
      ].join('\n'),
    )
    .join('\n')
    .concat('\n');
}

const seconds = (iso: string | undefined) => {
  const t = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(t) ? undefined : t / 1000;
};

/**
 * The run as Prometheus metrics, named as blackbox_exporter names its own where they mean the same
 * (probe_success, probe_duration_seconds, probe_ssl_earliest_cert_expiry, probe_http_status_code),
 * plus one gauge per check labelled with its status and code.
 */
export function prometheusFamilies(report: ProbeReport): Family[] {
  const server = checkOf(report, 'tls.server');
  const expiries = factsAt(server?.details.addresses)
    .flatMap((a) => factsAt(a.chain))
    .map((c) => seconds(textAt(c, 'notAfter')))
    .filter((t): t is number => t !== undefined);
  const client = seconds(textAt(checkOf(report, 'client-cert.inspect')?.details, 'notAfter'));
  const http = checkOf(report, 'http.response');
  const status = numberAt(http?.details, 'status');
  const phases = http?.details.phases as Readonly<Record<string, unknown>> | undefined;
  const protocol = textAt(server?.details, 'protocol');
  return [
    {
      name: 'probe_success',
      help: 'Whether every check passed or only warned (1) or one failed or the run could not start (0).',
      type: 'gauge',
      samples: [{ value: report.verdict === 'fail' ? 0 : 1 }],
    },
    {
      name: 'probe_duration_seconds',
      help: 'How long the whole run took.',
      type: 'gauge',
      samples: [{ value: report.durationMs / 1000 }],
    },
    {
      name: 'probe_mtls_check',
      help: 'One sample per check: 1 when it passed or warned, 0 when it failed or was skipped; status and code as labels.',
      type: 'gauge',
      samples: report.checks.map((c) => ({
        labels: { check: c.id, status: c.status, code: c.code ?? '' },
        value: c.status === 'pass' || c.status === 'warn' ? 1 : 0,
      })),
    },
    {
      name: 'probe_ssl_earliest_cert_expiry',
      help: 'Expiry of the first server certificate in the chains presented to expire, as Unix time in seconds.',
      type: 'gauge',
      samples: expiries.length === 0 ? [] : [{ value: Math.min(...expiries) }],
    },
    {
      name: 'probe_client_cert_expiry',
      help: 'Expiry of the client certificate presented, as Unix time in seconds.',
      type: 'gauge',
      samples: client === undefined ? [] : [{ value: client }],
    },
    {
      name: 'probe_tls_version_info',
      help: 'The TLS version the server negotiated.',
      type: 'gauge',
      samples: protocol === undefined ? [] : [{ labels: { version: protocol }, value: 1 }],
    },
    {
      name: 'probe_http_status_code',
      help: 'HTTP status of the answer, 0 when none arrived.',
      type: 'gauge',
      samples: http === undefined || http.status === 'skip' ? [] : [{ value: status ?? 0 }],
    },
    {
      name: 'probe_http_duration_seconds',
      help: 'Duration of each phase of the HTTP request (dns, connect, tls, firstByte, total).',
      type: 'gauge',
      samples: Object.entries(phases ?? {})
        .filter((e): e is [string, number] => typeof e[1] === 'number')
        .map(([phase, value]) => ({ labels: { phase }, value: Number((value / 1000).toFixed(6)) })),
    },
    {
      name: 'probe_insecure',
      help: 'The run did not enforce server trust (--insecure).',
      type: 'gauge',
      samples: [{ value: report.insecure === true ? 1 : 0 }],
    },
    {
      name: 'probe_mtls_run_error',
      help: 'The run could not start (an option, file or secret could not be used); the code is a label.',
      type: 'gauge',
      samples: report.error === undefined ? [] : [{ labels: { code: report.error.code }, value: 1 }],
    },
  ];
}

/** `--format prometheus`: the text exposition format (version 0.0.4). */
export function renderPrometheus(report: ProbeReport): string {
  return renderFamilies(prometheusFamilies(report));
}
