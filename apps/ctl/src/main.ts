#!/usr/bin/env node
import { Command } from 'commander';

const program = new Command('mizzenctl').description('The command line of Mizzen, after istioctl.');
program.parse();
