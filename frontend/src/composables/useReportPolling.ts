// Follow reports the worker is still making: poll each queued or running one every few
// seconds until it is ready or failed, updating it in place in `reports`.
import { onBeforeUnmount, type Ref } from 'vue'

import { getReport } from '@/api/reports'
import type { Report } from '@/api/types'

const PENDING = new Set(['queued', 'running'])

export function useReportPolling(reports: Ref<Report[]>, intervalMs = 2000) {
  let timer: ReturnType<typeof setTimeout> | null = null
  let stopped = false

  async function tick(): Promise<void> {
    timer = null
    const pending = reports.value.filter((r) => PENDING.has(r.status))
    for (const report of pending) {
      try {
        const fresh = await getReport(report.id)
        reports.value = reports.value.map((r) => (r.id === fresh.id ? fresh : r))
      } catch {
        // A network hiccup: try again on the next tick.
      }
    }
    schedule()
  }

  function schedule(): void {
    if (stopped || timer) return
    if (reports.value.some((r) => PENDING.has(r.status))) timer = setTimeout(() => void tick(), intervalMs)
  }

  onBeforeUnmount(() => {
    stopped = true
    if (timer) clearTimeout(timer)
  })
  return { schedule }
}
