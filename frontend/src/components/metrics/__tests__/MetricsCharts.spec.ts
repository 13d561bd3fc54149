// The metrics charts' tables: the numbers behind each chart, readable without it ("Show as
// table"), with "—" for a day without a snapshot; and the chart options (no smoothing,
// integer value axis).
import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'

interface ChartConfig {
  data: { datasets: Array<{ tension: number }> }
  options: { scales: { y: { beginAtZero: boolean; ticks: { precision: number } } } }
}
const charts = vi.hoisted(() => [] as Array<{ config: ChartConfig }>)
vi.mock('chart.js', () => {
  class Chart {
    static register = vi.fn()
    data: unknown
    constructor(_canvas: unknown, config: ChartConfig) {
      this.data = config.data
      charts.push({ config })
    }
    update = vi.fn()
    destroy = vi.fn()
  }
  const part = {}
  return { Chart, BarController: part, BarElement: part, CategoryScale: part, Legend: part, LineController: part, LineElement: part, LinearScale: part, PointElement: part, Tooltip: part }
})
vi.mock('@/api/metrics', () => ({ getMetrics: vi.fn() }))

import * as metricsApi from '@/api/metrics'
import type { Metrics } from '@/api/metrics'
import ChartTable from '@/components/metrics/ChartTable.vue'
import MetricsChart from '@/components/metrics/MetricsChart.vue'
import MetricsPanel from '@/components/metrics/MetricsPanel.vue'

function tableRows(wrapper: ReturnType<typeof mount>, caption: string): string[][] {
  const table = wrapper.findAll('table').find((t) => t.find('caption').text() === caption)
  if (!table) throw new Error(`no table "${caption}"`)
  return table.findAll('tbody tr').map((tr) => tr.findAll('th, td').map((cell) => cell.text()))
}

const severities = { critical: 0, high: 0, medium: 0, low: 0, informational: 0, unknown: 0 }
const metrics = {
  from: '2026-02-27', to: '2026-03-01', today: '2026-03-01', timezone: 'UTC', generated_at: '2026-03-01T12:00:00Z', as_of: '2026-03-01T10:42:00Z', project_count: 1,
  open_by_day: [
    { date: '2026-02-27', recorded: true, total: 3, ...severities, critical: 1, high: 2 },
    { date: '2026-02-28', recorded: false, total: null, critical: null, high: null, medium: null, low: null, informational: null, unknown: null },
    { date: '2026-03-01', recorded: true, total: 4, ...severities, critical: 1, high: 3 },
  ],
  new_vs_fixed: [
    { week: '2026-W09', start: '2026-02-23', new: 5, fixed: 2 },
    { week: '2026-W10', start: '2026-03-02', new: 0, fixed: 1 },
  ],
  time_to_fix: [
    { severity: 'critical', fixed: 2, mean_days: 6.5, median_days: 6.5 },
    { severity: 'high', fixed: 1, mean_days: 40.5, median_days: 40.5 },
    { severity: 'medium', fixed: 0, mean_days: null, median_days: null },
    { severity: 'low', fixed: 0, mean_days: null, median_days: null },
    { severity: 'informational', fixed: 0, mean_days: null, median_days: null },
    { severity: 'unknown', fixed: 0, mean_days: null, median_days: null },
  ],
  sla: ['critical', 'high', 'medium', 'low', 'informational', 'unknown'].map((severity) => ({
    severity, fixed: severity === 'critical' ? 2 : 0, fixed_on_time: severity === 'critical' ? 1 : 0,
    compliance: severity === 'critical' ? 0.5 : null, open_with_due_date: 1, open_past_due: severity === 'high' ? 1 : 0,
  })),
  age: [
    { bucket: '0-7', total: 1, ...severities, critical: 1 },
    { bucket: '8-30', total: 2, ...severities, high: 2 },
    { bucket: '31-90', total: 0, ...severities },
    { bucket: '91+', total: 1, ...severities, low: 1 },
  ],
  top: { rules: [{ key: 'sqli', count: 2 }], cwes: [{ key: 'CWE-89', count: 2 }], files: [{ key: 'app/db.py', count: 3 }] },
  tools: [{ tool: 'semgrep', name: 'Semgrep', open: 2, new: 5 }],
  coverage: { days: 7, targets: 4, uncovered_count: 1, uncovered: [{ id: 1, name: 'docs', asset_type: 'url', project_id: 1, project_name: 'Shop', last_successful_run_at: null }] },
} as unknown as Metrics

beforeEach(() => {
  charts.length = 0
  vi.mocked(metricsApi.getMetrics).mockReset()
  vi.mocked(metricsApi.getMetrics).mockResolvedValue(metrics)
})

