import { spawn } from 'node:child_process';
import { CLI, type TestCluster } from './cluster.js';

/** `apply --yes` killed (SIGKILL) as soon as it prints a line matching `at`. */
export function applyKilledAt(c: TestCluster, at: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, 'apply', '--yes', '-f', c.file], { cwd: c.dir });
    let out = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`apply never printed ${at}: ${out}`));
    }, 60_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (at.test(out)) p.kill('SIGKILL');
    });
    p.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
