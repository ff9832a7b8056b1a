// The forecast tables refuse what the worker and planners must never write.
import { beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { stockedSku } from "../support/fixtures.js";
import { useTestServer } from "../support/harness.js";

const { db, server } = useTestServer();
let key: { sku: string; warehouseId: string };

beforeAll(async () => {
  key = await stockedSku(server, 1);
  await db.query(`INSERT INTO forecast_run (run_id, as_of, state, start_time, attempt_time, attempts, settings)
                  VALUES ('schema-run', '2026-12-01', 'RUNNING', now(), now(), 1, '{}'::jsonb)`);
});

function insertProposal(over: Record<string, string> = {}): Promise<unknown> {
  const v: Record<string, string> = {
    run_id: "'schema-run'", state: "'PROPOSED'", proposed_units: "5", previous_units: "0", applied_units: "NULL", method: "'holt_winters'",
    abc_class: "'A'", service_level: "0.95", rationale: "'{}'::jsonb", forecast: "'{}'::jsonb", history: "'[]'::jsonb",
    decided_by: "NULL", decision_reason: "''", decision_request_id: "NULL", decide_time: "NULL", ...over,
  };
  const columns = Object.keys(v);
  return db.query(
    `INSERT INTO buffer_proposal (proposal_id, sku, warehouse_id, create_time, ${columns.join(", ")}) VALUES (?, ?, ?, now(), ${columns.map((c) => v[c]).join(", ")})`,
    [randomUUID(), key.sku, key.warehouseId],
  );
}

const decided = { decided_by: "'anna'", decision_request_id: "'r-1'", decide_time: "now()" };

describe("forecast schema invariants", () => {
  it.each([
    ["an unknown state", { state: "'APPROVED'", ...decided }, /buffer_proposal_state_known/],
    ["negative units", { proposed_units: "-1" }, /buffer_proposal_proposed_nonnegative/],
    ["a decision without who decided", { state: "'REJECTED'", decision_request_id: "'r'", decide_time: "now()" }, /buffer_proposal_decided_by_whom/],
    ["a decided_by while PROPOSED", { decided_by: "'anna'" }, /buffer_proposal_decided_by_whom/],
    ["APPLIED without applied units", { state: "'APPLIED'", ...decided }, /buffer_proposal_applied_units_when_applied/],
    ["APPLIED with other units than proposed", { state: "'APPLIED'", applied_units: "4", ...decided }, /buffer_proposal_applied_as_proposed/],
    ["OVERRIDDEN without a reason", { state: "'OVERRIDDEN'", applied_units: "4", ...decided }, /buffer_proposal_override_explained/],
    ["REJECTED with applied units", { state: "'REJECTED'", applied_units: "5", ...decided }, /buffer_proposal_applied_units_when_applied/],
    ["a service level of 1", { service_level: "1" }, /buffer_proposal_service_level_probability/],
    ["an unknown method", { method: "'guess'" }, /buffer_proposal_method_known/],
    ["a run that does not exist", { run_id: "'no-such-run'" }, /foreign key/],
  ])("buffer_proposal refuses %s", async (_name, over, error) => {
    await expect(insertProposal(over)).rejects.toThrow(error);
  });

  it("keeps one proposal per run and stock level, and one waiting per stock level", async () => {
    await insertProposal();
    await expect(insertProposal({ state: "'REJECTED'", ...decided })).rejects.toThrow(/buffer_proposal_one_per_run/);
    await db.query(`INSERT INTO forecast_run (run_id, as_of, state, start_time, attempt_time, attempts, settings)
                    VALUES ('schema-run-2', '2026-12-02', 'RUNNING', now(), now(), 1, '{}'::jsonb)`);
    await expect(insertProposal({ run_id: "'schema-run-2'" })).rejects.toThrow(/buffer_proposal_one_open_idx/);
    await insertProposal({ run_id: "'schema-run-2'", state: "'OVERRIDDEN'", applied_units: "2", decision_reason: "'sale'", ...decided });
  });

  it("forecast_run refuses a finished run without a finish time, a failure without its error, and a malformed run id", async () => {
    await expect(db.query(`UPDATE forecast_run SET state = 'SUCCEEDED' WHERE run_id = 'schema-run'`)).rejects.toThrow(/forecast_run_finished_unless_running/);
    await expect(db.query(`UPDATE forecast_run SET state = 'FAILED', finish_time = now() WHERE run_id = 'schema-run'`)).rejects.toThrow(/forecast_run_failure_explained/);
    await expect(db.query(`INSERT INTO forecast_run (run_id, as_of, state, start_time, attempt_time, attempts, settings)
                           VALUES ('a:b', '2026-12-01', 'RUNNING', now(), now(), 1, '{}'::jsonb)`)).rejects.toThrow(/forecast_run_id_format/);
  });
});
