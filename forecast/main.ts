// `npm run forecast -- <command>`: the forecast worker's entry point and subcommand dispatcher.
// backtest works on files alone; import and run need the database (db-commands.ts).
import { backtest } from "./backtest.js";
import { runImportCommand, runWorkerCommand } from "./db-commands.js";
import { parseArgs, usage, type BacktestArgs } from "./cli-args.js";
import { reportJson, reportTable } from "./report.js";
import { readSalesFile } from "./series-file.js";

const exitUsage = 2;
const exitBadInput = 1;

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.message}\n${usage}\n`);
    return exitUsage;
  }
  const command = parsed.value;
  switch (command.command) {
    case "help":
      process.stdout.write(`${usage}\n`);
      return 0;
    case "backtest":
      return runBacktest(command);
    // The database layer: sales_history import, and the worker (once, or on its schedule).
    case "import":
      return runImportCommand(command.args);
    case "run":
      return runWorkerCommand(command.args);
  }
}

async function runBacktest(args: BacktestArgs): Promise<number> {
  let parsed;
  try {
    parsed = await readSalesFile(args.input);
  } catch (e) {
    process.stderr.write(`cannot read ${args.input}: ${(e as Error).message}\n`);
    return exitBadInput;
  }
  if (!parsed.ok) {
    for (const error of parsed.errors) process.stderr.write(`${args.input}:${error.line}: ${error.message}\n`);
    process.stderr.write(`${parsed.errors.length} bad row(s); nothing was evaluated\n`);
    return exitBadInput;
  }
  const [report] = backtest(parsed.series, {
    serviceLevels: [args.serviceLevel],
    leadTimePeriods: args.leadTimePeriods,
    reviewPeriods: args.reviewPeriods,
    leadTimeStdPeriods: args.leadTimeStdPeriods,
    ...(args.origins === null ? {} : { origins: args.origins }),
  });
  if (report === undefined) return exitBadInput;
  process.stdout.write(`${args.json ? reportJson(report) : reportTable(report)}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
