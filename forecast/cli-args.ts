// Command lines of `npm run forecast -- <command> ...`, parsed into values (no I/O, no exit).
// The subcommands that need the database (import, run) are recognised here so the dispatcher
// can say so; their options are the database layer's to define (issue 4, part 2).

export interface BacktestArgs {
  command: "backtest";
  input: string;
  serviceLevel: number;
  leadTimePeriods: number;
  reviewPeriods: number;
  leadTimeStdPeriods: number;
  origins: number | null;
  json: boolean;
}

export type Command = BacktestArgs | { command: "import"; args: string[] } | { command: "run"; args: string[] } | { command: "help" };

export type ParsedArgs = { ok: true; value: Command } | { ok: false; message: string };

export const usage = `usage: npm run forecast -- <command>
  backtest --input FILE [--service-level 0.95] [--lead-time 1] [--review-period 0]
           [--lead-time-sd 0] [--origins N] [--json]
      rolling-origin backtest of every method on a sales CSV (series_id,period,units or
      sku,warehouse_id,period,units); lead time and review period in periods of the file
  import FILE     load a sales CSV into sales_history   (needs the database layer)
  run --once      run the worker now                    (needs the database layer)`;

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") return { ok: true, value: { command: "help" } };
  if (command === "import" || command === "run") return { ok: true, value: { command, args: [...rest] } };
  if (command !== "backtest") return { ok: false, message: `unknown command "${command}"` };
  return parseBacktest(rest);
}

const valueFlags = ["--input", "--service-level", "--lead-time", "--review-period", "--lead-time-sd", "--origins"];

function parseBacktest(args: readonly string[]): ParsedArgs {
  const value: BacktestArgs = { command: "backtest", input: "", serviceLevel: 0.95, leadTimePeriods: 1, reviewPeriods: 0, leadTimeStdPeriods: 0, origins: null, json: false };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    if (flag === "--json") {
      value.json = true;
      continue;
    }
    if (!valueFlags.includes(flag)) return { ok: false, message: `unknown option "${flag}"` };
    const text = args[i + 1];
    if (text === undefined) return { ok: false, message: `${flag} needs a value` };
    i++;
    const number = Number(text);
    switch (flag) {
      case "--input":
        value.input = text;
        break;
      case "--service-level":
        if (!(number > 0 && number < 1)) return { ok: false, message: `--service-level must be in (0, 1), got ${text}` };
        value.serviceLevel = number;
        break;
      case "--lead-time":
      case "--review-period":
      case "--origins":
        if (!Number.isInteger(number) || number < (flag === "--origins" ? 1 : 0)) return { ok: false, message: `${flag} must be a whole number${flag === "--origins" ? " >= 1" : " >= 0"}, got ${text}` };
        if (flag === "--lead-time") value.leadTimePeriods = number;
        else if (flag === "--review-period") value.reviewPeriods = number;
        else value.origins = number;
        break;
      case "--lead-time-sd":
        if (!(number >= 0)) return { ok: false, message: `--lead-time-sd must be >= 0, got ${text}` };
        value.leadTimeStdPeriods = number;
        break;
    }
  }
  if (value.input === "") return { ok: false, message: "backtest needs --input FILE" };
  return { ok: true, value };
}
