import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TestkitError } from '../errors.ts';

export interface DockerStatus {
  readonly ok: boolean;
  /** Why Docker is (not) usable, naming the socket or address that was asked. */
  readonly reason: string;
}

export interface DockerAvailableOptions {
  /**
   * `unix:///path` or `tcp://host:port`. @default process.env.DOCKER_HOST, else the first socket
   * that exists among those testcontainers looks at (/var/run/docker.sock, then the rootless and
   * Docker Desktop ones)
   */
  dockerHost?: string;
  /** Upper bound for the whole check. @default 1500 ms */
  timeoutMs?: number;
}

type DockerTarget = { socketPath: string; label: string } | { host: string; port: number; label: string };

/**
 * Asks the Docker engine's `/_ping`. Never hangs: a missing socket answers at once, anything else
 * within `timeoutMs`. Meant for `describe.skipIf`, so it resolves (never rejects) with the reason.
 */
export async function dockerAvailable(opts: DockerAvailableOptions = {}): Promise<DockerStatus> {
  const timeoutMs = opts.timeoutMs ?? 1500;
  const dockerHost = opts.dockerHost ?? process.env.DOCKER_HOST ?? defaultDockerHost();
  const target = parseDockerHost(dockerHost);
  if (!target) return { ok: false, reason: `DOCKER_HOST ${dockerHost} is neither unix:// nor tcp://` };
  if ('socketPath' in target && !existsSync(target.socketPath)) {
    return { ok: false, reason: `no Docker engine: ${target.socketPath} does not exist` };
  }
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body = (body + chunk).slice(0, 200);
      });
      res.on('end', () => {
        clearTimeout(deadline);
        resolve(
          res.statusCode === 200 && body.trim() === 'OK'
            ? { ok: true, reason: `Docker engine at ${target.label} answered /_ping` }
            : {
                ok: false,
                reason: `Docker engine at ${target.label} answered /_ping with ${res.statusCode}`,
              },
        );
      });
    });
    // `timeout` only covers idle sockets; this bounds a slow trickle too.
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => {
      clearTimeout(deadline);
      resolve({ ok: false, reason: `no Docker engine at ${target.label}: ${error.message}` });
    });
    req.end();
  });
}

function defaultDockerHost(): string {
  const home = homedir();
  const candidates = [
    '/var/run/docker.sock',
    ...(process.env.XDG_RUNTIME_DIR ? [join(process.env.XDG_RUNTIME_DIR, 'docker.sock')] : []),
    join(home, '.docker', 'run', 'docker.sock'),
    join(home, '.docker', 'desktop', 'docker.sock'),
  ];
  return `unix://${candidates.find((socket) => existsSync(socket)) ?? candidates[0]}`;
}

function parseDockerHost(value: string): DockerTarget | undefined {
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    return { socketPath, label: socketPath };
  }
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(value);
  if (tcp?.[1] && tcp[2]) {
    const host = tcp[1].replace(/^\[|\]$/g, '');
    return { host, port: Number(tcp[2]), label: `${tcp[1]}:${tcp[2]}` };
  }
  return undefined;
}

export interface LocalStackOptions {
  /**
   * Image to run. Pinned to a community release that needs no auth token.
   * @default 'localstack/localstack:3.8'
   */
  image?: string;
}

export interface LocalStack {
  /** `http://HOST:PORT`, for the `endpoint` option of any AWS SDK v3 client. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts LocalStack through testcontainers. Check `dockerAvailable()` first. */
export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const image = opts.image ?? 'localstack/localstack:3.8';
  // Imported here: testcontainers is heavy and only this function needs it.
  const { LocalstackContainer } = await import('@testcontainers/localstack');
  try {
    const container = await new LocalstackContainer(image).start();
    return {
      endpoint: container.getConnectionUri(),
      close: async () => {
        await container.stop();
      },
    };
  } catch (cause) {
    throw new TestkitError('LOCALSTACK_START_FAILED', `LocalStack (${image}) did not start`, { cause });
  }
}
