// Shapes shared by the metrics charts and their tables.
export type Cell = string | number | null | undefined

export interface Column {
  key: string
  label: string
  /** How to show a number (e.g. a percentage); plain when absent. */
  format?: (value: number) => string
}

export interface Series {
  label: string
  data: Array<number | null>
  color: string
  dash?: number[]
}

/** A table cell's text: "—" for a missing value. */
export function cellText(column: Column, value: Cell): string {
  if (value === null || value === undefined || value === '') return '—'
  if (typeof value === 'number' && column.format) return column.format(value)
  return String(value)
}
