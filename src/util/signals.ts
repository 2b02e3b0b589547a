/**
 * The one SIGINT/SIGTERM/SIGHUP registry: handlers run once, newest first, each bounded; a second signal
 * forces exit. Daemons register their stop() here instead of installing their own handlers.
 */
type Handler = () => Promise<void>;

const handlers: Handler[] = [];
let installed = false;
let shuttingDown = false;

export function onShutdown(fn: Handler): () => void {
  handlers.push(fn);
  if (!installed) {
    installed = true;
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
      process.on(sig, () => void shutdown(sig));
  }
  return () => {
    const i = handlers.indexOf(fn);
    if (i >= 0) handlers.splice(i, 1);
  };
}

export async function shutdown(signal: string, timeoutMs = 30_000): Promise<void> {
  if (shuttingDown) {
    process.stderr.write(`\nsecond ${signal}: exiting now\n`);
    process.exit(130);
  }
  shuttingDown = true;
  const timer = setTimeout(() => {
    process.stderr.write('shutdown took too long; exiting\n');
    process.exit(1);
  }, timeoutMs);
  timer.unref();
  for (const h of [...handlers].reverse()) {
    try {
      await h();
    } catch (e) {
      process.stderr.write(`error during shutdown: ${(e as Error).message}\n`);
    }
  }
  clearTimeout(timer);
}

/**
 * For long-running daemons: a stray promise rejection (a library's internal retry, say) is
 * reported instead of killing the process, which would leave every Redis it runs unsupervised.
 */
export function keepAliveOnStrayRejections(report: (e: unknown) => void): void {
  process.on('unhandledRejection', report);
}
