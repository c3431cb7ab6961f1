// The orchestrator's side of the process boundary: a server process, then one client process at a time.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestPki } from '@mtls-link/testkit';
import type { ClientConfig } from './bench-config.ts';
import type { ClientReport } from './client-process.ts';
import type { ServerConfig, ServerMessage, ServerTarget } from './server-process.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export type MeasuredClient = ClientReport & { handshakes: number | null };

async function nextMessage<T>(child: ChildProcess): Promise<T> {
  const [message] = (await once(child, 'message')) as [T];
  return message;
}

export interface RunningServer {
  readonly process: ChildProcess;
  readonly url: string;
}

export async function startServer(pki: TestPki, target: ServerTarget): Promise<RunningServer> {
  const server = fork(here('./server-process.js'), { stdio: 'inherit' });
  server.send({
    target,
    serverCertPem: pki.server.certPem,
    serverKeyPem: pki.server.keyPem,
    serverChainPem: pki.server.chainPem,
    trustStorePem: pki.trustStorePem,
  } satisfies ServerConfig);
  const ready = await nextMessage<ServerMessage>(server);
  if (!('url' in ready)) throw new Error('the server process did not report its URL');
  return { process: server, url: ready.url };
}

export async function stopServer(server: RunningServer): Promise<void> {
  server.process.send('stop');
  await once(server.process, 'exit');
}

async function serverHandshakes(server: RunningServer): Promise<number | null> {
  server.process.send('stats');
  const message = await nextMessage<ServerMessage>(server.process);
  if (!('handshakes' in message)) throw new Error('the server process answered without stats');
  return message.handshakes;
}

export interface ClientRun {
  readonly pki: TestPki;
  readonly target: ServerTarget;
  readonly config: Omit<ClientConfig, 'url'>;
  /**
   * Write V8 CPU profiles into `dir`: `<name>-process.cpuprofile` (the whole process, start-up
   * included, by --cpu-prof) and `<name>-load.cpuprofile` (the GET load alone).
   */
  readonly cpuProfile?: { readonly dir: string; readonly name: string };
}

/**
 * One client against a fresh server process: the built-in API keeps what is POSTed, so a shared
 * server would hand later clients ever longer GET /widgets answers.
 */
export async function runClient(run: ClientRun): Promise<MeasuredClient> {
  const server = await startServer(run.pki, run.target);
  try {
    const profile = run.cpuProfile
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${run.cpuProfile.dir}`,
          `--cpu-prof-name=${run.cpuProfile.name}-process.cpuprofile`,
        ]
      : [];
    const loadProfileFile = run.cpuProfile
      ? join(run.cpuProfile.dir, `${run.cpuProfile.name}-load.cpuprofile`)
      : undefined;
    const child = fork(here('./client-process.js'), {
      stdio: 'inherit',
      execArgv: ['--expose-gc', ...profile],
    });
    const exited = once(child, 'exit');
    child.send({
      ...run.config,
      url: server.url,
      ...(loadProfileFile ? { loadProfileFile } : {}),
    } satisfies ClientConfig);
    const message = await nextMessage<{ report?: ClientReport; error?: string }>(child);
    await exited;
    if (!message.report) throw new Error(`client ${run.config.kind} failed: ${message.error}`);
    return { ...message.report, handshakes: await serverHandshakes(server) };
  } finally {
    await stopServer(server);
  }
}
