// The report behind each imported scan (file name and format) for lists of scans: the scan
// list carries both; the format's display name comes from the formats list, asked for once.
import { computed, ref, type ComputedRef } from 'vue'

import { listImportFormats } from '@/api/imports'
import type { Scan } from '@/api/types'

export interface ImportReport {
  name: string
  /** The format's display name ("Semgrep JSON"), or its id when the formats are unknown. */
  format: string
}

let formats: Promise<Map<string, string>> | null = null
const names = ref<Map<string, string>>(new Map())

function loadFormatNames(): void {
  if (formats) return
  formats = listImportFormats()
    .then((list) => new Map(list.map((f) => [f.id, f.name])))
    .catch(() => {
      formats = null // ask again next time
      return new Map<string, string>()
    })
  void formats.then((found) => {
    names.value = found
  })
}

/** Reports by scan id for the imports among `scans`. */
export function useImportReports(scans: () => readonly Scan[]): ComputedRef<Record<number, ImportReport>> {
  return computed(() => {
    const reports: Record<number, ImportReport> = {}
    for (const scan of scans()) {
      if (scan.trigger !== 'import' || !scan.report_name) continue
      loadFormatNames()
      reports[scan.id] = { name: scan.report_name, format: names.value.get(scan.report_format) ?? scan.report_format }
    }
    return reports
  })
}

/** Test hook. */
export function resetImportReportsCache(): void {
  formats = null
  names.value = new Map()
}
