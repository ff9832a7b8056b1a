// Lists as PostgreSQL array literals, for `= ANY(?::text[])`. An array literal (unlike a JSON
// list unpacked by a set-returning function) tells the planner how many values it holds, so a
// lookup of a few keys uses the index instead of scanning the table.

/** The array literal of the strings: each element quoted, quotes and backslashes escaped. */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}
