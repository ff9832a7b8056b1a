import { describe, expect, it } from "vitest";
import { planDemotion, planFill, type QueuedLine } from "../../src/core/queue.js";

const q = (id: string, priority: "VIP" | "STANDARD", seq: number, units: number): QueuedLine => ({ reservationId: id, lineIndex: 0, priority, seq: BigInt(seq), units });
const stock = (onHand: number, reserved: number, safetyBuffer = 0, minStock = 0) => ({ onHand, reserved, safetyBuffer, minStock });

describe("planFill", () => {
  const cases: { name: string; stock: ReturnType<typeof stock>; waiting: QueuedLine[]; expected: [string, number][] }[] = [
    { name: "serves VIP before standard whatever the arrival order", stock: stock(4, 0), waiting: [q("s1", "STANDARD", 1, 3), q("v1", "VIP", 9, 3)], expected: [["v1", 3], ["s1", 1]] },
    { name: "serves equal priorities by arrival", stock: stock(5, 0), waiting: [q("s2", "STANDARD", 2, 3), q("s1", "STANDARD", 1, 3)], expected: [["s1", 3], ["s2", 2]] },
    { name: "grants a prefix: a partial fill for the last one served", stock: stock(7, 2), waiting: [q("a", "STANDARD", 1, 2), q("b", "STANDARD", 2, 5)], expected: [["a", 2], ["b", 3]] },
    { name: "keeps held-back units from standard lines but gives them to VIP", stock: stock(10, 5, 3), waiting: [q("s", "STANDARD", 1, 5), q("v", "VIP", 2, 5)], expected: [["v", 5]] },
    { name: "uses the larger of buffer and min_stock for standard lines", stock: stock(10, 0, 2, 6), waiting: [q("s", "STANDARD", 1, 9)], expected: [["s", 4]] },
    { name: "grants nothing when nothing is free", stock: stock(3, 3), waiting: [q("v", "VIP", 1, 1)], expected: [] },
    { name: "grants nothing to an empty queue", stock: stock(3, 0), waiting: [], expected: [] },
  ];
  for (const c of cases) {
    it(c.name, () => expect(planFill(c.stock, c.waiting).map((g) => [g.reservationId, g.units])).toEqual(c.expected));
  }
});

describe("planDemotion", () => {
  const held = [q("v-old", "VIP", 1, 3), q("s-old", "STANDARD", 2, 3), q("s-new", "STANDARD", 5, 2), q("v-new", "VIP", 6, 2)];
  const cases: { name: string; onHandAfter: number; reserved: number; expected: [string, number][]; short: number }[] = [
    { name: "takes nothing while reserved fits", onHandAfter: 10, reserved: 10, expected: [], short: 0 },
    { name: "takes from the newest standard line first", onHandAfter: 9, reserved: 10, expected: [["s-new", 1]], short: 1 },
    { name: "moves on to older standard lines in whole units", onHandAfter: 6, reserved: 10, expected: [["s-new", 2], ["s-old", 2]], short: 4 },
    { name: "reaches VIP lines, newest first, only after every standard line", onHandAfter: 3, reserved: 10, expected: [["s-new", 2], ["s-old", 3], ["v-new", 2]], short: 7 },
    { name: "takes everything when nothing is left", onHandAfter: 0, reserved: 10, expected: [["s-new", 2], ["s-old", 3], ["v-new", 2], ["v-old", 3]], short: 10 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planDemotion(c.onHandAfter, c.reserved, held);
      expect(plan.demotions.map((d) => [d.reservationId, d.units])).toEqual(c.expected);
      expect(plan.unitsShort).toBe(c.short);
      expect(plan.uncovered).toBe(0);
    });
  }
  it("reports what the loaded lines cannot cover", () => {
    expect(planDemotion(0, 12, held).uncovered).toBe(2);
  });
});
