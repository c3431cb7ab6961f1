import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { connect } from 'node:tls';
import { TestkitError } from '../errors.ts';
import { freeLoopbackPort } from './free-port.ts';
import type { MtlsTerminator } from './options.ts';

export interface LaunchSpec {
  name: 'nginx' | 'haproxy';
  binary: string;
  /** Fresh temporary folder; removed on close or on a failed start. */
  dir: string;
  /** Writes the configuration for `port` and returns the command-line arguments. */
  prepare(port: number): Promise<string[]>;
  /** Log file the server writes besides stderr, read by `logs()`. */
  errorLog?: string;
  startTimeoutMs: number;
}

const host = '127.0.0.1';
const portAttempts = 3;
const outputLimit = 64 * 1024;
const addressInUse = /address already in use|cannot bind socket|EADDRINUSE/i;

// Servers still running when the test process exits are killed, so a crashed test leaves none behind.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const leftover of running) leftover.kill('SIGKILL');
    });
  }
}

export async function launch(spec: LaunchSpec): Promise<MtlsTerminator> {
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freeLoopbackPort(host);
      const args = await spec.prepare(port);
      const started = await startOnce(spec, args, port);
      if (started.ok) return terminator(spec, port, started.child, started.output);
      if (!(addressInUse.test(started.output.text) && attempt < portAttempts)) {
        throw new TestkitError(
          'SERVER_START_FAILED',
          `${spec.name} (${spec.binary}) did not start on ${host}:${port}: ${started.reason}\n${tail(started.output.text)}`,
        );
      }
    }
  } catch (error) {
    await rm(spec.dir, { recursive: true, force: true });
    throw error;
  }
}

interface Output {
  text: string;
}

type StartOutcome =
  | { ok: true; child: ChildProcess; output: Output }
  | { ok: false; reason: string; output: Output };

async function startOnce(spec: LaunchSpec, args: string[], port: number): Promise<StartOutcome> {
  const output: Output = { text: '' };
  const child = spawn(spec.binary, args, { cwd: spec.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  const collect = (chunk: Buffer) => {
    output.text = (output.text + chunk.toString('utf8')).slice(-outputLimit);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      exited = `could not run it: ${error.message}`;
      resolve();
    });
    child.once('exit', (code, signal) => {
      exited = `it exited with ${signal ?? `status ${code}`}`;
      resolve();
    });
  });

  const deadline = Date.now() + spec.startTimeoutMs;
  while (Date.now() < deadline && exited === undefined) {
    if (await answersTls(port)) {
      if (exited === undefined) return { ok: true, child, output };
      break;
    }
    await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 50))]);
  }
  if (exited === undefined) {
    await stop(child);
    await new Promise((resolve) => setImmediate(resolve));
    return {
      ok: false,
      reason: `no TLS handshake within ${spec.startTimeoutMs} ms`,
      output: await withLog(spec, output),
    };
  }
  return { ok: false, reason: exited, output: await withLog(spec, output) };
}

/** True once something on the port speaks TLS: a finished handshake or a TLS-level refusal. */
function answersTls(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, rejectUnauthorized: false, servername: 'localhost', timeout: 500 });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('secureConnect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const notListening =
        error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET' || error.code === 'EPIPE';
      done(!notListening);
    });
  });
}

async function withLog(spec: LaunchSpec, output: Output): Promise<Output> {
  if (!spec.errorLog) return output;
  const log = await readFile(spec.errorLog, 'utf8').catch(() => '');
  return { text: `${output.text}${log}` };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

function terminator(spec: LaunchSpec, port: number, child: ChildProcess, output: Output): MtlsTerminator {
  let closing: Promise<void> | undefined;
  return {
    name: spec.name,
    url: `https://${host}:${port}`,
    host,
    port,
    dir: spec.dir,
    logs: async () => (await withLog(spec, output)).text,
    close: () => {
      closing ??= (async () => {
        await stop(child);
        await rm(spec.dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-15).join('\n');
}
