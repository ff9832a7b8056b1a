import { Migration } from "@mikro-orm/migrations";

// Every reserve and release updates a stock_level row and a ledger_chain row in place. At the
// default fillfactor (100) pages are full, so an update must put the new row version on another
// page and add an entry to every index; with room left on each page it is a heap-only (HOT)
// update that touches no index. Applies to pages written from now on.
export class Migration20261201060000_hot_updates extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE stock_level SET (fillfactor = 70)`);
    this.addSql(`ALTER TABLE ledger_chain SET (fillfactor = 70)`);
  }
}
