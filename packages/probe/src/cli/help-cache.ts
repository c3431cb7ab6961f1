import type { Argv } from 'yargs';

interface UsageInternals {
  cacheHelpMessage?: () => void;
}

interface ParserInternals {
  getInternalMethods?: () => { getUsageInstance?: () => UsageInternals | undefined } | undefined;
}

/**
 * Stops yargs from rendering a command's whole help text as it starts the command's handler.
 *
 * yargs does that (usage.cacheHelpMessage) so that a `showHelp()` after the command still prints
 * the command's help. The CLI never calls showHelp once a command runs: a failure prints a hint
 * instead (see `.fail` in main.ts), and `--help` renders on demand as before. For `check`, wrapping
 * some sixty option descriptions is ~80 ms of CPU that blocks the event loop while the handshakes
 * run. yargs keeps one usage instance per parser, so replacing the method once covers every
 * command; with a yargs whose internals differ this does nothing.
 */
export function skipHelpCache(parser: Argv): Argv {
  const usage = (parser as unknown as ParserInternals).getInternalMethods?.()?.getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
  return parser;
}
