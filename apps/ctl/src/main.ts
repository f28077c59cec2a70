#!/usr/bin/env node
import { runCommandLine } from './command-line.ts';

process.exitCode = await runCommandLine(process.argv, { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) });
