#!/usr/bin/env node
/**
 * x86vm command line: QEMU-style options (options.ts) boot the pc board (run.ts); with no options
 * it boots the default guest (Debian's Linux with a busybox shell, fetched on first use); --demo
 * runs the built-in demo (a boot sector that switches from real to protected mode and prints
 * through the debug console). Exit status: 0 power-off/quit, 1 emulator failure, 2 usage errors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runDemo } from './demo/run-demo.js';
import { helpText } from './options.js';
import { parseCommandLine, UsageError } from './parse.js';
import { runMachine } from './run.js';

function version(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'x86vm') return pkg.version ?? 'unknown';
    }
  }
  return 'unknown';
}

function usageError(e: UsageError): number {
  process.stderr.write(`x86vm: ${e.message}\n`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  let config;
  try {
    config = parseCommandLine(argv);
  } catch (e) {
    if (e instanceof UsageError) return usageError(e);
    throw e;
  }
  switch (config.mode) {
    case 'help':
      process.stdout.write(helpText());
      return 0;
    case 'version':
      process.stdout.write(`x86vm ${version()}\n`);
      return 0;
    case 'list':
      process.stdout.write(config.text);
      return 0;
    case 'demo': {
      const result = runDemo({ write: (text) => process.stdout.write(text), traceFile: config.traceFile ?? undefined, maxInstructions: config.maxInstructions });
      process.stderr.write(`x86vm: ${result.summary}\n`);
      return result.ok ? 0 : 1;
    }
    case 'machine':
      try {
        return await runMachine(config.machine, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
      } catch (e) {
        if (e instanceof UsageError) return usageError(e);
        throw e;
      }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`x86vm: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
