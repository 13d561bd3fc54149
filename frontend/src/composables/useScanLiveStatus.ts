// Polls a scan's small status feed with If-None-Match until the scan ends; pauses while the
// tab is hidden. `onChange` runs whenever the status really changed (not on 304).
import { onBeforeUnmount, ref, shallowRef } from 'vue'

import { getScanLiveStatus } from '@/api/scans'
import type { ScanLiveStatus } from '@/api/types'
import { errorMessage } from '@/api/client'
import { SCAN_FINAL } from '@/utils/labels'

export function useScanLiveStatus(
  scanId: () => number,
  { intervalMs = 1500, onChange }: { intervalMs?: number; onChange?: (s: ScanLiveStatus) => void } = {},
) {
  const live = shallowRef<ScanLiveStatus | null>(null)
  const error = ref<string | null>(null)
  const polling = ref(false)
  let etag: string | undefined
  let timer: ReturnType<typeof setTimeout> | null = null
  let stopped = false

  async function tick(): Promise<void> {
    timer = null
    if (stopped) return
    if (typeof document !== 'undefined' && document.hidden) {
      schedule(intervalMs * 2)
      return
    }
    try {
      const result = await getScanLiveStatus(scanId(), etag)
      etag = result.etag
      error.value = null
      if (result.status) {
        live.value = result.status
        onChange?.(result.status)
      }
    } catch (err) {
      error.value = errorMessage(err)
    }
    const status = live.value?.status
    if (status && SCAN_FINAL.includes(status)) {
      polling.value = false
      return
    }
    schedule(intervalMs)
  }

  function schedule(ms: number): void {
    if (stopped) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => void tick(), ms)
  }

  let startedFor: number | null = null
  function start(): void {
    // Another scan (the page was reused for a rescan): forget the last one's status.
    if (startedFor !== scanId()) live.value = null
    startedFor = scanId()
    stopped = false
    polling.value = true
    etag = undefined
    if (timer) clearTimeout(timer)
    void tick()
  }

  function stop(): void {
    stopped = true
    polling.value = false
    if (timer) clearTimeout(timer)
    timer = null
  }

  onBeforeUnmount(stop)
  return { live, error, polling, start, stop }
}
