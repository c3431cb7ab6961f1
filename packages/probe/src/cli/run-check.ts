import { isProbeError } from '../errors.ts';
import { notRunReport, type ProbeReport } from '../report.ts';
import { reproduceCommands } from '../reproduce.ts';
import { runProbeBounded } from '../run-bounded.ts';
import { type CheckArgs, probeOptionsFromArgs } from './check-options.ts';
import { passphraseSourceOf } from './passphrase.ts';
import { invokeCanary } from './via-lambda.ts';

/**
 * One `check` as a report, locally or through the canary (--via-lambda), with the reproduce
 * commands of its failing checks. Throws a ProbeError when it cannot run as asked; `check` and the
 * exporter's /probe both run through here.
 */
export async function runCheck(
  args: CheckArgs,
  env: NodeJS.ProcessEnv,
  { reproduce: withReproduce = true }: { reproduce?: boolean } = {},
): Promise<ProbeReport> {
  const options = probeOptionsFromArgs(args, env);
  const report =
    args['via-lambda'] === undefined
      ? await runProbeBounded(options, {
          ...(args['max-time'] === undefined ? {} : { maxTimeMs: args['max-time'] }),
          certificateRequests: args.verbose === true,
        })
      : await invokeCanary(args, options, env);
  if (!withReproduce) return report;
  const reproduce = reproduceCommands(report, { options, passphraseFrom: passphraseSourceOf(args) });
  return reproduce.length === 0 ? report : { ...report, reproduce };
}

/** runCheck, with a run that cannot start turned into its not-run document (for machine readers). */
export async function runCheckOrReport(
  args: CheckArgs,
  env: NodeJS.ProcessEnv,
  options: { reproduce?: boolean } = {},
): Promise<{ report: ProbeReport; error?: unknown }> {
  const startedAt = new Date();
  try {
    return { report: await runCheck(args, env, options) };
  } catch (error) {
    if (!isProbeError(error)) throw error;
    return { report: notRunReport(args.url, error, startedAt), error };
  }
}
