// "Seen in": each sighting range of a finding as its scans, where, and when, newest first.
import { RouterLinkStub, mount, type VueWrapper } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import type { SightingRange } from '@/api/findings'
import type { ScanRef } from '@/api/types'
import SightingRanges from '@/components/SightingRanges.vue'

const scanRef = (id: number, day: string): ScanRef => ({ id, status: 'completed', created_at: day, finished_at: day })

function range(over: Partial<SightingRange> & Pick<SightingRange, 'id'>): SightingRange {
  return {
    scan: scanRef(12, '2026-11-03T12:00:00Z'),
    last_scan: scanRef(48, '2026-12-02T12:00:00Z'),
    tool_result: 30,
    last_tool_result: 90,
    tool: { id: 1, slug: 'semgrep', name: 'Semgrep' },
    target: { id: 9, name: 'shop', asset_type: 'git_repository' },
    file_path: 'src/app.py',
    line_start: 10,
    line_end: 12,
    seen_at: '2026-11-03T12:00:00Z',
    last_seen_at: '2026-12-02T12:00:00Z',
    sightings: 37,
    ...over,
  } as SightingRange
}

const mountRanges = (ranges: SightingRange[], total?: number) =>
  mount(SightingRanges, { props: { ranges, total }, global: { stubs: { RouterLink: RouterLinkStub } } })
const scanLinks = (wrapper: VueWrapper) => wrapper.findAllComponents(RouterLinkStub).map((link) => link.props('to'))
const text = (el: { text(): string }) => el.text().replace(/\s+/g, ' ').trim()

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(new Date('2026-12-03T12:00:00Z'))
})
afterEach(() => {
  vi.useRealTimers()
})

describe('SightingRanges', () => {
  it('shows a range of scans with its size, location and first and last sighting', () => {
    const wrapper = mountRanges([range({ id: 5 })])
    const item = wrapper.get('[data-occurrence-id="5"]')
    expect(text(item.get('[data-testid="range-scans"]'))).toBe('Scans #12 – #48 (37 scans)')
    expect(scanLinks(wrapper)).toEqual(['/scans/12', '/scans/48'])
    expect(text(item.get('[data-testid="range-where"]'))).toBe('src/app.py:10–12')
    expect(text(item.get('[data-testid="range-when"]'))).toBe('first 3 Nov, last 2 Dec')
    expect(text(item)).toContain('Semgrep')
    expect(text(item)).toContain('shop')
  })

  it('shows a one-scan range as one scan link and one day', () => {
    const once = range({ id: 6, last_scan: scanRef(12, '2026-11-03T12:00:00Z'), last_tool_result: 30, last_seen_at: '2026-11-03T12:00:00Z', sightings: 1, line_end: 10 })
    const wrapper = mountRanges([once])
    const item = wrapper.get('[data-occurrence-id="6"]')
    expect(text(item.get('[data-testid="range-scans"]'))).toBe('Scan #12')
    expect(scanLinks(wrapper)).toEqual(['/scans/12'])
    expect(text(item.get('[data-testid="range-where"]'))).toBe('src/app.py:10')
    expect(text(item.get('[data-testid="range-when"]'))).toBe('3 Nov')
  })

  it('keeps the API’s order (newest first), leaves out a location it does not have, and says when it shows only some', () => {
    const older = range({ id: 1, scan: scanRef(2, '2025-10-01T12:00:00Z'), last_scan: scanRef(3, '2025-10-02T12:00:00Z'), sightings: 2, seen_at: '2025-10-01T12:00:00Z', last_seen_at: '2025-10-02T12:00:00Z', file_path: '', line_start: null, line_end: null, target: null })
    const wrapper = mountRanges([range({ id: 7 }), older], 140)
    expect(wrapper.findAll('[data-occurrence-id]').map((li) => li.attributes('data-occurrence-id'))).toEqual(['7', '1'])
    const item = wrapper.get('[data-occurrence-id="1"]')
    expect(item.find('[data-testid="range-where"]').exists()).toBe(false)
    expect(text(item.get('[data-testid="range-when"]'))).toBe('first 1 Oct 2025, last 2 Oct 2025')
    expect(text(wrapper.get('[data-testid="ranges-more"]'))).toBe('The newest 2 of 140 ranges.')
  })
})

describe('SightingRanges without a last scan', () => {
  it('shows a range whose last scan is null (the schema allows it) as its first scan', () => {
    const item = mountRanges([range({ id: 9, last_scan: null, last_tool_result: null, last_seen_at: null })]).get('[data-occurrence-id="9"]')
    expect(text(item.get('[data-testid="range-scans"]'))).toBe('Scan #12')
    expect(text(item.get('[data-testid="range-when"]'))).toBe('3 Nov')
  })
})
