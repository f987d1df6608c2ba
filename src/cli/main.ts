#!/usr/bin/env node
/**
 * x86vm command line. Today it runs the built-in demo (a boot sector that switches from real to
 * protected mode and prints through the debug console); the QEMU-style machine options arrive with
 * the PC board.
 */
import { parseArgs } from 'node:util';
import { runDemo } from './demo/run-demo.js';

const USAGE = `Usage: x86vm [options]

Runs the built-in demo program through the x86vm CPU.

Options:
  --demo              run the built-in demo (the default)
  --trace FILE        write a disassembly of every executed instruction to FILE
  --max-instructions N  stop after N guest instructions (default 100000000)
  -h, --help          show this help
`;

function fail(message: string): never {
  process.stderr.write(`x86vm: ${message}\n`);
  process.exit(2);
}

function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        demo: { type: 'boolean' },
        trace: { type: 'string' },
        'max-instructions': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    fail(`${(e as Error).message.replace(/\. To specify.*$/s, '')}; run x86vm --help for the options`);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const limitText = values['max-instructions'] ?? '100000000';
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit <= 0) fail(`--max-instructions needs a positive whole number, not '${limitText}'`);
  const result = runDemo({ write: (text) => process.stdout.write(text), traceFile: values.trace, maxInstructions: limit });
  process.stderr.write(`x86vm: ${result.summary}\n`);
  return result.ok ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
