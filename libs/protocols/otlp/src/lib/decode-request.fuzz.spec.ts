// Whatever bytes arrive, decoding ends in a request or an OtlpDecodeError (a 400), never another
// exception (a 500), and every decoded request maps onto entries without throwing.
import fc from 'fast-check';
import { decodeExportLogsRequest } from './decode-request';
import { mapExportLogsRequest } from './map-log-records';
import { OtlpDecodeError } from './otlp-decode-error';
import { OtlpEncoding } from './otlp-logs.types';
import { jsonBody, protobufBody, sdkLogRecords } from '../test-support/sdk-log-records';

/** Decodes and maps; returns the entry count, or -1 for a clean decode error. Anything else fails the property. */
function decodeOrRefuse(body: Uint8Array, encoding: OtlpEncoding): number {
  try {
    return mapExportLogsRequest(decodeExportLogsRequest(body, encoding)).entries.length;
  } catch (error) {
    if (error instanceof OtlpDecodeError) return -1;
    throw error;
  }
}

// Generous: a loaded 2-core CI machine runs these several times slower than an idle one.
jest.setTimeout(60_000);

describe('decodeExportLogsRequest on arbitrary input', () => {
  let validProtobuf: Uint8Array;
  let validJson: Uint8Array;

  beforeAll(async () => {
    const records = await sdkLogRecords();
    validProtobuf = protobufBody(records);
    validJson = jsonBody(records);
  });

  it.each<OtlpEncoding>(['protobuf', 'json'])(
    'random bytes as %s: a request or a decode error',
    (encoding) => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
          decodeOrRefuse(bytes, encoding);
        }),
        { numRuns: 1000 },
      );
    },
  );

  it('truncated protobuf: a decode error or fewer records, never more', () => {
    fc.assert(
      fc.property(fc.nat({ max: validProtobuf.length - 1 }), (length) => {
        expect(decodeOrRefuse(validProtobuf.subarray(0, length), 'protobuf')).toBeLessThan(3);
      }),
      { numRuns: 500 },
    );
  });

  it('protobuf with flipped bytes: a request or a decode error', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: validProtobuf.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (flips) => {
          const body = Buffer.from(validProtobuf);
          for (const [at, value] of flips) body[at] = value;
          decodeOrRefuse(body, 'protobuf');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('truncated JSON is a decode error', () => {
    fc.assert(
      fc.property(fc.nat({ max: validJson.length - 1 }), (length) => {
        expect(decodeOrRefuse(validJson.subarray(0, length), 'json')).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });

  it('any JSON value in place of any part of a valid JSON request: a request or a decode error', () => {
    const valid = JSON.parse(Buffer.from(validJson).toString()) as unknown;
    // Paths to every value of the valid request, to replace one of them.
    const paths: (string | number)[][] = [];
    const walk = (value: unknown, path: (string | number)[]): void => {
      paths.push(path);
      if (typeof value === 'object' && value !== null) {
        for (const [key, child] of Object.entries(value))
          walk(child, [...path, Array.isArray(value) ? Number(key) : key]);
      }
    };
    walk(valid, []);
    fc.assert(
      fc.property(
        fc.constantFrom(...paths.filter((path) => path.length > 0)),
        fc.jsonValue(),
        (path, replacement) => {
          const copy = structuredClone(valid) as Record<string | number, unknown>;
          let parent = copy;
          for (const segment of path.slice(0, -1))
            parent = parent[segment] as Record<string | number, unknown>;
          parent[path[path.length - 1]] = replacement;
          decodeOrRefuse(Buffer.from(JSON.stringify(copy)), 'json');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('deeply nested AnyValues: a decode error, not a stack overflow escaping', () => {
    const depth = 200_000;
    const nested = '{"arrayValue":{"values":['.repeat(depth) + ']}}'.repeat(depth);
    const body = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${nested}}]}]}]}`;
    expect(decodeOrRefuse(Buffer.from(body), 'json')).toBe(-1);
  });
});
