// The ordered list of migrations; listed explicitly so they load the same under tsx and in tests.
import type { MigrationObject } from "@mikro-orm/core";
import { Migration20261201000000_foundation } from "./Migration20261201000000_foundation.js";
import { Migration20261201010000_scarcity } from "./Migration20261201010000_scarcity.js";
import { Migration20261201020000_reliability } from "./Migration20261201020000_reliability.js";
import { Migration20261201030000_forecast } from "./Migration20261201030000_forecast.js";
import { Migration20261201040000_batch_write } from "./Migration20261201040000_batch_write.js";
import { Migration20261201050000_ledger_hash_cost } from "./Migration20261201050000_ledger_hash_cost.js";
import { Migration20261201060000_hot_updates } from "./Migration20261201060000_hot_updates.js";
import { Migration20261201070000_stored_answers_lookup } from "./Migration20261201070000_stored_answers_lookup.js";

export const migrationsList: MigrationObject[] = [
  { name: "Migration20261201000000_foundation", class: Migration20261201000000_foundation },
  { name: "Migration20261201010000_scarcity", class: Migration20261201010000_scarcity },
  { name: "Migration20261201020000_reliability", class: Migration20261201020000_reliability },
  { name: "Migration20261201030000_forecast", class: Migration20261201030000_forecast },
  { name: "Migration20261201040000_batch_write", class: Migration20261201040000_batch_write },
  { name: "Migration20261201050000_ledger_hash_cost", class: Migration20261201050000_ledger_hash_cost },
  { name: "Migration20261201060000_hot_updates", class: Migration20261201060000_hot_updates },
  { name: "Migration20261201070000_stored_answers_lookup", class: Migration20261201070000_stored_answers_lookup },
];
