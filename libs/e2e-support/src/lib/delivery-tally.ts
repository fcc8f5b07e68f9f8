/**
 * A client's record of its entries compared with the rows the table holds, key by key (each entry
 * carries a unique key, its message). Counting rows, or trusting the counts the server reported,
 * would let a lost entry and a doubled one cancel out; comparing keys cannot.
 */
export interface DeliveryTally {
  /** Entries whose request the client was told was accepted (2xx). */
  acked: number;
  /** Rows found for the client's keys and for unknown ones, duplicates included. */
  rows: number;
  /** Acknowledged entries with no row. */
  missing: number;
  /** Rows beyond the first for the same key. */
  duplicates: number;
  /** Rows whose key the client never sent. */
  unexpected: number;
  /** Entries whose request got no 2xx (an error status or no answer). */
  refused: number;
  /** Of those, how many were stored anyway. */
  refusedStored: number;
  /**
   * Refused entries stored although their request was not in flight at a fault: a refusal that
   * did queue the entry, which no fault explains (must be 0).
   */
  refusedStoredUnexplained: number;
}

/**
 * @param stored key -> rows holding it
 * @param refusedMayBeStored refused keys whose request was in flight when a fault struck (the
 *   write may have landed after the answer was lost); any other refused key must have no row.
 */
export function tallyByKey(
  stored: ReadonlyMap<string, number>,
  acked: Iterable<string>,
  refused: Iterable<string> = [],
  refusedMayBeStored: ReadonlySet<string> = new Set(),
): DeliveryTally {
  const ackedKeys = new Set(acked);
  const refusedKeys = new Set(refused);
  let rows = 0;
  let duplicates = 0;
  let unexpected = 0;
  for (const [key, n] of stored) {
    rows += n;
    duplicates += n - 1;
    if (!ackedKeys.has(key) && !refusedKeys.has(key)) unexpected += n;
  }
  let missing = 0;
  for (const key of ackedKeys) if (!stored.has(key)) missing++;
  let refusedStored = 0;
  let refusedStoredUnexplained = 0;
  for (const key of refusedKeys) {
    if (!stored.has(key)) continue;
    refusedStored++;
    if (!refusedMayBeStored.has(key)) refusedStoredUnexplained++;
  }
  return {
    acked: ackedKeys.size,
    rows,
    missing,
    duplicates,
    unexpected,
    refused: refusedKeys.size,
    refusedStored,
    refusedStoredUnexplained,
  };
}
