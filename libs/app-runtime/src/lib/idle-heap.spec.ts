import { keepHeapThroughIdleSpells } from './idle-heap';

describe('keepHeapThroughIdleSpells', () => {
  it('turns the memory reducer off when the command line does not name it', () => {
    expect(keepHeapThroughIdleSpells(['--max-old-space-size=192'])).toBe(true);
    expect(keepHeapThroughIdleSpells([])).toBe(true);
  });

  it('leaves it as the command line set it, either way and in either spelling', () => {
    expect(keepHeapThroughIdleSpells(['--memory-reducer'])).toBe(false);
    expect(keepHeapThroughIdleSpells(['--no-memory-reducer'])).toBe(false);
    expect(keepHeapThroughIdleSpells(['--inspect', '--memory_reducer'])).toBe(false);
  });
});
