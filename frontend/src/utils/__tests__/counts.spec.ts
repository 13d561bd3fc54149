// Counts in words: exact figures with separators, the API's estimates as "about …".
import { describe, expect, it } from 'vitest'

import { countText, findingsCountText, formatDay, lineSpan } from '@/utils/labels'

describe('countText', () => {
  it('writes an exact count in full', () => {
    expect(countText(0)).toBe('0')
    expect(countText(1234, true)).toBe('1,234')
    expect(countText(10000, true)).toBe('10,000')
  })

  it('rounds an estimate and says it is one', () => {
    expect(countText(123_456, false)).toBe('about 123,000')
    expect(countText(10_001, false)).toBe('about 10,000')
    expect(countText(1_234_567, false)).toBe('about 1.2 million')
    expect(countText(2_004_000, false)).toBe('about 2 million')
  })
})

describe('findingsCountText', () => {
  it('names the findings, one or many, exact or estimated', () => {
    expect(findingsCountText(1, true)).toBe('1 finding')
    expect(findingsCountText(3, true)).toBe('3 findings')
    expect(findingsCountText(123_456, false)).toBe('about 123,000 findings')
  })
})

describe('formatDay', () => {
  const now = new Date('2026-12-03T12:00:00Z')
  it('gives the day and month, and the year only when it is not this one', () => {
    expect(formatDay('2026-11-03T12:00:00Z', now)).toBe('3 Nov')
    expect(formatDay('2025-12-02T12:00:00Z', now)).toBe('2 Dec 2025')
    expect(formatDay(null, now)).toBe('—')
  })
})

describe('lineSpan', () => {
  it('writes a file with its line or lines', () => {
    expect(lineSpan('src/app.py', 10, 12)).toBe('src/app.py:10–12')
    expect(lineSpan('src/app.py', 10, 10)).toBe('src/app.py:10')
    expect(lineSpan('src/app.py', 10, null)).toBe('src/app.py:10')
    expect(lineSpan('src/app.py', null, null)).toBe('src/app.py')
    expect(lineSpan('', null, null)).toBe('')
  })
})
