// The report behind each imported scan (file name and format), for lists of scans: the scan
// list carries no tool results, so each import's one result is asked for once and remembered.
import { ref, watch, type Ref } from 'vue'

import { listImportFormats } from '@/api/imports'
import { listToolResults } from '@/api/scans'
import type { Scan } from '@/api/types'

export interface ImportReport {
  name: string
  /** The format's display name ("Semgrep JSON"), or its id when the formats are unknown. */
  format: string
}

const cache = new Map<number, Promise<ImportReport | null>>()

async function formatNames(): Promise<Map<string, string>> {
  try {
    return new Map((await listImportFormats()).map((f) => [f.id, f.name]))
  } catch {
    return new Map()
  }
}

/** The report of one imported scan; null when it has no tool result with a report. */
export function importReportOf(scanId: number): Promise<ImportReport | null> {
  let found = cache.get(scanId)
  if (!found) {
    found = Promise.all([listToolResults(scanId), formatNames()])
      .then(([results, names]) => {
        const withReport = results.find((r) => r.report_name || r.report_format)
        if (!withReport) return null
        return { name: withReport.report_name, format: names.get(withReport.report_format) ?? withReport.report_format }
      })
      .catch(() => {
        cache.delete(scanId) // ask again next time
        return null
      })
    cache.set(scanId, found)
  }
  return found
}

/** Reports by scan id for the imports among `scans`, filled in as they arrive. */
export function useImportReports(scans: Ref<readonly Scan[]> | (() => readonly Scan[])): Ref<Record<number, ImportReport>> {
  const reports = ref<Record<number, ImportReport>>({})
  watch(
    scans,
    (list) => {
      for (const scan of list) {
        if (scan.trigger !== 'import' || reports.value[scan.id]) continue
        void importReportOf(scan.id).then((report) => {
          if (report) reports.value = { ...reports.value, [scan.id]: report }
        })
      }
    },
    { immediate: true },
  )
  return reports
}

/** Test hook. */
export function resetImportReportsCache(): void {
  cache.clear()
}
