#!/usr/bin/env node
import { Command } from 'commander';

const program = new Command('istiod').description('Control plane: Istio config in, Envoy xDS out.');
program.parse();
