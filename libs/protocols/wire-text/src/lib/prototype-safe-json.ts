import secureJson from 'secure-json-parse';

// secure-json-parse refuses `__proto__` and `constructor.prototype` keys (prototype pollution). Its test
// is two regular expressions over the whole text, for `"__proto__":` and `"constructor":` with any letter
// possibly written as a `\u` escape, before JSON.parse; on a 1,000-entry POST /api/logs body the two
// scans were 3.3% of ingest's CPU (node --cpu-prof of tools/bench/ingest-alone.mjs --batch 1000).
const SECURE_JSON_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * Whether these bytes could hold a key secure-json-parse looks for. In a body with no `__proto__`, no
 * `constructor` and no `\u` at all its expressions cannot match, and a plain JSON.parse returns exactly
 * what secure-json-parse would.
 *
 * The searches are for `_proto` and `nstruct`, parts of the two keys, rather than the keys whole: any
 * body holding a key holds its part (so nothing is missed; a body with only the part is parsed by
 * secure-json-parse, as before), and Buffer#includes finds these in a fraction of the time. It looks
 * for a pattern's first byte and compares from there, and `_` or `c` starting a whole key start many
 * false candidates in log documents (`request_id`, `duration_ms`, ...): measured on the bench's
 * 1,000-document Elasticsearch body, 0.25 µs per document for the two keys against 0.05 µs for the parts.
 */
export function mayHoldPrototypeKeys(body: Uint8Array): boolean {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return bytes.includes('_proto') || bytes.includes('nstruct') || bytes.includes('\\u');
}

/**
 * JSON.parse of `text`, refusing `__proto__` and `constructor.prototype` keys (a SyntaxError, as
 * secure-json-parse throws). `mayHoldKeys` false (mayHoldPrototypeKeys of the bytes `text` came from)
 * skips the search for them.
 */
export function parseJsonRefusingPrototypeKeys(text: string, mayHoldKeys = true): unknown {
  return mayHoldKeys ? secureJson.parse(text, undefined, SECURE_JSON_OPTIONS) : JSON.parse(text);
}