describe('ChartTable', () => {
  it('folds the numbers under "Show as table", with — for missing values and formats', () => {
    const wrapper = mount(ChartTable, {
      props: {
        caption: 'Compliance',
        columns: [{ key: 'severity', label: 'Severity' }, { key: 'share', label: 'Share', format: (v: number) => `${v * 100}%` }],
        rows: [{ severity: 'Critical', share: 0.5 }, { severity: 'High', share: null }],
      },
    })
    expect(wrapper.find('details summary').text()).toBe('Show as table')
    expect(wrapper.find('details').attributes('open')).toBeUndefined()
    expect(wrapper.findAll('thead th').map((th) => th.text())).toEqual(['Severity', 'Share'])
    expect(tableRows(wrapper, 'Compliance')).toEqual([['Critical', '50%'], ['High', '—']])
    expect(wrapper.find('tbody th').attributes('scope')).toBe('row')
  })
})

describe('MetricsChart', () => {
  it('tables each series per label and draws straight lines on an integer axis', () => {
    const wrapper = mount(MetricsChart, {
      props: {
        type: 'line', labels: ['Mon', 'Tue'], caption: 'Open per day', labelHeading: 'Day',
        series: [{ label: 'Critical', data: [1, null], color: '#000' }, { label: 'High', data: [0, 4], color: '#f00' }],
      },
    })
    expect(wrapper.find('canvas').attributes('aria-label')).toBe('Open per day')
    expect(tableRows(wrapper, 'Open per day')).toEqual([['Mon', '1', '0'], ['Tue', '—', '4']])
    const [{ config }] = charts
    expect(config.data.datasets.map((d) => d.tension)).toEqual([0, 0])
    expect(config.options.scales.y.ticks.precision).toBe(0)
    expect(config.options.scales.y.beginAtZero).toBe(true)
  })
})

describe('MetricsPanel', () => {
  it('asks for the project and range, and shows every metric as a table', async () => {
    const wrapper = mount(MetricsPanel, { props: { projectId: 7 } })
    await flushPromises()

    const [query, projectId] = vi.mocked(metricsApi.getMetrics).mock.calls[0]
    expect(projectId).toBe(7)
    expect(query.coverage_days).toBe(7)
    expect(query.from! < query.to!).toBe(true)

    expect(tableRows(wrapper, 'Open findings by severity at the end of each day')).toEqual([
      ['2026-02-27', '1', '2', '0', '0', '0', '0', '3'],
      ['2026-02-28', '—', '—', '—', '—', '—', '—', '—'],
      ['2026-03-01', '1', '3', '0', '0', '0', '0', '4'],
    ])
    expect(tableRows(wrapper, 'Findings first seen and fixed per ISO week')).toEqual([['2026-W09', '5', '2'], ['2026-W10', '0', '1']])
    expect(tableRows(wrapper, 'Open findings by days since first seen, per severity')[3]).toEqual(['91+ days', '0', '0', '0', '1', '0', '0'])
    expect(tableRows(wrapper, 'Mean and median days from first seen to fixed, findings fixed in the range').slice(0, 2)).toEqual([
      ['Critical', '2', '6.5 d', '6.5 d'],
      ['High', '1', '40.5 d', '40.5 d'],
    ])
    expect(tableRows(wrapper, 'Share of findings fixed in the range by their due date')[0]).toEqual(['Critical', '2', '1', '50%', '0'])
    expect(tableRows(wrapper, 'Open findings and findings first seen in the range, per tool')).toEqual([['Semgrep', '2', '5']])
    expect(tableRows(wrapper, 'Targets without a successful tool run')).toEqual([['docs', 'never']])
    expect(wrapper.find('[data-testid="top-files"]').text()).toContain('app/db.py')
    expect(wrapper.find('[data-testid="metric-open-now"]').text()).toBe('4')
    expect(wrapper.find('[data-testid="metric-fixed"]').text()).toBe('3')
    // The stored figures' time, with its day (not today's), the full moment on hover.
    const asOf = wrapper.find('[data-testid="metrics-as-of"] time')
    expect(asOf.attributes('datetime')).toBe('2026-03-01T10:42:00Z')
    expect(asOf.text()).toMatch(/^1 Mar( 2026)? \d\d:\d\d$/)
  })

  it('reloads for a preset range', async () => {
    const wrapper = mount(MetricsPanel)
    await flushPromises()
    await wrapper.findAll('.presets button').find((b) => b.text() === '30 days')!.trigger('click')
    await flushPromises()
    const calls = vi.mocked(metricsApi.getMetrics).mock.calls
    expect(calls).toHaveLength(2)
    const [query, projectId] = calls[1]
    expect(projectId).toBeUndefined()
    // Across projects, the uncovered targets name their project.
    expect(tableRows(wrapper, 'Targets without a successful tool run')).toEqual([['docs', 'Shop', 'never']])
    const span = (Date.parse(query.to!) - Date.parse(query.from!)) / 86400000
    expect(span).toBe(29)
  })
})
