// The README's "Calling it with grpcurl" blocks, run verbatim (but for the address) in bash
// against a real server on a fresh database. `grpcurl` is test/support/bin/grpcurl, a stand-in
// that learns the API from server reflection only; the script runs under `set -euo pipefail`, so
// any failing call, including one inside `RESERVATION_ID=$(grpcurl ... | jq ...)`, fails the run.
import { readFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { ReleaseReason, ReservationState } from "../src/gen/inventory/v1/reservation.js";
import { availability } from "./support/fixtures.js";
import {
  grpcurlScript,
  grpcurlShimDir,
  jsonDocuments,
  readmeGrpcurlBlocks,
  readmeGrpcurlScript,
  readmePath,
  runGrpcurlScript,
  runReadmeExamples,
  type ScriptResult,
} from "./support/readme-examples.js";
import { useTestServer } from "./support/harness.js";

const { db, server } = useTestServer();

const sku = "TSHIRT-RED-M";

describe("readmeGrpcurlScript", () => {
  it("is set -euo pipefail plus every sh block of the section, verbatim but for the address", async () => {
    const readme = await readFile(readmePath, "utf8");
    const script = readmeGrpcurlScript(readme, "127.0.0.1:1234");
    expect(script.split("\n")[0]).toBe("set -euo pipefail");
    expect(script).not.toContain("localhost:50051");
    const blocks = readmeGrpcurlBlocks(readme);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) expect(script).toContain(block.text.split("localhost:50051").join("127.0.0.1:1234"));
    // Each block keeps its README line numbers, so a failure report points into the README.
    const readmeLines = readme.split("\n");
    const scriptLines = script.split("\n");
    for (const block of blocks) {
      expect(scriptLines[block.firstLine - 1]).toBe(readmeLines[block.firstLine - 1]!.split("localhost:50051").join("127.0.0.1:1234"));
    }
    // Only that section: the Quick start's `npm install && npm start` block is not in it.
    expect(script).not.toContain("npm start");
  });
});

