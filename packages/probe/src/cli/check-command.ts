import { writeFile } from 'node:fs/promises';
import { ProbeError } from '../errors.ts';
import { loadInputs } from '../inputs/load-inputs.ts';
import { wantsColor } from '../render/index.ts';
import { renderReport } from '../render/report.ts';
import type { ProbeReport } from '../report.ts';
import { exitStatusOf } from '../result.ts';
import { describeSummary, runLatency, watchProbe } from '../watch.ts';
import { type CheckArgs, probeOptionsFromArgs } from './check-options.ts';
import { type CliIo, EXIT_USAGE } from './io.ts';
import { runCheckOrReport } from './run-check.ts';

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
    const { report, error } = await runCheckOrReport(args, io.env);
    if (error !== undefined) {
      // Machine readers get the document on exit 2 too, with why the run could not start.
      if (format !== 'text') await emit(renderReport(report, format));
      throw error;
    }
    await emit(renderReport(report, format, { color, verbose: args.verbose === true }));
    if (report.error !== undefined) {
      // The canary could not run the check (its own inputs): the same status as a local run.
      if (format === 'text')
        io.stderr.write(
          `mtls-probe: ${report.error.code}: ${report.error.message}\n  hint: ${report.error.hint}\n`,
        );
      return EXIT_USAGE;
    }
    return exitStatusOf(report, strict);
  }

  const options = probeOptionsFromArgs(args, io.env);
  if (args['via-lambda'] !== undefined) {
    throw new ProbeError(
      'CONFIG_INVALID',
      '--watch and --via-lambda exclude each other: schedule the canary instead',
    );
  }
  const inputs = await loadInputs(options);
  let worst = 0;
  const outputs: string[] = [];
  const summary = await watchProbe(options, inputs, {
    intervalMs: args.watch * 1000,
    ...(args.count === undefined ? {} : { count: args.count }),
    ...(io.interrupted === undefined ? {} : { signal: io.interrupted }),
    onRun: (run, rolling) => {
      // --insecure travels with every run's output, as with a single run.
      const result: ProbeReport = options.insecure === true ? { ...run, insecure: true } : run;
      worst = Math.max(worst, exitStatusOf(result, strict));
      const line =
        format === 'text'
          ? `#${rolling.runs} ${result.startedAt} ${result.verdict.toUpperCase().padEnd(4)} ${runLatency(result)} ms${result.insecure === true ? ' INSECURE' : ''}${result.checks
              .filter((c) => c.status === 'fail')
              .map((c) => ` ${c.id}:${c.code ?? '?'}`)
              .join('')} | ${describeSummary(rolling)}\n`
          : format === 'json'
            ? `${JSON.stringify(result)}\n`
            : renderReport(result, format);
      outputs.push(line);
      if (args.output === undefined) io.stdout.write(line);
    },
  });
  if (args.output !== undefined) await writeFile(args.output, outputs.join(''));
  io.stderr.write(`mtls-probe watch: ${describeSummary(summary)}\n`);
  return worst === 1 || summary.failedRuns > 0 ? 1 : worst;
}
