/** Run the x86vm CLI as a child process (node --import tsx src/cli/main.ts) with a time bound. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** tsx's loader by absolute URL, so the child may run in any directory. */
const TSX = import.meta.resolve('tsx');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The child was killed because `timeoutMs` passed or `until` matched. */
  killed: boolean;
}

export interface CliRunOptions {
  cwd?: string;
  /** Kill the child after this long (default 30 s). */
  timeoutMs?: number;
  /** Kill the child as soon as its stdout satisfies this. */
  until?: (stdout: string) => boolean;
  /** Written to the child's stdin (after `inputDelayMs`); stdin stays open otherwise. */
  input?: string;
  /** Send `input` once stdout satisfies this (default: at once). */
  inputWhen?: (stdout: string) => boolean;
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
  /** A conversation: each step's input is written once stdout satisfies its `when`, in order. */
  script?: { when: (stdout: string) => boolean; input: string }[];
}

export function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
      cwd: options.cwd ?? ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', ...options.env },
    });
    let stdout = '', stderr = '', killed = false, sent = options.input === undefined;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(kill, options.timeoutMs ?? 30_000);
    let step = 0;
    const maybeSend = () => {
      if (!sent && (!options.inputWhen || options.inputWhen(stdout))) {
        sent = true;
        child.stdin.write(options.input!);
      }
      const script = options.script ?? [];
      while (step < script.length && script[step]!.when(stdout)) child.stdin.write(script[step++]!.input);
    };
    child.stdout.setEncoding('latin1');
    child.stderr.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      maybeSend();
      if (options.until?.(stdout)) kill();
    });
    child.stderr.on('data', (chunk: string) => { stderr += chunk; });
    child.stdin.on('error', () => {});
    maybeSend();
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killed });
    });
  });
}
