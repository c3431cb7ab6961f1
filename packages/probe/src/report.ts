import type { ProbeError } from './errors.ts';
import { CHECK_IDS, type CheckId, type ProbeResult } from './result.ts';
import { parseTarget } from './run-context.ts';

/** Why a run could not run as asked (the CLI's exit status 2), in the JSON document. */
export interface NotRunReason {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

/** The CertificateRequest a server sent one address's TLS 1.2 handshake (`-v`). */
export interface CertificateRequestFacts {
  readonly address: string;
  readonly port: number;
  /** The distinguished names of the CAs the server accepts client certificates from; [] when it lists none. */
  readonly caNames?: readonly string[];
  /** Why the names could not be read (TLS 1.3 only, no CertificateRequest, a failed handshake). */
  readonly note?: string;
}

/** The commands that repeat one failing check with curl and openssl (file paths, never key material). */
export interface Reproduction {
  readonly check: CheckId;
  readonly code?: string;
  readonly commands: readonly string[];
}

/**
 * The document a CLI run or a canary invocation produces: the engine's result (schemaVersion 1),
 * plus what the run's circumstances add. Every addition is optional, so a ProbeResult is a ProbeReport.
 */
export type ProbeReport = ProbeResult & {
  /** Set when the command could not run; every check is then skipped and the verdict is fail. */
  readonly error?: NotRunReason;
  /** --insecure was given: server trust was not enforced. */
  readonly insecure?: true;
  /** --max-time was reached before every check finished. */
  readonly deadline?: { readonly maxTimeMs: number; readonly reachedIn: string };
  /** -v: the acceptable CA names of each address's CertificateRequest. */
  readonly certificateRequests?: readonly CertificateRequestFacts[];
  /** The CLI's reproduce commands for each failing check. */
  readonly reproduce?: readonly Reproduction[];
};

/** The document for a run that could not start: every check skipped, the reason beside them. */
export function notRunReport(url: string, error: ProbeError, startedAt: Date): ProbeReport {
  let target: ProbeResult['target'];
  try {
    const t = parseTarget(url);
    target = { url: t.url, host: t.host, port: t.port, servername: t.servername };
  } catch {
    target = { url, host: '', port: 0, servername: '' };
  }
  return {
    schemaVersion: 1,
    target,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    verdict: 'fail',
    checks: CHECK_IDS.map((id) => ({
      id,
      status: 'skip' as const,
      durationMs: 0,
      summary: `not run: ${error.code}`,
      details: {},
    })),
    error: { code: error.code, message: error.message, hint: error.hint },
  };
}
