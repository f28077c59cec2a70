#!/usr/bin/env node
import { Command } from 'commander';

const program = new Command('pilot-agent').description('Writes the proxy bootstrap, supervises the proxy, answers readiness.');
program.parse();
