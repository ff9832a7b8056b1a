// The README's grpcurl examples as one bash script, and a runner that executes it against a
// server with test/support/bin on PATH, so that `grpcurl` is the reflection-only stand-in
// (test/support/grpcurl.ts) wherever the real one is not installed.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const readmePath = fileURLToPath(new URL("../../README.md", import.meta.url));
/** Directory holding the `grpcurl` wrapper; put first on PATH. */
export const grpcurlShimDir = fileURLToPath(new URL("./bin/", import.meta.url));

export const grpcurlSectionHeading = "Calling it with grpcurl";
/** The address the README's examples call. */
export const readmeAddress = "localhost:50051";

/** A level-2 section of a Markdown document: its body and the 1-based line of its first body line. */
export interface Section {
  readonly body: string;
  readonly firstLine: number;
}

/**
 * The body of the `## <heading>` section: the lines after the heading up to the next level-2
 * heading (`## `) or the end. Throws when there is no such heading.
 */
export function readmeSection(readmeText: string, heading: string): Section {
  const lines = readmeText.split(/\r?\n/);
  const start = lines.findIndex((line) => line.replace(/\s+$/, "") === `## ${heading}`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^## /.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  return { body: lines.slice(start + 1, end).join("\n"), firstLine: start + 2 };
}

/** One fenced code block: its text (without the fences) and the 1-based line of its first line. */
export interface CodeBlock {
  readonly text: string;
  readonly firstLine: number;
}

/** The ```sh (or ```bash) fenced blocks of a Markdown text, in order. */
export function shellBlocks(markdown: string, firstLine = 1): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash)\s*$/.test(lines[i]!)) continue;
    const open = i;
    let close = open + 1;
    while (close < lines.length && !/^```\s*$/.test(lines[close]!)) close++;
    if (close >= lines.length) throw new Error(`unterminated code block at line ${firstLine + open}`);
    blocks.push({ text: lines.slice(open + 1, close).join("\n"), firstLine: firstLine + open + 1 });
    i = close;
  }
  return blocks;
}

/** The shell blocks of the README's "## Calling it with grpcurl" section, as written. */
export function readmeGrpcurlBlocks(readmeText: string): CodeBlock[] {
  const section = readmeSection(readmeText, grpcurlSectionHeading);
  const blocks = shellBlocks(section.body, section.firstLine);
  if (blocks.length === 0) throw new Error(`README section "## ${grpcurlSectionHeading}" has no sh blocks`);
  return blocks;
}

/**
 * One bash script of the given blocks: `set -euo pipefail`, then the blocks verbatim except that
 * every `localhost:50051` becomes `address`. Blank lines keep each block on its README line
 * numbers, so the ERR trap's "near README.md line N" points into the README (bash reports the
 * first or the last line of a multi-line command).
 */
export function grpcurlScript(blocks: readonly CodeBlock[], address: string): string {
  const out = [
    "set -euo pipefail",
    `trap 'echo "README example failed with exit $?, near README.md line $LINENO: $BASH_COMMAND" >&2' ERR`,
  ];
  for (const block of blocks) {
    // Pad to the block's README line; if blocks were reordered, just continue.
    while (out.length < block.firstLine - 1) out.push("");
    out.push(...block.text.split(readmeAddress).join(address).split("\n"));
  }
  return `${out.join("\n")}\n`;
}

/** The README's grpcurl examples as one bash script against `address`. */
export function readmeGrpcurlScript(readmeText: string, address: string): string {
  return grpcurlScript(readmeGrpcurlBlocks(readmeText), address);
}

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Working directory of the script; default a fresh temporary directory. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Kill the script after this long (default 180 s). */
  timeoutMs?: number;
}

/** Runs a bash script with test/support/bin first on PATH. Never rejects on a failing script. */
export async function runGrpcurlScript(script: string, opts: RunOptions = {}): Promise<ScriptResult> {
  const folder = await mkdtemp(path.join(tmpdir(), "stockhold-readme-"));
  try {
    const file = path.join(folder, "readme-examples.sh");
    await writeFile(file, script, { mode: 0o600 });
    const env = {
      ...process.env,
      ...opts.env,
      PATH: `${grpcurlShimDir.replace(/\/$/, "")}${path.delimiter}${process.env.PATH ?? ""}`,
    };
    return await new Promise<ScriptResult>((resolve, reject) => {
      const child = spawn("bash", [file], { cwd: opts.cwd ?? folder, env, stdio: ["ignore", "pipe", "pipe"] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, opts.timeoutMs ?? 180_000);
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        const err = Buffer.concat(stderr).toString("utf8");
        resolve({
          code: code ?? 128 + (signal === "SIGKILL" ? 9 : 15),
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: timedOut ? `${err}\nreadme examples: killed after ${opts.timeoutMs ?? 180_000} ms\n` : err,
        });
      });
    });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Runs the README's grpcurl examples, verbatim but for the address, in bash against `address`. */
export async function runReadmeExamples(address: string, opts: RunOptions = {}): Promise<ScriptResult> {
  const readme = await readFile(readmePath, "utf8");
  return runGrpcurlScript(readmeGrpcurlScript(readme, address), opts);
}

/**
 * The top-level JSON documents in grpcurl output (each printed from a line "{" to a line "}"),
 * parsed; other lines (list, describe) are skipped.
 */
export function jsonDocuments(output: string): unknown[] {
  const documents: unknown[] = [];
  const lines = output.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === "{}") documents.push({});
    if (lines[i] !== "{") continue;
    const end = lines.indexOf("}", i + 1);
    if (end < 0) break;
    documents.push(JSON.parse(lines.slice(i, end + 1).join("\n")));
    i = end;
  }
  return documents;
}
