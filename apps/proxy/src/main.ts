#!/usr/bin/env node
import { Command } from 'commander';

const program = new Command('mizzen-proxy').description('Envoy-compatible sidecar data plane driven by xDS.');
program.parse();
