// The columns a row of findings shows, defined once for the findings list and an issue group's
// findings (FindingCells renders their cells): key, header and the API ordering they sort by.
export type FindingColumnKey = 'severity' | 'title' | 'status' | 'rule' | 'cwe' | 'location' | 'project' | 'assignee' | 'due' | 'last_seen'

export interface FindingColumn {
  key: FindingColumnKey
  label: string
  /** The `ordering` field of the findings list, for the columns it sorts by. */
  sort?: string
}

export const FINDING_COLUMNS: readonly FindingColumn[] = [
  { key: 'severity', label: 'Severity', sort: 'severity_rank' },
  { key: 'title', label: 'Title', sort: 'title' },
  { key: 'status', label: 'Status', sort: 'status' },
  { key: 'rule', label: 'Rule' },
  { key: 'cwe', label: 'CWE' },
  { key: 'location', label: 'Location' },
  { key: 'project', label: 'Project' },
  { key: 'assignee', label: 'Assignee' },
  { key: 'due', label: 'Due' },
  { key: 'last_seen', label: 'Last seen', sort: 'last_seen_at' },
]

/** The columns with the given keys (all by default) in the list's order, without `omit`. */
export function findingColumns(options: { only?: readonly FindingColumnKey[]; omit?: readonly FindingColumnKey[] } = {}): FindingColumn[] {
  return FINDING_COLUMNS.filter((column) => (!options.only || options.only.includes(column.key)) && !options.omit?.includes(column.key))
}
