import { decodeBulkRequest } from './bulk-request';
import { encodeBulkResponse } from './bulk-response';
import { bulkContentTypeProblem } from './content-type';
import { encodeErrorBody } from './error-body';

const body = (...lines: unknown[]) =>
  Buffer.from(lines.map((line) => JSON.stringify(line)).join('\n') + '\n');

describe('encodeBulkResponse', () => {
  it('answers every item in request order: 201 created, or 400 with the reason of the refusal', () => {
    const request = decodeBulkRequest(
      body(
        { create: { _index: 'app', _id: 'a' } },
        { message: 'stored' },
        { delete: { _index: 'app', _id: 'b' } },
        { index: { _index: 'app' } },
        { message: 'refused by the entry rules', '@timestamp': 'yesterday' },
        { index: { _index: 'app' } },
        { message: 'stored too' },
      ),
    );
    // The shared ingest path refused the second of the three entries.
    const answer = encodeBulkResponse(
      request,
      [{ index: 1, errors: [{ field: 'timestamp', message: 'timestamp must be an ISO-8601 date-time' }] }],
      12.4,
    );
    expect(JSON.parse(answer)).toEqual({
      took: 12,
      errors: true,
      items: [
        { create: { _index: 'app', _id: 'a', status: 201, result: 'created' } },
        {
          delete: {
            _index: 'app',
            _id: 'b',
            status: 400,
            error: {
              type: 'illegal_argument_exception',
              reason: expect.stringContaining('[delete] action is not supported'),
            },
          },
        },
        {
          index: {
            _index: 'app',
            status: 400,
            error: {
              type: 'document_parsing_exception',
              reason:
                'failed to store the document as a log entry: [timestamp] timestamp must be an ISO-8601 date-time',
            },
          },
        },
        { index: { _index: 'app', status: 201, result: 'created' } },
      ],
    });
  });

  it('says errors: false when every item was stored', () => {
    const request = decodeBulkRequest(body({ index: { _index: 'a' } }, { message: 'x' }));
    expect(JSON.parse(encodeBulkResponse(request, [], 0))).toEqual({
      took: 0,
      errors: false,
      items: [{ index: { _index: 'a', status: 201, result: 'created' } }],
    });
  });

  it('writes the text JSON.stringify writes for the same answer, whatever the indices, ids and errors', () => {
    const request = decodeBulkRequest(
      body(
        { create: { _index: 'app' } },
        { message: 'one' },
        { create: { _index: 'app' } },
        { message: 'two' },
        { index: { _index: 'app' } },
        { message: 'same index, other action' },
        { create: { _index: 'quote"back\\slash ünï 😀' } },
        { message: 'index to escape' },
        { create: { _index: 'app', _id: 'id "with" escapes\n' } },
        { message: 'hashed id' },
        { create: { _index: 'app', _id: 'a' } },
        { message: 'refused', '@timestamp': 'yesterday' },
        { create: { _index: 'app', _id: '' } },
        { message: 'empty id' },
        { delete: { _index: 'app' } },
        { create: { _index: 'app' } },
        { message: 'last' },
      ),
    );
    const answer = encodeBulkResponse(
      request,
      [{ index: 5, errors: [{ field: 'timestamp', message: 'timestamp must be "ISO-8601"' }] }],
      3,
    );
    // What the answer was as an object serialised by Fastify, built the obvious way.
    let entryIndex = 0;
    const items = request.items.map((item) => {
      let error = item.error;
      if (item.entry !== undefined && entryIndex++ === 5) {
        error = {
          type: 'document_parsing_exception',
          reason: 'failed to store the document as a log entry: [timestamp] timestamp must be "ISO-8601"',
        };
      }
      const result: Record<string, unknown> = { _index: item.index, status: error === undefined ? 201 : 400 };
      if (item.id !== undefined) result['_id'] = item.id;
      if (error === undefined) result['result'] = 'created';
      else result['error'] = error;
      return { [item.action]: result };
    });
    expect(answer).toBe(JSON.stringify({ took: 3, errors: true, items }));
  });
});

describe('encodeErrorBody', () => {
  it("has Elasticsearch's shape, the type derived from the status unless given", () => {
    expect(encodeErrorBody(401, 'missing authentication credentials')).toEqual({
      error: {
        root_cause: [{ type: 'security_exception', reason: 'missing authentication credentials' }],
        type: 'security_exception',
        reason: 'missing authentication credentials',
      },
      status: 401,
    });
    expect(encodeErrorBody(400, 'bad', 'x_content_parse_exception').error.type).toBe(
      'x_content_parse_exception',
    );
    expect(encodeErrorBody(502, 'x').error.type).toBe('exception');
  });
});

describe('bulkContentTypeProblem', () => {
  it.each([
    'application/x-ndjson',
    'application/json',
    'application/json; charset=UTF-8',
    'application/vnd.elasticsearch+x-ndjson; compatible-with=8',
    'application/vnd.elasticsearch+x-ndjson;compatible-with=7',
    'application/vnd.elasticsearch+json; compatible-with="8"',
  ])('accepts %p', (type) => {
    expect(bulkContentTypeProblem(type)).toBeNull();
  });

  it.each([
    [undefined, /missing/],
    ['text/plain', /\[text\/plain\] is not supported/],
    ['application/x-ndjson; charset=latin1', /charset \[latin1\]/],
    ['application/vnd.elasticsearch+x-ndjson; compatible-with=9', /compatible-with=9/],
  ])('refuses %p', (type, problem) => {
    expect(bulkContentTypeProblem(type)).toMatch(problem);
  });
});
