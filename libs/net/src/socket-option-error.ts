import { NetError } from './ip-command.ts';
import { isSystemCallError } from './native-addon.ts';

/** A NetError for a failed socket call of the addon, saying what was being done and keeping the
 *  errno and its name (`code`); other errors pass through unchanged. */
export function socketOptionError(error: unknown, what: string): Error {
  if (!isSystemCallError(error)) return error as Error;
  const reason = error.code === 'ENOENT' ? 'the connection was not redirected (conntrack has no entry for it)' : error.message;
  return Object.assign(new NetError(`${what}: ${reason} [${error.code}, errno ${error.errno}]`, { cause: error }), {
    code: error.code,
    errno: error.errno,
  });
}
