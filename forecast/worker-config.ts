// The worker's settings from the environment, validated at start (pure: env in, config out).
import { validate as validCron } from "node-cron";
import { parseServiceLevels, type ServiceLevels } from "./decisions.js";
import type { PeriodKind } from "./period.js";

export interface WorkerConfig {
  /** node-cron expression of the schedule, read in UTC. */
  schedule: string;
  /** Periods the worker forecasts in. */
  period: PeriodKind;
  /** Lead time used where a stock level has none (lead_time_ms = 0), days. */
  defaultLeadTimeDays: number;
  /** Review period added to the lead time, periods. */
  reviewPeriods: number;
  serviceLevels: ServiceLevels;
  /** Largest change applied without a planner, as a fraction of max(previous buffer, 1). */
  guardrail: number;
}

export const workerDefaults = {
  FORECAST_SCHEDULE: "0 2 * * *",
  FORECAST_PERIOD: "month",
  FORECAST_DEFAULT_LEAD_TIME_DAYS: "7",
  FORECAST_REVIEW_PERIODS: "0",
  FORECAST_SERVICE_LEVELS: "A=0.98,B=0.95,C=0.95",
  FORECAST_GUARDRAIL: "0.3",
} as const;

export type ConfigResult = { ok: true; value: WorkerConfig } | { ok: false; errors: string[] };

export function parseWorkerConfig(env: Record<string, string | undefined>): ConfigResult {
  const errors: string[] = [];
  const read = (name: keyof typeof workerDefaults): string => {
    const value = env[name];
    return value === undefined || value.trim() === "" ? workerDefaults[name] : value.trim();
  };
  const schedule = read("FORECAST_SCHEDULE");
  if (!validCron(schedule)) errors.push(`FORECAST_SCHEDULE must be a cron expression, got "${schedule}"`);
  const period = read("FORECAST_PERIOD");
  if (period !== "month" && period !== "week" && period !== "day") errors.push(`FORECAST_PERIOD must be month, week or day, got "${period}"`);
  const wholeNumber = (name: keyof typeof workerDefaults, max: number): number => {
    const text = read(name);
    const n = Number(text);
    if (!/^\d+$/.test(text) || n > max) errors.push(`${name} must be a whole number from 0 to ${max}, got "${text}"`);
    return n;
  };
  const defaultLeadTimeDays = wholeNumber("FORECAST_DEFAULT_LEAD_TIME_DAYS", 365);
  const reviewPeriods = wholeNumber("FORECAST_REVIEW_PERIODS", 365);
  const levels = parseServiceLevels(read("FORECAST_SERVICE_LEVELS"));
  if (!levels.ok) errors.push(`FORECAST_SERVICE_LEVELS: ${levels.message}`);
  const guardrailText = read("FORECAST_GUARDRAIL");
  const guardrail = Number(guardrailText);
  if (!/^\d+(\.\d+)?$/.test(guardrailText) || !Number.isFinite(guardrail)) errors.push(`FORECAST_GUARDRAIL must be a number >= 0, got "${guardrailText}"`);
  if (errors.length > 0 || !levels.ok) return { ok: false, errors };
  return { ok: true, value: { schedule, period: period as PeriodKind, defaultLeadTimeDays, reviewPeriods, serviceLevels: levels.value, guardrail } };
}