describe("README grpcurl examples against a fresh server", () => {
  let run: ScriptResult;
  beforeAll(async () => {
    run = await runReadmeExamples(server.address);
  }, 180_000);

  it("run to the end and exit 0", () => {
    expect(run.code, `stderr:\n${run.stderr}\nstdout:\n${run.stdout}`).toBe(0);
    expect(run.stderr).not.toContain("ERROR:");
  });

  it("list the services and describe ReservationService and ReserveRequest with their comments", () => {
    const listed = run.stdout.split("\n");
    expect(listed).toEqual(expect.arrayContaining(["inventory.v1.ReservationService", "inventory.v1.InventoryService", "grpc.health.v1.Health"]));
    expect(run.stdout).toContain("inventory.v1.ReservationService is a service:\n// Binds stock to orders");
    expect(run.stdout).toContain("  rpc Reserve ( .inventory.v1.ReserveRequest ) returns ( .inventory.v1.ReserveResponse );");
    expect(run.stdout).toContain("inventory.v1.ReserveRequest is a message:\n// Request of Reserve.\nmessage ReserveRequest {");
    expect(run.stdout).toContain("  // Idempotency key, 1-64 printable ASCII characters.\n  string request_id = 1;");
    expect(run.stdout).toContain("  repeated .inventory.v1.ReserveLine lines = 7;");
  });

  it("print protojson responses: health SERVING, availability 15 after count and receipt", () => {
    const docs = jsonDocuments(run.stdout);
    expect(docs).toContainEqual({ status: "SERVING" });
    expect(docs).toContainEqual({ availability: expect.objectContaining({ sku, onHand: "15", available: "15" }) });
  });

  it("GetReservation prints the reservation whose id Reserve returned, ACTIVE with 3 units", async () => {
    const [row] = await db.query<{ reservation_id: string }>(`SELECT reservation_id FROM reservation WHERE order_id = '1001'`);
    expect(row).toBeDefined();
    const id = row!.reservation_id;
    const docs = jsonDocuments(run.stdout) as { reservation?: { reservationId?: string; state?: string; lines?: unknown[] } }[];
    const got = docs.find((d) => d.reservation?.reservationId === id && d.reservation.state === "RESERVATION_STATE_ACTIVE");
    expect(got?.reservation).toMatchObject({ orderId: "1001", customerId: "c-42", channel: "web", priority: "PRIORITY_STANDARD" });
    expect(got?.reservation?.lines).toEqual([{ sku, warehouseId: "ams-1", requestedQuantity: "3", reservedQuantity: "3" }]);
    // GetReservation, ListReservations and ReleaseReservation each print it (Reserve's output went to jq).
    expect(run.stdout.split(`"reservationId": "${id}"`).length - 1).toBe(3);
  });

  it("shipped the reservation: RELEASED/SHIPPED, and availability ends at on_hand 12, reserved 0", async () => {
    const { reservations } = await server.reservations.listReservations({ orderId: "1001", sku: "", state: ReservationState.RESERVATION_STATE_UNSPECIFIED, pageSize: 10, pageToken: "" });
    expect(reservations).toHaveLength(1);
    expect(reservations[0]).toMatchObject({ state: ReservationState.RESERVATION_STATE_RELEASED, releaseReason: ReleaseReason.RELEASE_REASON_SHIPPED });
    expect(await db.query(`SELECT state, release_reason FROM reservation WHERE order_id = '1001'`)).toEqual([{ state: "RELEASED", release_reason: "SHIPPED" }]);
    expect(await availability(server, sku)).toEqual({ onHand: 12, reserved: 0, available: 12 });
    const docs = jsonDocuments(run.stdout) as { reservation?: { state?: string; releaseReason?: string } }[];
    expect(docs.some((d) => d.reservation?.state === "RESERVATION_STATE_RELEASED" && d.reservation.releaseReason === "RELEASE_REASON_SHIPPED")).toBe(true);
  });

  it("waiting orders: VIP first, the sale demotes the standard order then the VIP one, and one alert names them", async () => {
    const rows = await db.query<{ order_id: string; state: string; reserved: string; waiting: string }>(
      `SELECT r.order_id, r.state, l.reserved, l.waiting FROM reservation r JOIN reservation_line l USING (reservation_id)
        WHERE l.sku = 'MUG-BLUE' ORDER BY r.order_id`);
    expect(rows).toEqual([
      { order_id: "1002", state: "ACTIVE", reserved: "3", waiting: "1" },
      { order_id: "1003", state: "PENDING", reserved: "0", waiting: "1" },
    ]);
    const docs = jsonDocuments(run.stdout) as { alerts?: { unitsShort: string; affectedReservations: { orderId: string; demotedQuantity: string }[] }[] }[];
    const listed = docs.find((d) => d.alerts)?.alerts;
    expect(listed).toHaveLength(1);
    expect(listed![0]!.unitsShort).toBe("2");
    expect(listed![0]!.affectedReservations.map((a) => [a.orderId, a.demotedQuantity])).toEqual([["1003", "1"], ["1002", "1"]]);
    expect(run.stdout).toContain("MUG-BLUE: 0 of 1 reserved in ams-1, 1 waiting, expected ");
  });

  it("the batch reserved the first request and refused the second on its own", async () => {
    const docs = jsonDocuments(run.stdout) as { results?: { reservation?: { orderId: string }; error?: { reason: string } }[] }[];
    const batch = docs.find((d) => d.results)?.results;
    expect(batch?.map((r) => r.reservation?.orderId ?? r.error?.reason)).toEqual(["9001", "INSUFFICIENT_STOCK"]);
  });

  it("the cart hold was extended, confirmed (no expiry left) and cancelled", async () => {
    expect(await db.query(`SELECT state, release_reason, expire_time FROM reservation WHERE order_id = 'cart-77'`)).toEqual([
      { state: "RELEASED", release_reason: "CANCELLED", expire_time: null },
    ]);
  });

  it("negative control: a second run fails at CreateWarehouse with ALREADY_EXISTS, exit 64 + 6", async () => {
    const again = await runReadmeExamples(server.address);
    expect(again.code).toBe(64 + 6);
    expect(again.stderr).toContain("ERROR:\n  Code: AlreadyExists\n  Message: ");
    expect(again.stderr).toContain('"reason": "WAREHOUSE_EXISTS"');
    expect(again.stderr).toMatch(/near README\.md line \d+: grpcurl .*CreateWarehouse/);
    // Stopped there: nothing after CreateWarehouse ran, so no reservation output.
    expect(again.stdout).not.toContain("reservationId");
  }, 180_000);

  it("negative control: a failing grpcurl inside RESERVATION_ID=$(... | jq ...) stops the script", async () => {
    const readme = await readFile(readmePath, "utf8");
    const block = readmeGrpcurlBlocks(readme).find((b) => b.text.includes("RESERVATION_ID=$("));
    expect(block).toBeDefined();
    // Same block, but the Reserve names a SKU never stocked: NOT_FOUND inside the substitution.
    const broken = { ...block!, text: block!.text.replace("order-1001-reserve", "order-1001-reserve-unknown-sku").split(sku).join("NEVER-STOCKED") };
    expect(broken.text).not.toBe(block!.text);
    const result = await runGrpcurlScript(grpcurlScript([broken], server.address));
    expect(result.code).toBe(64 + 5);
    expect(result.stderr).toContain("Code: NotFound");
    expect(result.stderr).toContain("RESERVATION_ID=$(");
    expect(result.stdout).toBe("");
  }, 120_000);
});

