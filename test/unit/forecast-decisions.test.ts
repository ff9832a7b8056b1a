// The worker's pure decisions: run ids, ABC classes, service levels, the guardrail, and its
// settings from the environment.
import { describe, expect, it } from "vitest";
import { appliedRequestId, checkGuardrail, classifyAbc, decideProposal, isRunId, parseServiceLevels, runIdFor } from "../../forecast/decisions.js";
import { parseWorkerConfig } from "../../forecast/worker-config.js";

describe("run ids", () => {
  it.each([
    ["2026-12-01T02:00:00Z", "forecast-2026-12-01"],
    ["2026-12-01T23:59:59.999Z", "forecast-2026-12-01"],
    ["2026-12-02T00:00:00Z", "forecast-2026-12-02"],
    ["2024-02-29T12:00:00+05:00", "forecast-2024-02-29"],
  ])("a run started at %s is %s (its UTC day)", (time, runId) => {
    expect(runIdFor(new Date(time))).toBe(runId);
  });

  it.each([
    ["forecast-2026-12-01", true],
    ["rerun_2.v1", true],
    ["", false],
    ["a:b", false],
    ["with space", false],
    ["x".repeat(64), true],
    ["x".repeat(65), false],
  ])("%j is a run id: %s", (text, valid) => {
    expect(isRunId(text)).toBe(valid);
  });

  it("derives the request id of an applied change from the run, sku and warehouse", () => {
    expect(appliedRequestId("forecast-2026-12-01", "SKU:1", "ams-1")).toBe("forecast-2026-12-01:SKU:1:ams-1");
  });
});

describe("ABC classes by cumulative unit volume", () => {
  const classes = (volumes: [string, number][]) => Object.fromEntries(classifyAbc(volumes.map(([sku, units]) => ({ sku, units }))));
  it.each<[string, [string, number][], Record<string, string>]>([
    ["nothing", [], {}],
    ["a lone SKU is A", [["x", 5]], { x: "A" }],
    ["the SKU crossing 80% is still A", [["a", 70], ["b", 20], ["c", 6], ["d", 4]], { a: "A", b: "A", c: "B", d: "C" }],
    ["B starts at 80% above, C at 95% above", [["a", 80], ["b", 15], ["c", 5]], { a: "A", b: "B", c: "C" }],
    ["ties rank by SKU", [["b", 10], ["a", 10], ["c", 75], ["d", 5]], { c: "A", a: "A", b: "B", d: "C" }],
    ["no volume at all is C", [["a", 0], ["b", 0]], { a: "C", b: "C" }],
    ["a long tail", [["top", 900], ...Array.from({ length: 10 }, (_, i) => [`t${i}`, 10] as [string, number])],
      { top: "A", t0: "B", t1: "B", t2: "B", t3: "B", t4: "B", t5: "C", t6: "C", t7: "C", t8: "C", t9: "C" }],
  ])("%s", (_name, volumes, expected) => {
    expect(classes(volumes)).toEqual(expected);
  });
});

describe("service levels per class", () => {
  it.each([
    ["A=0.98,B=0.95,C=0.95", { ok: true, value: { A: 0.98, B: 0.95, C: 0.95 } }],
    [" C=0.9 , A = 0.99,B=0.9 ", { ok: true, value: { A: 0.99, B: 0.9, C: 0.9 } }],
    ["A=0.98,B=0.95", { ok: false, message: "missing the service level of class C" }],
    ["A=0.98,B=0.95,C=1", { ok: false, message: "the service level of class C must be in (0, 1), got 1" }],
    ["A=0.98,A=0.9,B=0.95,C=0.95", { ok: false, message: "class A is given twice" }],
    ["A=0.98,D=0.5", { ok: false, message: `"D=0.5" is not CLASS=LEVEL with CLASS one of A, B, C` }],
    ["A=x,B=0.9,C=0.9", { ok: false, message: "the service level of class A must be in (0, 1), got x" }],
  ])("%j", (text, expected) => {
    expect(parseServiceLevels(text)).toEqual(expected);
  });
});

describe("the guardrail: |new - previous| <= fraction * max(previous, 1)", () => {
  it.each([
    // previous, proposed, fraction, limit, within, action
    [10, 10, 0.3, 3, true, "UNCHANGED"],
    [10, 13, 0.3, 3, true, "APPLY"],
    [10, 7, 0.3, 3, true, "APPLY"],
    [10, 14, 0.3, 3, false, "PROPOSE"],
    [10, 6, 0.3, 3, false, "PROPOSE"],
    [0, 0, 0.3, 0.3, true, "UNCHANGED"],
    [0, 1, 0.3, 0.3, false, "PROPOSE"],
    [0, 1, 1, 1, true, "APPLY"],
    [1, 2, 1, 1, true, "APPLY"],
    [100, 0, 0.3, 30, false, "PROPOSE"],
    [5, 6, 0, 0, false, "PROPOSE"],
  ] as const)("from %d to %d at %d: limit %d, within %s, %s", (previous, proposed, fraction, limit, within, action) => {
    const check = checkGuardrail(previous, proposed, fraction);
    expect(check.limitUnits).toBeCloseTo(limit, 12);
    expect(check.within).toBe(within);
    expect(decideProposal(previous, proposed, fraction)).toBe(action);
  });
});

describe("worker settings from the environment", () => {
  it("defaults: nightly at 02:00, monthly, 7 days of lead time, no review period, A 0.98, B and C 0.95, guardrail 0.3", () => {
    expect(parseWorkerConfig({})).toEqual({
      ok: true,
      value: { schedule: "0 2 * * *", period: "month", defaultLeadTimeDays: 7, reviewPeriods: 0, serviceLevels: { A: 0.98, B: 0.95, C: 0.95 }, guardrail: 0.3 },
    });
  });

  it("reads every variable", () => {
    const parsed = parseWorkerConfig({
      FORECAST_SCHEDULE: "*/5 * * * *", FORECAST_PERIOD: "week", FORECAST_DEFAULT_LEAD_TIME_DAYS: "14", FORECAST_REVIEW_PERIODS: "1",
      FORECAST_SERVICE_LEVELS: "A=0.99,B=0.97,C=0.9", FORECAST_GUARDRAIL: "0.5",
    });
    expect(parsed).toEqual({
      ok: true,
      value: { schedule: "*/5 * * * *", period: "week", defaultLeadTimeDays: 14, reviewPeriods: 1, serviceLevels: { A: 0.99, B: 0.97, C: 0.9 }, guardrail: 0.5 },
    });
  });

  it("reports every bad variable at once", () => {
    const parsed = parseWorkerConfig({
      FORECAST_SCHEDULE: "every night", FORECAST_PERIOD: "year", FORECAST_DEFAULT_LEAD_TIME_DAYS: "-1", FORECAST_REVIEW_PERIODS: "1.5",
      FORECAST_SERVICE_LEVELS: "A=2", FORECAST_GUARDRAIL: "-0.1",
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.map((e) => e.split(" ")[0])).toEqual([
      "FORECAST_SCHEDULE", "FORECAST_PERIOD", "FORECAST_DEFAULT_LEAD_TIME_DAYS", "FORECAST_REVIEW_PERIODS", "FORECAST_SERVICE_LEVELS:", "FORECAST_GUARDRAIL",
    ]);
  });
});
