// The order in which the orchestrator loads the two client processes of a pair: each member's
// load is cut into slices, run one at a time in an ABBA order so that a linear drift of the
// machine weighs on both members alike.

/** One step of a schedule: `member` (an index into the processes of the run) runs one slice. */
export interface Step {
  readonly member: number;
  readonly phase: 'get' | 'post';
  readonly requests: number;
}

/** `total` requests cut into `slices` parts as equal as can be (the larger ones first), summing to `total`. */
export function sliceSizes(total: number, slices: number): number[] {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`sliceSizes: total ${total}`);
  if (!Number.isInteger(slices) || slices < 1) throw new RangeError(`sliceSizes: slices ${slices}`);
  const parts = Math.min(slices, total);
  const base = Math.floor(total / parts);
  const larger = total - base * parts;
  return Array.from({ length: parts }, (_, i) => (i < larger ? base + 1 : base));
}

/**
 * Members 0 and 1 in ABBA order over `slices` slices each: first, other, other, first, first, … .
 * With an even count every member's mean position is the same, so a drift that is linear in time
 * cancels out of the ratio of the two members' totals; an odd count ends on a lone (first, other).
 */
export function abbaOrder(slices: number, first: 0 | 1 = 0): (0 | 1)[] {
  const other = first === 0 ? 1 : 0;
  const cycle = [first, other, other, first] as const;
  return Array.from({ length: 2 * slices }, (_, k) => cycle[k % 4] as 0 | 1);
}

/** The i-th slice of one member has the size of the other member's i-th slice. */
function interleave(phase: Step['phase'], total: number, slices: number, first: 0 | 1): Step[] {
  const sizes = sliceSizes(total, slices);
  const taken: [number, number] = [0, 0];
  return abbaOrder(sizes.length, first).map((member) => {
    const requests = sizes[taken[member]] as number;
    taken[member] += 1;
    return { member, phase, requests };
  });
}

export interface PairLoad {
  readonly getRequests: number;
  readonly getSlices: number;
  readonly postRequests: number;
  readonly postSlices: number;
  /** The member that opens (and, with an even count, closes) each phase. */
  readonly first: 0 | 1;
}

/** Every GET slice of both members in ABBA order, then every POST slice likewise. */
export function pairSchedule(load: PairLoad): Step[] {
  return [
    ...interleave('get', load.getRequests, load.getSlices, load.first),
    ...interleave('post', load.postRequests, load.postSlices, load.first),
  ];
}

/** A client run alone (a peer): its GET load in one piece, then its POST load. */
export function soloSchedule(getRequests: number, postRequests: number): Step[] {
  return [
    { member: 0, phase: 'get', requests: getRequests },
    { member: 0, phase: 'post', requests: postRequests },
  ];
}
