import { describe, expect, it } from 'vitest';
import { parsePolicySpec } from '../../policies/registry.js';
import { KvStore, type TierSpec, type WriteMode } from '../../sim/kv-store.js';

const GPU = 0;
const DRAM = 1;
const SSD = 2;

function tier(name: string, capacity: number, writeMode: WriteMode = 'write-back', options: Partial<TierSpec> = {}): TierSpec {
  return { name, capacity, policy: parsePolicySpec('lru'), writeMode, writeSelectiveHits: 2, exclusive: false, ...options };
}

// Three tiers of two blocks each, counting every block as size 1.
function threeTiers(gpu: Partial<TierSpec> = {}, dram: Partial<TierSpec> = {}, ssd: Partial<TierSpec> = {}): KvStore {
  return new KvStore(
    [tier('gpu', 2, gpu.writeMode, gpu), tier('dram', 2, dram.writeMode, dram), tier('ssd', 2, ssd.writeMode, ssd)],
    { bytesPerToken: 1, unitSizes: true },
  );
}

function tiersOf(store: KvStore, id: number): number[] {
  const handle = store.find(id);
  if (handle < 0) return [];
  const mask = store.residencyOf(handle);
  return [GPU, DRAM, SSD].filter((index) => (mask & (1 << index)) !== 0);
}

describe('KvStore', () => {
  it('demotes write-back victims tier by tier', () => {
    const store = threeTiers();
    for (const id of [1, 2, 3, 4, 5]) store.touch(id, 16, -1);
    // GPU keeps the two most recent; 1, 2, 3 were demoted to DRAM, whose LRU victim 1 went to SSD.
    expect(tiersOf(store, 5)).toEqual([GPU]);
    expect(tiersOf(store, 4)).toEqual([GPU]);
    expect(tiersOf(store, 3)).toEqual([DRAM]);
    expect(tiersOf(store, 2)).toEqual([DRAM]);
    expect(tiersOf(store, 1)).toEqual([SSD]);
    expect([...store.writtenBlocks]).toEqual([5, 3, 1]);
    expect([...store.demotedBlocks]).toEqual([3, 1, 0]);
  });

  it('demotes through a fourth tier, whose policy keeps its own links', () => {
    const store = new KvStore([tier('gpu', 2), tier('dram', 2), tier('ssd', 2), tier('archive', 2)], { bytesPerToken: 1, unitSizes: true });
    for (let id = 1; id <= 9; id++) store.touch(id, 16, -1);
    const tiersOfBlock = (id: number) => [0, 1, 2, 3].filter((index) => (store.residencyOf(store.find(id)) & (1 << index)) !== 0);
    expect([9, 8, 7, 6, 5, 4, 3, 2].map(tiersOfBlock)).toEqual([[0], [0], [1], [1], [2], [2], [3], [3]]);
    expect(store.find(1)).toBe(-1);
    expect(store.droppedBlocks[3]).toBe(1);
  });

  it('drops victims of the last tier and recycles handles', () => {
    const store = threeTiers();
    for (let id = 1; id <= 1000; id++) store.touch(id, 16, -1);
    expect(store.blockCount).toBe(6);
    expect(store.droppedBlocks[SSD]).toBe(994);
    expect(store.find(1)).toBe(-1);
    expect(tiersOf(store, 1000)).toEqual([GPU]);
  });

  it('keeps the lower copy on copy-up and skips demotion later', () => {
    const store = new KvStore([tier('gpu', 2), tier('dram', 8), tier('ssd', 8)], { bytesPerToken: 1, unitSizes: true });
    store.touch(1, 16, -1);
    store.touch(2, 16, -1);
    store.touch(3, 16, -1);
    expect(tiersOf(store, 1)).toEqual([DRAM]);
    store.touch(1, 16, DRAM);
    // 1 is back in the GPU and its DRAM copy stays; 2 was demoted to make room.
    expect(tiersOf(store, 1)).toEqual([GPU, DRAM]);
    expect(tiersOf(store, 2)).toEqual([DRAM]);
    const dramWritesBefore = store.writtenBlocks[DRAM];
    // Two new blocks push 3 and 1 out of the GPU: 3 is demoted, 1 has a copy below and costs nothing.
    store.touch(4, 16, -1);
    store.touch(5, 16, -1);
    expect(tiersOf(store, 1)).toEqual([DRAM]);
    expect(tiersOf(store, 3)).toEqual([DRAM]);
    expect(store.writtenBlocks[DRAM]).toBe(dramWritesBefore + 1);
    expect(store.demotedBlocks[GPU]).toBe(3);
  });

  it('removes the lower copy of an exclusive tier on copy-up', () => {
    const store = new KvStore([tier('gpu', 2), tier('dram', 8, 'write-back', { exclusive: true })], { bytesPerToken: 1, unitSizes: true });
    for (const id of [1, 2, 3]) store.touch(id, 16, -1);
    expect(tiersOf(store, 1)).toEqual([DRAM]);
    store.touch(1, 16, DRAM);
    expect(tiersOf(store, 1)).toEqual([GPU]);
    expect(store.tiers[DRAM].residentCount).toBe(1);
    expect(tiersOf(store, 2)).toEqual([DRAM]);
  });

  it('writes through to every lower tier on creation', () => {
    const store = threeTiers({ writeMode: 'write-through' }, { writeMode: 'write-through' });
    store.touch(1, 16, -1);
    expect(tiersOf(store, 1)).toEqual([GPU, DRAM, SSD]);
    expect([...store.writtenBlocks]).toEqual([1, 1, 1]);
  });

  it('writes selectively after the given hits', () => {
    const store = threeTiers({ writeMode: 'write-selective', writeSelectiveHits: 2 });
    store.touch(1, 16, -1);
    store.touch(1, 16, -1);
    expect(tiersOf(store, 1)).toEqual([GPU]);
    store.touch(1, 16, -1);
    expect(tiersOf(store, 1)).toEqual([GPU, DRAM]);
    expect(store.writtenBlocks[DRAM]).toBe(1);
  });

  it('sizes blocks by tokens times bytes per token', () => {
    const store = new KvStore([tier('gpu', 10_000)], { bytesPerToken: 100 });
    store.touch(1, 16, -1);
    store.touch(2, 7, -1);
    expect(store.tiers[GPU].used).toBe(2300);
    // A block larger than the tier is not admitted and leaves no trace.
    store.touch(3, 200, -1);
    expect(store.find(3)).toBe(-1);
    expect(store.tiers[GPU].used).toBe(2300);
  });

  it('reports the fastest tier holding a block', () => {
    const store = threeTiers({ writeMode: 'write-through' });
    store.touch(9, 16, -1);
    expect(store.sourceTier(store.find(9))).toBe(GPU);
    store.touch(10, 16, -1);
    store.touch(11, 16, -1);
    // 11's write-through pushed 9 out of DRAM into SSD after the GPU had dropped its copy.
    expect(store.sourceTier(store.find(9))).toBe(SSD);
    expect(store.sourceTier(store.find(10))).toBe(GPU);
  });
});
