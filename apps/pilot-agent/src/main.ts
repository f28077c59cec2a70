#!/usr/bin/env node
import { runAgent } from './agent.ts';
import { runCommandLine } from './cli/command-line.ts';

process.exitCode = await runCommandLine(process.argv, process.env, runAgent);
