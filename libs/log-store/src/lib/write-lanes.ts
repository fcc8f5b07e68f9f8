/**
 * Write lanes (issue 14, docs/store.md "Writers in lanes"). The worker keeps up to MAX_BATCHES_IN_FLIGHT
 * COPYs running at once, and all of them insert into the same partition. The trigram GIN on `message` is
 * where most of that costs: every row's trigrams go through the index's one pending list, so concurrent
 * writers queue on its pages. So each row carries the lane of the writer that stored it, and the trigram
 * index is one partial index per lane (`WHERE lane = n`): writers in different lanes never touch the same
 * pending list. Three writers on the real table: 44.0-44.5 µs of PostgreSQL CPU per row in three lanes
 * against 47.0-47.6 in one (tools/bench/copy-format.mjs, docs/store.md "Writers in lanes").
 *
 * The lane says nothing about the entry. It is not part of any key: a redelivered entry may be written
 * in another lane and is still refused by the primary key `(stream_id, ts)`. Readers must name every lane
 * for the planner to use the partial indexes (IN_EVERY_WRITE_LANE), and a CHECK keeps every row in one
 * of them.
 */
export const LOG_WRITE_LANES = 3;

/**
 * A condition true for every row, written so that the planner can match each per-lane partial index
 * against one of its arms: the form a query needs to search `message` through the trigram indexes.
 * (`lane IN (...)` is the same condition, but the planner does not split it into arms.)
 */
export const IN_EVERY_WRITE_LANE = `(${Array.from({ length: LOG_WRITE_LANES }, (_, lane) => `lane = ${lane}`).join(' OR ')})`;
