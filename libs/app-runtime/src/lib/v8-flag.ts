import { setFlagsFromString } from 'node:v8';

/**
 * Turns the V8 boolean flag `name` (dashed, without the leading `--`) off at run time, unless the node
 * command line names it either way and in either spelling (`--name`, `--no-name`, with `-` or `_`): an
 * operator's explicit choice wins. NODE_OPTIONS refuses V8's GC flags, so a process sets its own this way,
 * the same under every launcher. Returns whether it turned the flag off. Only for flags V8 reads as it
 * goes (allocation-site pretenuring is one); a flag it reads once when it sets the heap up, such as the
 * memory reducer, must be on the command line instead (idle-heap.ts).
 */
export function turnV8FlagOffUnlessNamed(name: string, execArgv: readonly string[]): boolean {
  if (namesV8Flag(name, execArgv)) return false;
  setFlagsFromString(`--no-${name}`);
  return true;
}

/**
 * Whether the node command line names the V8 boolean flag `name` (dashed, without the leading `--`),
 * either way (`--name`, `--no-name`, or V8's own `--noname`) and with `-` or `_`.
 */
export function namesV8Flag(name: string, execArgv: readonly string[]): boolean {
  const spelled = name.replace(/[-_]/g, '[-_]');
  const named = new RegExp(`^--(no-?)?${spelled}$`);
  return execArgv.some((arg) => named.test(arg));
}
