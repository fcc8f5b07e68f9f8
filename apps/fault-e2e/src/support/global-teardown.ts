import { printLine, readResults, resultsFile, summaryLine } from './fault-results';

/** Repeats every scenario's figures together at the end of the run, where they are easy to quote. */
export default function globalTeardown(): void {
  const results = readResults();
  if (!results) return;
  const lines = Object.values(results.scenarios).map(summaryLine);
  printLine(`\nFault figures of this run (${lines.length} scenarios, also in ${resultsFile()}):`);
  for (const line of lines) printLine(line);
}
