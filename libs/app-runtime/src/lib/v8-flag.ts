import { setFlagsFromString } from 'node:v8';

/**
 * Turns the V8 boolean flag `name` (dashed, without the leading `--`) off at run time, unless the node
 * command line names it either way and in either spelling (`--name`, `--no-name`, with `-` or `_`): an
 * operator's explicit choice wins. NODE_OPTIONS refuses V8's GC flags, so a process sets its own this way,
 * the same under every launcher. Returns whether it turned the flag off.
 */
export function turnV8FlagOffUnlessNamed(name: string, execArgv: readonly string[]): boolean {
  const spelled = name.replace(/[-_]/g, '[-_]');
  const named = new RegExp(`^--(no-)?${spelled}$`);
  if (execArgv.some((arg) => named.test(arg))) return false;
  setFlagsFromString(`--no-${name}`);
  return true;
}
