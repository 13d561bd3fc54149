// A finding's evidence split by what it is: the HTTP exchange of a dynamic (DAST) finding, and
// everything else a tool reported (columns, check classes, matcher names) as tool details.

/** Evidence keys that hold a request, a response or what was sent to provoke it. */
const HTTP_KEYS = ['request', 'response', 'response_status', 'response_body', 'curl_command', 'attack', 'evidence'] as const

export interface EvidenceField {
  key: string
  label: string
  value: string
}

export interface SplitEvidence {
  http: EvidenceField[]
  details: EvidenceField[]
}

function shown(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return value.length ? value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(', ') : ''
  if (typeof value === 'object') return Object.keys(value as object).length ? JSON.stringify(value) : ''
  return String(value)
}

/** "column_start" → "Column start", "wstg" → "Wstg": a tool's field name, readable. */
export function fieldLabel(key: string): string {
  const words = key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').trim()
  return words ? words[0].toUpperCase() + words.slice(1).toLowerCase() : key
}

/** Empty values are left out; HTTP evidence only for findings with a request or response. */
export function splitEvidence(evidence: Record<string, unknown> | null | undefined): SplitEvidence {
  const result: SplitEvidence = { http: [], details: [] }
  if (!evidence) return result
  const hasExchange = ['request', 'response', 'response_body', 'curl_command'].some((key) => shown(evidence[key]))
  for (const [key, raw] of Object.entries(evidence)) {
    const value = shown(raw)
    if (!value) continue
    const field = { key, label: fieldLabel(key), value }
    if (hasExchange && (HTTP_KEYS as readonly string[]).includes(key)) result.http.push(field)
    else result.details.push(field)
  }
  return result
}
