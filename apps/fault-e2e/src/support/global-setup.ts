import { resetResults } from './fault-results';

/** Each run of the suite writes its own tmp/fault-results.json. */
export default function globalSetup(): void {
  resetResults();
}
