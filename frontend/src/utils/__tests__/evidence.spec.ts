// Evidence labelled by what it is: an HTTP exchange only for findings that have one.
import { describe, expect, it } from 'vitest'

import { fieldLabel, splitEvidence } from '@/utils/evidence'
import { linkLabel } from '@/utils/links'

describe('splitEvidence', () => {
  it('puts a code tool’s raw fields under tool details', () => {
    const split = splitEvidence({ column_start: 12, column_end: 30, category: 'security', empty: '', none: null })
    expect(split.http).toEqual([])
    expect(split.details.map((f) => [f.label, f.value])).toEqual([
      ['Column start', '12'],
      ['Column end', '30'],
      ['Category', 'security'],
    ])
  })

  it('shows a request and response as the exchange, the rest as details', () => {
    const split = splitEvidence({ request: 'GET /?q=1 HTTP/1.1', response_status: 200, module: 'xss', wstg: ['WSTG-INPV-01'] })
    expect(split.http.map((f) => f.key)).toEqual(['request', 'response_status'])
    expect(split.details.map((f) => [f.key, f.value])).toEqual([
      ['module', 'xss'],
      ['wstg', 'WSTG-INPV-01'],
    ])
  })

  it('keeps ZAP’s matched text under details when no request was recorded', () => {
    expect(splitEvidence({ evidence: 'Server: nginx' }).http).toEqual([])
  })

  it('labels camelCase and snake_case names', () => {
    expect(fieldLabel('alertRef')).toBe('Alert ref')
    expect(fieldLabel('check_class')).toBe('Check class')
  })
})

describe('linkLabel', () => {
  it('names the site and the page', () => {
    expect(linkLabel('https://eslint.org/docs/latest/rules/no-eval')).toBe('eslint.org: no-eval')
    expect(linkLabel('https://www.shellcheck.net/wiki/SC2086')).toBe('shellcheck.net: SC2086')
    expect(linkLabel('https://github.com/bridgecrewio/checkov/blob/main/checkov/dockerfile/checks/RootUser.py')).toBe('github.com: RootUser')
    expect(linkLabel('https://bandit.readthedocs.io/en/1.9.4/plugins/b602.html#b602-x')).toBe('bandit.readthedocs.io: b602 § b602-x')
    expect(linkLabel('not a url')).toBe('not a url')
  })
})
