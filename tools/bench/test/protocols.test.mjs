import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROTOCOL_VARIANTS, roundOrder } from '../scenarios/protocols.mjs';

test('each round rotates the variants by a place, so every variant takes every place in turn', () => {
  const names = (round) => roundOrder(round).map(({ name }) => name);
  const all = PROTOCOL_VARIANTS.map(({ name }) => name);
  assert.deepEqual(names(0), all);
  assert.deepEqual(names(1), [...all.slice(1), all[0]]);
  assert.deepEqual(names(all.length), all);
  for (let place = 0; place < all.length; place += 1) {
    const seen = new Set(Array.from({ length: all.length }, (_, round) => names(round)[place]));
    assert.equal(seen.size, all.length);
  }
});
