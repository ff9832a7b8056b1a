// Lists as PostgreSQL array literals, for `= ANY(?::text[])`. The planner estimates `= ANY` of an
// array (its length when it is a constant, 10 in a generic plan) far better than a JSON list
// unpacked by a set-returning function (always 100 rows), so a lookup of a few keys uses the
// index instead of scanning the table.

/** The array literal of the strings: each element quoted, quotes and backslashes escaped. */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}
