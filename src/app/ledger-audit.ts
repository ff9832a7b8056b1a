// Walks every stock level's ledger chain page by page and reports what does not add up.
import { chainStart, finishChain, walkChain, type Finding } from "../core/ledger-chain.js";
import { listAuditKeys, readChainHead, readCounters, readLedgerPage, type StockKey } from "../db/audit-repository.js";
import type { Orm } from "../db/orm.js";
import { auditEntriesPageMax, auditKeysPageMax } from "../limits.js";

export interface AuditReport { ok: boolean; stockLevels: number; entries: number; findings: Finding[] }

export async function verifyLedger(orm: Orm): Promise<AuditReport> {
  const em = orm.em.fork();
  const report: AuditReport = { ok: true, stockLevels: 0, entries: 0, findings: [] };
  let after: StockKey | null = null;
  for (;;) {
    const keys = await listAuditKeys(em, after, auditKeysPageMax);
    for (const key of keys) {
      let cursor = chainStart();
      let lastSeq = "0";
      for (;;) {
        const page = await readLedgerPage(em, key, lastSeq, auditEntriesPageMax);
        const walked = walkChain(cursor, page);
        cursor = walked.cursor;
        report.findings.push(...walked.findings);
        if (page.length < auditEntriesPageMax) break;
        lastSeq = page[page.length - 1]!.seq;
      }
      report.findings.push(...finishChain(key, cursor, await readChainHead(em, key), await readCounters(em, key)));
      report.stockLevels++;
      report.entries += cursor.count;
    }
    if (keys.length < auditKeysPageMax) break;
    after = keys[keys.length - 1]!;
  }
  report.ok = report.findings.length === 0;
  return report;
}
