// The findings export link (the list's filters and sort, never its paging, and the format), and
// the cursor a next/previous link of the list carries.
import { describe, expect, it } from 'vitest'

import { FINDINGS_EXPORT_FORMATS, cursorOf, findingsExportUrl } from '@/api/findings'

function params(url: string): Record<string, string> {
  const parsed = new URL(url, 'http://localhost')
  expect(parsed.pathname).toBe('/api/v1/findings/export/')
  return Object.fromEntries(parsed.searchParams)
}

describe('findingsExportUrl', () => {
  it('keeps every filter and the sort, and drops paging', () => {
    const url = findingsExportUrl(
      { project: '3', severity: 'critical,high', status: ['new', 'reopened'], search: 'sql injection', page: 4, page_size: 100, cursor: 'cD0xMjM=', cve: '' },
      'csv',
      'title',
    )
    expect(params(url)).toEqual({
      project: '3',
      severity: 'critical,high',
      status: 'new,reopened',
      search: 'sql injection',
      ordering: 'title',
      format: 'csv',
    })
  })

  it('asks for the chosen format, whatever the filters say', () => {
    expect(params(findingsExportUrl({ format: 'json' }, 'sarif'))).toEqual({ format: 'sarif' })
    expect(findingsExportUrl({}, 'json')).toBe('/api/v1/findings/export/?format=json')
  })

  it('offers the formats the API documents', () => {
    expect([...FINDINGS_EXPORT_FORMATS]).toEqual(['csv', 'json', 'sarif'])
  })
})

describe('cursorOf', () => {
  it('reads the opaque cursor of a next or previous link', () => {
    expect(cursorOf('http://testserver/api/v1/findings/?cursor=cD0xMjM%3D&project=4&severity=high')).toBe('cD0xMjM=')
    expect(cursorOf('/api/v1/findings/?project=4&cursor=abc')).toBe('abc')
  })

  it('has none for the first page or no link', () => {
    expect(cursorOf('http://testserver/api/v1/findings/?project=4')).toBeUndefined()
    expect(cursorOf(null)).toBeUndefined()
    expect(cursorOf(undefined)).toBeUndefined()
  })
})
