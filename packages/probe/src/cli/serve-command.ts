import type { Options } from 'yargs';
import { ProbeError } from '../errors.ts';
import { parseHostPort } from '../net/address.ts';
import { loadExporterConfig } from '../serve/config.ts';
import type { CliIo } from './io.ts';

/** `mtls-probe serve` options; each description states its default. */
export const SERVE_OPTIONS = {
  listen: {
    type: 'string',
    default: '127.0.0.1:9115',
    describe: 'HOST:PORT to listen on (port 0: a free port, printed at start)',
  },
  config: {
    type: 'string',
    demandOption: true,
    describe:
      'JSON file: {"modules": {"NAME": {check options}}, "maxConcurrent": 4, "maxTimeMs": 10000}; required',
  },
} as const satisfies Record<string, Options>;

export interface ServeArgs {
  readonly listen?: string | undefined;
  readonly config: string;
}

/** Runs the exporter until Ctrl-C (or SIGTERM); returns 0 once it has closed. */
export async function serveCommand(args: ServeArgs, io: CliIo): Promise<number> {
  const given = args.listen ?? SERVE_OPTIONS.listen.default;
  // Port 0 (any free port) is no dial target, so parseHostPort refuses it; here it is meant.
  const anyPort = /:0$/.test(given);
  const parsed = parseHostPort(anyPort ? given.replace(/:0$/, ':1') : given);
  const listen = parsed === undefined ? undefined : { host: parsed.host, port: anyPort ? 0 : parsed.port };
  if (listen === undefined) {
    throw new ProbeError(
      'CONFIG_INVALID',
      `--listen: expected HOST:PORT, got ${JSON.stringify(args.listen)}`,
    );
  }
  const config = await loadExporterConfig(args.config);
  // Loaded on use: the exporter's HTTP server is no part of any other command.
  const { startExporter } = await import('../serve/exporter.ts');
  let exporter: Awaited<ReturnType<typeof startExporter>>;
  try {
    exporter = await startExporter(config, listen, io.env);
  } catch (cause) {
    throw new ProbeError(
      'CONFIG_INVALID',
      `--listen ${args.listen}: cannot listen (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause },
    );
  }
  io.stdout.write(
    `mtls-probe serve: listening on ${exporter.url} (modules: ${[...config.modules.keys()].join(', ')}; at most ${config.maxConcurrent} probes at once, ${config.maxTimeMs} ms each)\n`,
  );
  await new Promise<void>((resolve) => {
    // Under a process manager the exporter is stopped with SIGTERM: close the listener first.
    process.once('SIGTERM', () => resolve());
    if (io.interrupted === undefined || io.interrupted.aborted) return resolve();
    io.interrupted.addEventListener('abort', () => resolve(), { once: true });
  });
  await exporter.close();
  return 0;
}
