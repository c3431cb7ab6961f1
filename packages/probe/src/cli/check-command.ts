import { writeFile } from 'node:fs/promises';
import { isProbeError } from '../errors.ts';
import { loadInputs } from '../inputs/load-inputs.ts';
import { renderResult, wantsColor } from '../render/index.ts';
import { renderReport } from '../render/report.ts';
import { notRunReport, type ProbeReport } from '../report.ts';
import { type PassphraseFrom, reproduceCommands } from '../reproduce.ts';
import { exitStatusOf } from '../result.ts';
import { runProbeBounded } from '../run-bounded.ts';
import { describeSummary, runLatency, watchProbe } from '../watch.ts';
import { type CheckArgs, probeOptionsFromArgs } from './check-options.ts';
import { type CliIo, EXIT_USAGE } from './io.ts';
import { invokeCanary } from './via-lambda.ts';

function passphraseFrom(args: CheckArgs): PassphraseFrom | undefined {
  if (args['passphrase-env'] !== undefined) return { env: args['passphrase-env'] };
  if (args['passphrase-file'] !== undefined) return { file: args['passphrase-file'] };
  return args.passphrase === undefined ? undefined : 'argument';
}

/** `mtls-probe check`: returns the exit status (the entry point sets it). */
export async function checkCommand(args: CheckArgs, io: CliIo): Promise<number> {
  const format = args.format ?? 'text';
  const color = args.output === undefined && wantsColor(io.stdout, io.env);
  const strict = args.strict ?? false;
  const emit = async (text: string) => {
    if (args.output === undefined) io.stdout.write(text);
    else await writeFile(args.output, text);
  };

  if (args.watch === undefined) {
    const startedAt = new Date();
    let report: ProbeReport;
    try {
      const options = probeOptionsFromArgs(args, io.env);
      report =
        args['via-lambda'] === undefined
          ? await runProbeBounded(options, {
              ...(args['max-time'] === undefined ? {} : { maxTimeMs: args['max-time'] }),
              certificateRequests: args.verbose === true,
            })
          : await invokeCanary(args, options, io.env);
      const reproduce = reproduceCommands(report, { options, passphraseFrom: passphraseFrom(args) });
      if (reproduce.length > 0) report = { ...report, reproduce };
    } catch (error) {
      // Machine readers get the document on exit 2 too, with why the run could not start.
      if (format !== 'text' && isProbeError(error)) await emit(renderReport(notRunReport(args.url, error, startedAt), format));
      throw error;
    }
    await emit(renderReport(report, format, { color, verbose: args.verbose === true }));
    if (report.error !== undefined) {
      // The canary could not run the check (its own inputs): the same status as a local run.
      if (format === 'text') io.stderr.write(`mtls-probe: ${report.error.code}: ${report.error.message}\n  hint: ${report.error.hint}\n`);
      return EXIT_USAGE;
    }
    return exitStatusOf(report, strict);
  }

  const options = probeOptionsFromArgs(args, io.env);
  const inputs = await loadInputs(options);
  let worst = 0;
  const outputs: string[] = [];
  const summary = await watchProbe(options, inputs, {
    intervalMs: args.watch * 1000,
    ...(args.count === undefined ? {} : { count: args.count }),
    ...(io.interrupted === undefined ? {} : { signal: io.interrupted }),
    onRun: (result, rolling) => {
      worst = Math.max(worst, exitStatusOf(result, strict));
      const line =
        format === 'text'
          ? `#${rolling.runs} ${result.startedAt} ${result.verdict.toUpperCase().padEnd(4)} ${runLatency(result)} ms${result.checks
              .filter((c) => c.status === 'fail')
              .map((c) => ` ${c.id}:${c.code ?? '?'}`)
              .join('')} | ${describeSummary(rolling)}\n`
          : format === 'json'
            ? `${JSON.stringify(result)}\n`
            : renderResult(result, format);
      outputs.push(line);
      if (args.output === undefined) io.stdout.write(line);
    },
  });
  if (args.output !== undefined) await writeFile(args.output, outputs.join(''));
  io.stderr.write(`mtls-probe watch: ${describeSummary(summary)}\n`);
  return worst === 1 || summary.failedRuns > 0 ? 1 : worst;
}
