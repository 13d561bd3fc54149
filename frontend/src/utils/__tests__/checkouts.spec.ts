// What a scan checked out, in words: one line per git or archive target.
import { describe, expect, it } from 'vitest'

import type { ScanDetail } from '@/api/types'
import { scanCheckouts } from '@/utils/checkouts'

const commit = '0123456789abcdef0123456789abcdef01234567'

describe('scanCheckouts', () => {
  it('names each target and says which ref and commit every tool saw', () => {
    const scan = {
      checkouts: {
        '7': { ref: 'main', ref_type: 'branch', commit },
        '8': { ref: 'v1.2', ref_type: 'tag', commit },
        '9': { ref: 'src.zip', ref_type: 'archive', commit: '', sha256: 'ab'.repeat(32) },
      },
      configuration_snapshot: { targets: [{ id: 7, name: 'api' }, { id: 8, name: 'web' }] },
      tool_results: [],
    } as unknown as ScanDetail
    expect(scanCheckouts(scan)).toEqual([
      { target: 'api', what: 'branch main', commit, short: '0123456789ab' },
      { target: 'web', what: 'tag v1.2', commit, short: '0123456789ab' },
      { target: 'target #9', what: 'archive src.zip', commit: '', short: '' },
    ])
  })

  it('is empty for scans without checkouts', () => {
    expect(scanCheckouts({ checkouts: {}, configuration_snapshot: {}, tool_results: [] } as unknown as ScanDetail)).toEqual([])
  })
})
