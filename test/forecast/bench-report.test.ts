import { describe, expect, it } from "vitest";
import type { BacktestReport } from "../../forecast/backtest.js";
import { benchEndMarker, benchMarkdown, benchStartMarker, checkGoals, spliceBench, type BenchRun } from "../../forecast/bench-report.js";

function report(serviceLevel: number, asl: number, spl: number, referenceSpl: number): BacktestReport {
  const m = (a: number, s: number) => ({ series: 10, achieved_service_level: a, fill_rate: 0.99, buffer_to_demand: 0.2, scaled_pinball_loss: s, rmsse: 0.8 });
  return { serviceLevel, series: 10, overall: m(asl, spl), methods: { holt_winters: m(asl, spl), seasonal_naive: m(0.97, referenceSpl), croston_sba: m(asl, spl), tsb: m(asl, spl) }, context: { zeroDemandShare: 0, seriesAboveTarget: 0, coverageFloor: serviceLevel } };
}

const run: BenchRun = {
  datasets: [{ name: "toy", file: "toy.csv", reports: [report(0.9, 0.91, 0.2, 0.3), report(0.95, 0.92, 0.4, 0.3)], seconds: 2 }],
  totalSeconds: 31,
  command: "npm run bench:forecast",
  environment: "Node test",
  leadTimePeriods: 1,
};

describe("bench report", () => {
  it("checks each goal of issue 4", () => {
    expect(checkGoals(run).map((c) => c.met)).toEqual([true, false, true, false, false]);
  });

  it("replaces only the text between its markers on a rerun", () => {
    const document = `# Benchmarks\n\nintro\n\n## Forecast buffers\n\nnotes\n\n${benchStartMarker}\nold\n${benchEndMarker}\n\n## Other\n`;
    const updated = spliceBench(document, benchMarkdown(run));
    expect(updated.startsWith("# Benchmarks\n\nintro\n\n## Forecast buffers\n\nnotes\n\n")).toBe(true);
    expect(updated.endsWith(`${benchEndMarker}\n\n## Other\n`)).toBe(true);
    expect(updated).not.toContain("\nold\n");
    expect(spliceBench(updated, benchMarkdown(run))).toBe(updated);
  });

  it("adds a Forecast buffers section when there is none", () => {
    expect(spliceBench("", "X")).toBe("# Benchmarks\n\n## Forecast buffers\n\nX\n");
    expect(spliceBench("# Benchmarks\n\n## Reservations\n", "X")).toBe("# Benchmarks\n\n## Reservations\n\n## Forecast buffers\n\nX\n");
  });
});
