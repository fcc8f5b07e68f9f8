const MAX_SEQUENCE = 2n ** 64n - 1n;

interface ParsedStreamId {
  ms: bigint;
  seq: bigint;
}

// BigInt because both halves of a stream id are unsigned 64-bit and a sequence can exceed 2^53.
function parseStreamId(id: string): ParsedStreamId {
  const match = /^(\d+)-(\d+)$/.exec(id);
  if (!match) {
    throw new Error(`Not a complete stream id: ${JSON.stringify(id)}`);
  }
  return { ms: BigInt(match[1]), seq: BigInt(match[2]) };
}

/** Negative, zero or positive like a sort comparator, ordering ids as Redis does (not as strings). */
export function compareStreamIds(a: string, b: string): number {
  const left = parseStreamId(a);
  const right = parseStreamId(b);
  if (left.ms !== right.ms) {
    return left.ms < right.ms ? -1 : 1;
  }
  if (left.seq !== right.seq) {
    return left.seq < right.seq ? -1 : 1;
  }
  return 0;
}

/** The smallest id greater than `id`, so that `XTRIM MINID <successor>` also removes `id` itself. */
export function successorStreamId(id: string): string {
  const { ms, seq } = parseStreamId(id);
  return seq === MAX_SEQUENCE ? `${ms + 1n}-0` : `${ms}-${seq + 1n}`;
}

export function minStreamId(ids: readonly string[]): string | undefined {
  return ids.reduce<string | undefined>(
    (min, id) => (min === undefined || compareStreamIds(id, min) < 0 ? id : min),
    undefined,
  );
}
