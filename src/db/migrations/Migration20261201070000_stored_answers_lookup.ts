import { Migration } from "@mikro-orm/migrations";

// The batch read looks up the stored answers of its request ids. As a prepared statement its plan
// is made once per connection, and kept until the table's statistics change: made while
// idempotency_key was small, it scanned the whole table for every batch (measured: 15 ms a read
// after 5,000 answers, growing with every call). Inside a function with a SET clause (never
// inlined into the caller's plan) and enable_seqscan off, the lookup finds each id through the
// primary key however the table grew since the caller's plan was made; on PostgreSQL 15 it is
// also planned afresh on each call. STABLE, so it reads with the calling statement's snapshot.
export class Migration20261201070000_stored_answers_lookup extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE FUNCTION stockhold_stored_answers(request_ids text[]) RETURNS jsonb LANGUAGE sql STABLE
      SET enable_seqscan = off
      AS $$
        SELECT coalesce(jsonb_agg(jsonb_build_object('request_id', k.request_id, 'method', k.method, 'request_hash', k.request_hash,
                                                     'response', encode(k.response, 'base64'))), '[]'::jsonb)
          FROM idempotency_key k WHERE k.request_id = ANY(request_ids)
      $$`);
  }
}
