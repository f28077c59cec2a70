#!/usr/bin/env node
import { runAgent } from './agent.ts';
import { runCommandLine } from './cli/command-line.ts';

// The agent decides when it is done: a handle left open (a socket, a timer) must not keep it up.
process.exit(await runCommandLine(process.argv, process.env, runAgent));
