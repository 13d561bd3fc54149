// Reports tab: a generated report is followed until the worker has made it, then offers its
// download; members generate, auditors only read.
import { flushPromises, mount } from '@vue/test-utils'
import { NDialogProvider, NMessageProvider } from 'naive-ui'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

vi.mock('@/api/reports', () => ({
  listReports: vi.fn(),
  requestProjectReport: vi.fn(),
  getReport: vi.fn(),
  reportDownloadUrl: (id: number) => `/api/v1/reports/${id}/download/`,
  listReportSchedules: vi.fn(),
  createReportSchedule: vi.fn(),
  updateReportSchedule: vi.fn(),
  deleteReportSchedule: vi.fn(),
}))

import * as reportsApi from '@/api/reports'
import type { Report } from '@/api/types'
import ReportsTab from '@/components/report/ReportsTab.vue'

const report = (id: number, status: Report['status']): Report =>
  ({
    id, project: 4, scan: null, kind: 'project', format: 'pdf', status, error: '', size: status === 'ready' ? 40960 : null,
    sha256: '', requested_by: { id: 1, username: 'mia', email: '', full_name: '' }, schedule: null,
    period_start: '2026-11-05', period_end: '2026-12-04', created_at: '2026-12-04T02:00:00Z', started_at: null,
    finished_at: null, download_url: null,
  }) as unknown as Report

function mountTab(canWrite: boolean) {
  const Host = defineComponent({
    setup: () => () =>
      h(NMessageProvider, null, () => h(NDialogProvider, null, () => h(ReportsTab, { projectId: 4, canWrite }))),
  })
  return mount(Host, { attachTo: document.body })
}

beforeEach(() => {
  vi.useFakeTimers()
  vi.mocked(reportsApi.listReports).mockReset().mockResolvedValue({ count: 0, results: [] })
  vi.mocked(reportsApi.listReportSchedules).mockReset().mockResolvedValue({ count: 0, results: [] })
  vi.mocked(reportsApi.requestProjectReport).mockReset()
  vi.mocked(reportsApi.getReport).mockReset()
})
afterEach(() => {
  vi.useRealTimers()
  document.body.innerHTML = ''
})

describe('ReportsTab', () => {
  it('follows a requested report until it is ready and links its download', async () => {
    vi.mocked(reportsApi.requestProjectReport).mockResolvedValueOnce(report(9, 'queued'))
    vi.mocked(reportsApi.getReport).mockResolvedValueOnce(report(9, 'running')).mockResolvedValueOnce(report(9, 'ready'))
    const wrapper = mountTab(true)
    await flushPromises()
    await wrapper.get('[data-testid="generate-pdf"]').trigger('click')
    await flushPromises()
    expect(reportsApi.requestProjectReport).toHaveBeenCalledWith(4, 'pdf')
    expect(wrapper.get('[data-report="9"]').attributes('data-status')).toBe('queued')
    expect(wrapper.find('[data-testid="download-9"]').exists()).toBe(false)

    await vi.advanceTimersByTimeAsync(2000)
    await flushPromises()
    expect(wrapper.get('[data-report="9"]').attributes('data-status')).toBe('running')
    await vi.advanceTimersByTimeAsync(2000)
    await flushPromises()
    expect(wrapper.get('[data-report="9"]').attributes('data-status')).toBe('ready')
    expect(wrapper.get('[data-testid="download-9"]').attributes('href')).toBe('/api/v1/reports/9/download/')
    // Ready: no more polling.
    await vi.advanceTimersByTimeAsync(10000)
    expect(reportsApi.getReport).toHaveBeenCalledTimes(2)
    wrapper.unmount()
  })

  it('offers no generate buttons to an auditor', async () => {
    vi.mocked(reportsApi.listReports).mockResolvedValue({ count: 1, results: [report(3, 'ready')] })
    const wrapper = mountTab(false)
    await flushPromises()
    expect(wrapper.find('[data-testid="generate-pdf"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="add-schedule"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="download-3"]').attributes('href')).toBe('/api/v1/reports/3/download/')
    wrapper.unmount()
  })
})
