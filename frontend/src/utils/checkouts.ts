// What a scan checked out per git or archive target, once for all its tools, in words.
import type { ScanCheckout, ScanDetail } from '@/api/types'

export interface CheckoutLine {
  target: string
  what: string
  commit: string
  short: string
}

function describe(entry: ScanCheckout): string {
  switch (entry.ref_type) {
    case 'branch':
      return `branch ${entry.ref}`
    case 'tag':
      return `tag ${entry.ref}`
    case 'commit':
      return 'pinned commit'
    case 'default':
      return 'default branch'
    case 'archive':
      return `archive ${entry.ref}`
    default:
      return entry.ref_type
  }
}

/** One line per checked-out target, named from the scan's snapshot (or its tool runs). */
export function scanCheckouts(scan: ScanDetail): CheckoutLine[] {
  const names = new Map<string, string>()
  const snapshot = (scan.configuration_snapshot ?? {}) as { targets?: { id: number; name: string }[] }
  for (const target of snapshot.targets ?? []) names.set(String(target.id), target.name)
  for (const result of scan.tool_results ?? []) if (result.target) names.set(String(result.target.id), result.target.name)
  return Object.entries(scan.checkouts ?? {}).map(([id, entry]) => ({
    target: names.get(id) ?? `target #${id}`,
    what: describe(entry),
    commit: entry.commit,
    short: entry.commit.slice(0, 12),
  }))
}
