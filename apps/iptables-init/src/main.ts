#!/usr/bin/env node
import { Command } from 'commander';

const program = new Command('iptables-init').description('Installs Istio-compatible traffic capture rules in the network namespace of a pod.');
program.parse();
