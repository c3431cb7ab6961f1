import yargs, { type Argv } from 'yargs';
import { isProbeError, ProbeError, toProbeError } from '../errors.ts';
import { PROBE_VERSION } from '../version.ts';
import { CERT_OPTIONS, type CertArgs, certCommand } from './cert-command.ts';
import { checkCommand } from './check-command.ts';
import { CHECK_OPTIONS, type CheckArgs } from './check-options.ts';
import { ENROLL_OPTIONS, type EnrollArgs } from './enroll-options.ts';
import { skipHelpCache } from './help-cache.ts';
import { type CliIo, EXIT_USAGE } from './io.ts';
import { SERVE_OPTIONS, type ServeArgs, serveCommand } from './serve-command.ts';

export { EXIT_USAGE };

function reportError(error: unknown, io: CliIo): number {
  const e = isProbeError(error) ? error : toProbeError(error, 'mtls-probe failed');
  // Messages name options, files and secrets; the SDK and the probe never put key bytes in them.
  io.stderr.write(`mtls-probe: ${e.code}: ${e.message}\n  hint: ${e.hint}\n`);
  return EXIT_USAGE;
}

/**
 * The command line without the process: parses `argv`, runs the command, returns the exit status.
 * Only src/cli.ts touches process.exitCode.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let status = 0;
  const run = async (command: () => Promise<number>) => {
    try {
      status = await command();
    } catch (error) {
      status = reportError(error, io);
    }
  };
  const parser: Argv = yargs([...argv])
    .scriptName('mtls-probe')
    .usage(
      '$0 <command> [options]\n\nTests the mutual-TLS path to a private API and names the hop that is broken.',
    )
    .command(
      'check <url>',
      'run every check against <url> (DNS, VPC endpoint, TCP, TLS, client certificate, revocation, HTTP)',
      (y) =>
        y
          .positional('url', {
            type: 'string',
            describe: 'https:// URL of the API (path included); required',
          })
          .options(CHECK_OPTIONS)
          .example(
            '$0 check https://api.example.com/widgets --cert client.pem --key client.key',
            'probe with files',
          )
          .example(
            '$0 check https://api.example.com/widgets --secret-id consumer/api-client --format json',
            'probe with a secret',
          ),
      (args) => run(() => checkCommand(args as unknown as CheckArgs, io)),
    )
    .command(
      'cert [file]',
      'show what an identity holds (subject, issuer, serial, validity, key, EKU, chain) and its findings',
      (y) =>
        y
          .positional('file', {
            type: 'string',
            describe:
              'PEM bundle, certificate (alone, or with --key to judge it) or .p12/.pfx file; default: none',
          })
          .options(CERT_OPTIONS),
      (args) => run(() => certCommand(args as unknown as CertArgs, io)),
    )
    .command(
      'serve',
      'a Prometheus exporter like blackbox_exporter: GET /probe?target=URL&module=NAME runs a check, /metrics describes the exporter',
      (y) =>
        y
          .options(SERVE_OPTIONS)
          .example(
            '$0 serve --listen 0.0.0.0:9115 --config exporter.json',
            'serve the modules of exporter.json',
          ),
      (args) => run(() => serveCommand(args as unknown as ServeArgs, io)),
    )
    .command(
      'enroll',
      'issue a client certificate from AWS Private CA (key and CSR made here) and store it in Secrets Manager',
      (y) =>
        y
          .options(ENROLL_OPTIONS)
          .example(
            '$0 enroll --ca-arn arn:aws:acm-pca:eu-west-1:111111111111:certificate-authority/1234 --secret-id consumer/api-client',
            'issue and store as AWSCURRENT',
          ),
      // Loaded on use: the Private CA client costs every other command its start-up time otherwise.
      (args) =>
        run(async () =>
          (await import('./enroll-command.ts')).enrollCommand(args as unknown as EnrollArgs, io),
        ),
    )
    .completion('completion', 'print a bash/zsh completion script (source it from your shell profile)')
    .demandCommand(1, 'name a command: check, cert, serve, enroll or completion')
    .strict()
    .help()
    .alias('help', 'h')
    .version(`mtls-probe ${PROBE_VERSION} (node ${process.versions.node})`)
    .alias('version', 'V')
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      // Throwing stops yargs from running the command after a validation failure.
      throw error ?? new ProbeError('CONFIG_INVALID', message, { hint: 'run mtls-probe <command> --help' });
    });
  skipHelpCache(parser);
  try {
    await parser.parseAsync();
  } catch (error) {
    status = reportError(error, io);
  }
  return status;
}
