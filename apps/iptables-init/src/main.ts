#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { runCommandLine, type Host } from './cli/command-line.ts';
import { execute } from './run.ts';

const host: Host = {
  resolvConf: () => readFileSync('/etc/resolv.conf', 'utf8'),
  podAddresses: () =>
    Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && !a.internal && !a.address.startsWith('fe80:'))
      .map((a) => a!.address),
};

process.exitCode = await runCommandLine(process.argv, process.env, host, execute);
