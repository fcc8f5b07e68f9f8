import {
  parseAutoClaimReply,
  parseGroupsInfo,
  parsePendingEntries,
  parsePendingSummary,
  parseReadReply,
  parseStreamEntry,
} from './stream-reply.parser';

describe('parseStreamEntry', () => {
  it('takes the payload from the data field whatever else the entry holds', () => {
    expect(parseStreamEntry(['1-0', ['source-id', '0-1', 'data', '{"a":1}']])).toEqual({
      id: '1-0',
      payload: '{"a":1}',
    });
  });

  it('gives payload null for a deleted entry or one without the data field', () => {
    expect(parseStreamEntry(['1-0', null])).toEqual({ id: '1-0', payload: null });
    expect(parseStreamEntry(['1-1', ['other', 'x']])).toEqual({ id: '1-1', payload: null });
  });

  it('rejects a malformed entry instead of guessing', () => {
    expect(() => parseStreamEntry(['1-0'])).toThrow(/Unexpected/);
  });
});

describe('parseReadReply', () => {
  it('is empty on a timed-out read and lists entries in order otherwise', () => {
    expect(parseReadReply(null)).toEqual([]);
    expect(
      parseReadReply([
        [
          'k',
          [
            ['1-0', ['data', 'a']],
            ['1-1', ['data', 'b']],
          ],
        ],
      ]),
    ).toEqual([
      { id: '1-0', payload: 'a' },
      { id: '1-1', payload: 'b' },
    ]);
  });
});

describe('parseAutoClaimReply', () => {
  it('returns claimed entries and, with payload null, the ids Redis 7 reports as deleted', () => {
    expect(parseAutoClaimReply(['5-0', [['1-0', ['data', 'a']]], ['2-0']])).toEqual({
      nextCursor: '5-0',
      messages: [
        { id: '1-0', payload: 'a' },
        { id: '2-0', payload: null },
      ],
    });
  });

  it('accepts the Redis 6.2 shape (no deleted list, deleted entries without fields)', () => {
    expect(parseAutoClaimReply(['0-0', [['1-0', null]]])).toEqual({
      nextCursor: '0-0',
      messages: [{ id: '1-0', payload: null }],
    });
  });
});

describe('parsePendingEntries / parsePendingSummary', () => {
  it('reads id, owner, idle time and delivery count', () => {
    expect(parsePendingEntries([['1-0', 'c1', 1500, 3]])).toEqual([
      { id: '1-0', consumer: 'c1', idleMs: 1500, deliveryCount: 3 },
    ]);
  });

  it('reads the count and smallest pending id, null when nothing is pending', () => {
    expect(parsePendingSummary([2, '1-0', '1-5', [['c1', '2']]])).toEqual({ count: 2, smallestId: '1-0' });
    expect(parsePendingSummary([0, null, null, null])).toEqual({ count: 0, smallestId: null });
  });
});

describe('parseGroupsInfo', () => {
  it('reads each group and maps an unknown lag to null', () => {
    const reply = [
      ['name', 'g1', 'consumers', 2, 'pending', 3, 'last-delivered-id', '9-0', 'entries-read', 9, 'lag', 1],
      [
        'name',
        'g2',
        'consumers',
        0,
        'pending',
        0,
        'last-delivered-id',
        '0-0',
        'entries-read',
        null,
        'lag',
        null,
      ],
    ];

    expect(parseGroupsInfo(reply)).toEqual([
      { name: 'g1', consumers: 2, pending: 3, lastDeliveredId: '9-0', lag: 1 },
      { name: 'g2', consumers: 0, pending: 0, lastDeliveredId: '0-0', lag: null },
    ]);
  });
});
