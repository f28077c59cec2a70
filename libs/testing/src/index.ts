export { freePort } from './free-port.ts';
export { runScript, type CommandResult } from './run-command.ts';
