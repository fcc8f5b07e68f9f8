import { decodeLogRow, encodeLogRow } from '@logpipe/log-store';
import { planMessage } from './message-plan';
import { chunk, entry } from './testing/stream-messages';

// encodeLogRow is the real one unless a test makes one call of it fail.
jest.mock('@logpipe/log-store', () => {
  const actual = jest.requireActual('@logpipe/log-store');
  return { ...actual, encodeLogRow: jest.fn(actual.encodeLogRow) };
});

const ATTRIBUTES = { attributes: { n: 1 } };
const chunkOf = (id: string, ...texts: string[]) => chunk(id, texts, ATTRIBUTES);

describe('planMessage', () => {
  it("encodes each entry of a chunk as its row, under the chunk's id and the entry's index", () => {
    const plan = planMessage(chunkOf('7-0', 'a', 'b'), 1, 10);
    expect(plan.rows.map(decodeLogRow)).toEqual([
      { ...entry('a', ATTRIBUTES), streamId: '7-0#0' },
      { ...entry('b', ATTRIBUTES), streamId: '7-0#1' },
    ]);
    expect(plan.deadLetters).toEqual([]);
    expect(plan.entries).toBe(2);
  });

  it('dead-letters an entry that cannot be encoded alone, and keeps its neighbours', () => {
    jest.mocked(encodeLogRow).mockImplementationOnce(jest.requireActual('@logpipe/log-store').encodeLogRow);
    jest.mocked(encodeLogRow).mockImplementationOnce(() => {
      throw new RangeError('cannot encode this');
    });
    const plan = planMessage(chunkOf('8-0', 'a', 'b', 'c'), 1, 10);
    expect(plan.rows.map((row) => decodeLogRow(row).streamId)).toEqual(['8-0#0', '8-0#2']);
    expect(plan.deadLetters).toEqual([
      { id: '8-0#1', payload: expect.stringContaining('"b"'), reason: 'unencodable: cannot encode this' },
    ]);
    expect(plan.entries).toBe(3);
  });
});
