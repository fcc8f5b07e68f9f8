import assert from 'node:assert/strict';
import { test } from 'node:test';
import { niceStep, sustainedChartSvg } from '../lib/chart.mjs';

test('axis steps are 1, 2 or 5 times a power of ten', () => {
  assert.equal(niceStep(100, 4), 50);
  assert.equal(niceStep(40000, 4), 10000);
  assert.equal(niceStep(42000, 4), 20000);
  assert.equal(niceStep(7, 4), 2);
  assert.equal(niceStep(0), 1);
});

test('the chart is one SVG with a line per series and gaps where a value is missing', () => {
  const series = Array.from({ length: 5 }, (_, second) => ({
    second,
    offered: 1000,
    accepted: 990,
    stored: 980,
    backlog: second === 2 ? Number.NaN : 20,
    freshnessP50: 30,
    freshnessP99: 120,
  }));
  const svg = sustainedChartSvg({ title: 'T <&>', subtitle: 'S', series });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.match(svg, /T &#60;&#38;&#62;/);
  // offered, answered, stored, p50, p99 as one line each; backlog split in two by the missing second.
  assert.equal(svg.match(/<polyline /g).length, 7);
  assert.doesNotMatch(svg, /NaN/);
});
