// `npm run reconcile`: one reconciliation run now. Prints its report (with the reservation
// accuracy); exits 1 when something could not be explained.
import { systemClock } from "../app/clock.js";
import { reconcile } from "../app/reconciler.js";
import { openToolDatabase } from "./open-database.js";

const db = await openToolDatabase(process.argv.slice(2));
try {
  const report = await reconcile(db.orm, systemClock);
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.unexplained.length === 0 ? 0 : 1;
} finally {
  await db.close();
}
