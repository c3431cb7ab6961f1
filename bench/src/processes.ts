// The orchestrator's side of the process boundary: server processes, and client processes driven
// step by step, one loaded at a time.
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestPki } from '@mtls-link/testkit';
import type { ClientConfig } from './bench-config.ts';
import type { ClientCommand, ClientMessage, ClientReport } from './client-process.ts';
import type { Step } from './schedule.ts';
import type { ServerConfig, ServerMessage, ServerTarget } from './server-process.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export type MeasuredClient = ClientReport & { handshakes: number | null };

/** The child's next message; rejects if the child exits first. */
function nextMessage<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T) => {
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(new Error(`${what} exited (${signal ?? code}) before answering`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
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
  const ready = await nextMessage<ServerMessage>(server, 'the server process');
  if (!('url' in ready)) throw new Error('the server process did not report its URL');
  return { process: server, url: ready.url };
}

export async function stopServer(server: RunningServer): Promise<void> {
  const done = exited(server.process);
  if (server.process.connected) server.process.send('stop');
  else server.process.kill();
  await done;
}

async function serverHandshakes(server: RunningServer): Promise<number | null> {
  const answer = nextMessage<ServerMessage>(server.process, 'the server process');
  server.process.send('stats');
  const message = await answer;
  if (!('handshakes' in message)) throw new Error('the server process answered without stats');
  return message.handshakes;
}

export interface ClientRun {
  readonly config: Omit<ClientConfig, 'url'>;
  /**
   * Write V8 CPU profiles into `dir`: `<name>-process.cpuprofile` (the whole process, start-up
   * included, by --cpu-prof) and `<name>-load.cpuprofile` (the GET load alone).
   */
  readonly cpuProfile?: { readonly dir: string; readonly name: string };
}

/** A client process waiting for its next step. */
class ClientProcess {
  readonly #child: ChildProcess;
  readonly #what: string;

  private constructor(child: ChildProcess, what: string) {
    this.#child = child;
    this.#what = what;
  }

  /** Forks the process and waits for its first response: its start-up is over when this resolves. */
  static async start(run: ClientRun, url: string): Promise<ClientProcess> {
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
    const client = new ClientProcess(child, `client ${run.config.kind}`);
    const answer = client.#answer();
    child.send({
      ...run.config,
      url,
      ...(loadProfileFile ? { loadProfileFile } : {}),
    } satisfies ClientConfig);
    const message = await answer;
    if (!('started' in message)) throw new Error(`${client.#what}: unexpected answer to its config`);
    return client;
  }

  async #answer(): Promise<ClientMessage> {
    const message = await nextMessage<ClientMessage>(this.#child, this.#what);
    if ('error' in message) throw new Error(`${this.#what} failed: ${message.error}`);
    return message;
  }

  async #command(command: ClientCommand): Promise<ClientMessage> {
    const answer = this.#answer();
    this.#child.send(command);
    return answer;
  }

  async step(command: ClientCommand & { step: 'warmup' | 'get' | 'post' }): Promise<void> {
    const message = await this.#command(command);
    if (!('done' in message)) throw new Error(`${this.#what}: unexpected answer to ${command.step}`);
  }

  async finish(): Promise<ClientReport> {
    const done = exited(this.#child);
    const message = await this.#command({ step: 'finish' });
    if (!('report' in message)) throw new Error(`${this.#what}: finished without a report`);
    await done;
    return message.report;
  }

  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill();
  }
}

export interface InterleavedRun {
  readonly pki: TestPki;
  readonly target: ServerTarget;
  /** The client processes, each against a fresh server process of its own. */
  readonly clients: readonly ClientRun[];
  /** The order of the load slices, by index into `clients`. */
  readonly schedule: readonly Step[];
}

/**
 * Every client of the run alive at once, each against a fresh server process of its own (the
 * built-in API keeps what is POSTed, so a shared server would hand the later client ever longer
 * GET /widgets answers), and only one of them busy at any time: they start one after the other
 * (start-up is measured alone), warm up one after the other, then run the slices of `schedule`
 * in its order while the others wait idle, and finish one after the other.
 */
export async function runInterleaved(run: InterleavedRun): Promise<MeasuredClient[]> {
  const servers: RunningServer[] = [];
  const clients: ClientProcess[] = [];
  try {
    for (const _ of run.clients) servers.push(await startServer(run.pki, run.target));
    for (const [i, client] of run.clients.entries()) {
      clients.push(await ClientProcess.start(client, (servers[i] as RunningServer).url));
    }
    for (const client of clients) await client.step({ step: 'warmup' });
    for (const { member, phase, requests } of run.schedule) {
      const client = clients[member];
      if (!client) throw new RangeError(`schedule: no client ${member}`);
      await client.step({ step: phase, requests });
    }
    const measured: MeasuredClient[] = [];
    for (const [i, client] of clients.entries()) {
      const report = await client.finish();
      measured.push({ ...report, handshakes: await serverHandshakes(servers[i] as RunningServer) });
    }
    return measured;
  } finally {
    for (const client of clients) client.kill();
    await Promise.all(servers.map(stopServer));
  }
}
