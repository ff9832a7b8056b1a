import { describe, expect, it } from "vitest";
import { classify } from "../../forecast/classify.js";

describe("classify (ADI 1.32 / CV² 0.49)", () => {
  const cases = [
    { name: "steady demand every period is smooth", values: [10, 11, 9, 10, 12, 10], expect: "smooth" },
    { name: "demand every period with wild sizes is erratic", values: [1, 30, 2, 40, 1, 25], expect: "erratic" },
    { name: "rare demand of steady size is intermittent", values: [0, 5, 0, 0, 5, 0, 6, 0], expect: "intermittent" },
    { name: "rare demand of wild size is lumpy", values: [0, 1, 0, 0, 40, 0, 2, 0], expect: "lumpy" },
    { name: "no demand at all", values: [0, 0, 0], expect: "no_demand" },
  ];
  for (const c of cases) it(c.name, () => expect(classify(c.values).demandClass).toBe(c.expect));

  it("computes ADI as periods per demand and CV² of the non-zero sizes", () => {
    const c = classify([0, 2, 0, 4, 0, 0]);
    expect(c.adi).toBe(3);
    expect(c.cv2).toBeCloseTo(1 / 9, 12); // sizes 2 and 4: variance 1, mean 3
    expect(c.nonZeroPeriods).toBe(2);
  });

  it("counts trailing zeros, so an item that stopped selling becomes intermittent", () => {
    expect(classify([5, 5, 5, 5, 5, 5]).demandClass).toBe("smooth");
    expect(classify([5, 5, 5, 5, 5, 5, 0, 0, 0, 0]).demandClass).toBe("intermittent");
  });

  it("applies the cut-offs at the boundary values", () => {
    // ADI exactly 1.32 is intermittent: 33 periods with 25 demands.
    const values = Array.from({ length: 33 }, (_, t) => (t < 25 ? 3 : 0));
    expect(classify(values).adi).toBeCloseTo(1.32, 12);
    expect(classify(values).demandClass).toBe("intermittent");
  });
});
