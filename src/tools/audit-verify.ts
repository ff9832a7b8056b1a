// `npm run audit:verify`: checks every stock level's ledger hash chain, its replay and its
// counters. Prints a JSON report; exits 1 when anything was edited, inserted or deleted.
import { verifyLedger } from "../app/ledger-audit.js";
import { openToolDatabase } from "./open-database.js";

const db = await openToolDatabase(process.argv.slice(2));
try {
  const report = await verifyLedger(db.orm);
  console.log(JSON.stringify(report, null, 2));
  if (!report.ok) console.error(`ledger audit FAILED: ${report.findings.length} finding(s)`);
  process.exitCode = report.ok ? 0 : 1;
} finally {
  await db.close();
}
