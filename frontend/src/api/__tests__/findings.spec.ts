// The findings export link: the list's filters and sort, never its paging, and the format.
import { describe, expect, it } from 'vitest'

import { FINDINGS_EXPORT_FORMATS, findingsExportUrl } from '@/api/findings'

function params(url: string): Record<string, string> {
  const parsed = new URL(url, 'http://localhost')
  expect(parsed.pathname).toBe('/api/v1/findings/export/')
  return Object.fromEntries(parsed.searchParams)
}

describe('findingsExportUrl', () => {
  it('keeps every filter and the sort, and drops paging', () => {
    const url = findingsExportUrl(
      { project: '3', severity: 'critical,high', status: ['new', 'reopened'], search: 'sql injection', page: 4, page_size: 100, cve: '' },
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
