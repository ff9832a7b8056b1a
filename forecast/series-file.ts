// The I/O edge of series.ts: reads a sales file and hands the text to the pure parser.
import { readFile } from "node:fs/promises";
import { parseSalesCsv, type ParseResult } from "./series.js";

export async function readSalesFile(path: string): Promise<ParseResult> {
  return parseSalesCsv(await readFile(path, "utf8"));
}