/** Runs the wrapper like a user would, from another directory. */
function grpcurl(args: string[], stdin?: string): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${grpcurlShimDir}grpcurl`, args, { cwd: "/", stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

describe("the grpcurl stand-in", () => {
  it("lists a service's methods, sorted, as Service.Method", async () => {
    const result = await grpcurl(["-plaintext", server.address, "list", "inventory.v1.InventoryService"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(
      ["AdjustStock", "BatchGetAvailability", "CreateWarehouse", "FillWaitingReservations", "GetAvailability", "GetStockPolicy", "ListAlerts", "SetStock", "SetStockPolicy"].map((m) => `inventory.v1.InventoryService.${m}\n`).join(""),
    );
  });

  it("reads the request from stdin with -d @, accepts pkg.Service.Method, and exits 64 + code with grpcurl's error text", async () => {
    const result = await grpcurl(["-plaintext", "-d", "@", server.address, "inventory.v1.ReservationService.GetReservation"], '{"reservation_id": "not-a-uuid"}');
    expect(result.code).toBe(64 + 3);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^ERROR:\n  Code: InvalidArgument\n  Message: .+\n  Details:\n  1\)\t\{\n    \t  "@type": "type\.googleapis\.com\/google\.rpc\.ErrorInfo",/);
  });

  it("refuses to run without -plaintext and on bad usage (exit 2), and reports unknown methods (exit 1)", async () => {
    const noPlaintext = await grpcurl([server.address, "list"]);
    expect(noPlaintext.code).toBe(2);
    expect(noPlaintext.stderr).toContain("-plaintext");
    expect((await grpcurl(["-plaintext"])).code).toBe(2);
    expect((await grpcurl(["-plaintext", "-bogus", server.address, "list"])).code).toBe(2);
    const unknown = await grpcurl(["-plaintext", server.address, "inventory.v1.ReservationService/Nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('does not include a method named "Nope"');
    const badJson = await grpcurl(["-plaintext", "-d", '{"no_such_field": 1}', server.address, "inventory.v1.InventoryService/GetAvailability"]);
    expect(badJson.code).toBe(1);
    expect(badJson.stderr).toContain("error getting request data");
  });
});
