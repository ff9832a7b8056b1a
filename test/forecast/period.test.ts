import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPeriod, parsePeriod, periodKindOf, periodsCovering, quarterOf, type PeriodKind } from "../../forecast/period.js";

describe("periods", () => {
  const labels: { label: string; kind: PeriodKind | null; valid: boolean }[] = [
    { label: "2024-02-29", kind: "day", valid: true },
    { label: "2023-02-29", kind: "day", valid: false },
    { label: "2024-13-01", kind: "day", valid: false },
    { label: "2020-W53", kind: "week", valid: true },
    { label: "2021-W53", kind: "week", valid: false },
    { label: "2021-W00", kind: "week", valid: false },
    { label: "1998-12", kind: "month", valid: true },
    { label: "1998-00", kind: "month", valid: false },
    { label: "1998-1", kind: null, valid: false },
    { label: "19981", kind: null, valid: false },
  ];
  for (const c of labels) {
    it(`reads "${c.label}" as ${c.kind ?? "no period"}${c.kind && !c.valid ? " that does not exist" : ""}`, () => {
      expect(periodKindOf(c.label)).toBe(c.kind);
      if (c.kind) expect(parsePeriod(c.label, c.kind) !== null).toBe(c.valid);
    });
  }

  it("numbers ISO weeks consecutively across year ends", () => {
    const w = parsePeriod("2020-W53", "week") as number;
    expect(formatPeriod(w + 1, "week")).toBe("2021-W01");
    expect(formatPeriod(parsePeriod("2024-W52", "week") as number, "week")).toBe("2024-W52");
    expect(formatPeriod((parsePeriod("2024-W52", "week") as number) + 1, "week")).toBe("2025-W01");
  });

  it("round-trips every label of every kind", () => {
    fc.assert(
      fc.property(fc.integer({ min: -20_000, max: 40_000 }), fc.constantFrom<PeriodKind>("day", "week", "month"), (ordinal, kind) => {
        const o = kind === "month" ? 1900 * 12 + (ordinal % 2400 + 2400) % 2400 : kind === "week" ? Math.floor(ordinal / 7) : ordinal;
        expect(parsePeriod(formatPeriod(o, kind), kind)).toBe(o);
      }),
      { seed: 3, numRuns: 500 },
    );
  });

  it("puts each period in its calendar quarter", () => {
    expect(quarterOf(parsePeriod("2023-03", "month") as number, "month")).toBe(0);
    expect(quarterOf(parsePeriod("2023-04", "month") as number, "month")).toBe(1);
    expect(quarterOf(parsePeriod("2023-12-31", "day") as number, "day")).toBe(3);
    // 2020-W53 runs Mon 2020-12-28 to Sun 2021-01-03; its Thursday is 2020-12-31.
    expect(quarterOf(parsePeriod("2020-W53", "week") as number, "week")).toBe(3);
  });

  it("converts a duration into the whole periods that cover it", () => {
    const day = 86_400_000;
    expect(periodsCovering(0, "week")).toBe(0);
    expect(periodsCovering(7 * day, "week")).toBe(1);
    expect(periodsCovering(8 * day, "week")).toBe(2);
    expect(periodsCovering(30 * day, "month")).toBe(1);
    expect(periodsCovering(45 * day, "month")).toBe(2);
    expect(periodsCovering(3 * day, "day")).toBe(3);
  });
});
