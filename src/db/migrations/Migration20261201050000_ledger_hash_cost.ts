import { Migration } from "@mikro-orm/migrations";

// The hash chain trigger was most of a batch's database time. Its entry text came from
// ledger_entry_content(), a SQL function: called from PL/pgSQL it starts an executor per entry,
// and its unnest ... string_agg(... ORDER BY i) is a query of its own. The trigger now builds the
// same bytes in one expression, which PL/pgSQL evaluates directly: concat_ws skips NULL
// arguments exactly as string_agg skips NULL inputs. Its set_config calls are assignments, not
// PERFORM (a query through SPI). Measured on 2,000-entry inserts: about 27 µs per entry before,
// 15 after, 7 with no trigger at all. Every hash is unchanged; ledger_entry_content() keeps its
// meaning for SQL callers, in the same one-expression form.
const contentFields = [
  "e.seq::text", "((extract(epoch FROM e.entry_time) * 1000000)::bigint)::text", "e.kind", "e.sku", "e.warehouse_id",
  "e.on_hand_delta::text", "e.reserved_delta::text", "e.on_hand_after::text", "e.reserved_after::text",
  "coalesce(e.reservation_id::text, '')", "e.request_id", "e.payload::text",
];
const lengthPrefixed = (field: string) => `octet_length(${field})::text || ':' || ${field}`;
/** The entry text of the row `row`, as one expression. */
const contentOf = (row: string) => `convert_to(concat_ws(';', ${contentFields.map((f) => lengthPrefixed(f.replace(/\be\./g, `${row}.`))).join(", ")}), 'UTF8')`;

export class Migration20261201050000_ledger_hash_cost extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE OR REPLACE FUNCTION ledger_entry_content(e ledger_entry) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
        SELECT ${contentOf("e")}
      $$`);
    this.addSql(`
      CREATE OR REPLACE FUNCTION ledger_entry_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        prev bytea;
        ignored text;
      BEGIN
        IF current_setting('stockhold.chain_open', true) = 'on'
           AND current_setting('stockhold.chain_sku', true) = NEW.sku AND current_setting('stockhold.chain_warehouse', true) = NEW.warehouse_id THEN
          prev := decode(current_setting('stockhold.chain_head'), 'hex');
          ignored := set_config('stockhold.chain_count', (current_setting('stockhold.chain_count')::bigint + 1)::text, true);
        ELSE
          PERFORM ledger_chain_flush();
          SELECT head INTO prev FROM ledger_chain WHERE sku = NEW.sku AND warehouse_id = NEW.warehouse_id FOR UPDATE;
          IF NOT FOUND THEN
            INSERT INTO ledger_chain (sku, warehouse_id, head, entry_count)
            VALUES (NEW.sku, NEW.warehouse_id, decode(repeat('00', 32), 'hex'), 0)
            ON CONFLICT (sku, warehouse_id) DO NOTHING;
            SELECT head INTO prev FROM ledger_chain WHERE sku = NEW.sku AND warehouse_id = NEW.warehouse_id FOR UPDATE;
          END IF;
          ignored := set_config('stockhold.chain_sku', NEW.sku, true);
          ignored := set_config('stockhold.chain_warehouse', NEW.warehouse_id, true);
          ignored := set_config('stockhold.chain_count', '1', true);
          ignored := set_config('stockhold.chain_open', 'on', true);
        END IF;
        NEW.prev_hash := prev;
        NEW.hash := sha256(prev || ${contentOf("NEW")});
        ignored := set_config('stockhold.chain_head', encode(NEW.hash, 'hex'), true);
        RETURN NEW;
      END
      $$`);
  }
}
