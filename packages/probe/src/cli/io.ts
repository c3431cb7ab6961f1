/** Exit status when the command could not run as asked (contract). */
export const EXIT_USAGE = 2;

/** What the CLI commands touch of the process, so they can run in-process in tests. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C (ends `--watch`). */
  readonly interrupted?: AbortSignal;
}
