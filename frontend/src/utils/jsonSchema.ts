// Turns a tool's JSON schema (its overrides) into form field descriptions, and checks values
// against the simple rules the form can check before the server does.

export interface JsonSchema {
  type?: string | string[]
  title?: string
  description?: string
  enum?: unknown[]
  items?: JsonSchema
  properties?: Record<string, JsonSchema>
  required?: string[]
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  pattern?: string
  default?: unknown
}

export type FieldKind = 'select' | 'multiselect' | 'tags' | 'integer' | 'number' | 'boolean' | 'text' | 'object' | 'json'

export interface SchemaField {
  name: string
  label: string
  kind: FieldKind
  description?: string
  required: boolean
  options?: Array<{ label: string; value: string | number }>
  schema: JsonSchema
}

function typeOf(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type
}

/** "max_target_bytes" → "Max target bytes". */
export function humanize(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

export function fieldKind(schema: JsonSchema): FieldKind {
  const type = typeOf(schema)
  if (schema.enum) return 'select'
  if (type === 'array') {
    if (schema.items?.enum) return 'multiselect'
    const itemType = schema.items ? typeOf(schema.items) : 'string'
    return !itemType || itemType === 'string' ? 'tags' : 'json'
  }
  if (type === 'integer') return 'integer'
  if (type === 'number') return 'number'
  if (type === 'boolean') return 'boolean'
  if (type === 'string') return 'text'
  if (type === 'object' && schema.properties) return 'object'
  return 'json'
}

export function schemaFields(schema: JsonSchema | null | undefined): SchemaField[] {
  const properties = schema?.properties ?? {}
  const required = new Set(schema?.required ?? [])
  return Object.entries(properties).map(([name, property]) => {
    const kind = fieldKind(property)
    const values = kind === 'multiselect' ? property.items?.enum : property.enum
    return {
      name,
      label: property.title ?? humanize(name),
      kind,
      description: property.description,
      required: required.has(name),
      options: values?.map((value) => ({ label: String(value), value: value as string | number })),
      schema: property,
    }
  })
}

/** Problems the form can see before sending: {field: message}. The server checks the rest. */
export function validateValues(schema: JsonSchema, values: Record<string, unknown>): Record<string, string> {
  const problems: Record<string, string> = {}
  for (const field of schemaFields(schema)) {
    const value = values[field.name]
    const s = field.schema
    if (value === undefined || value === null || value === '') {
      if (field.required) problems[field.name] = 'This field is required.'
      continue
    }
    if ((field.kind === 'integer' || field.kind === 'number') && typeof value === 'number') {
      if (field.kind === 'integer' && !Number.isInteger(value)) problems[field.name] = 'Enter a whole number.'
      else if (s.minimum !== undefined && value < s.minimum) problems[field.name] = `At least ${s.minimum}.`
      else if (s.maximum !== undefined && value > s.maximum) problems[field.name] = `At most ${s.maximum}.`
    }
    if (field.kind === 'text' && typeof value === 'string') {
      if (s.maxLength !== undefined && value.length > s.maxLength) problems[field.name] = `At most ${s.maxLength} characters.`
      else if (s.pattern && !new RegExp(s.pattern).test(value)) problems[field.name] = 'This value has the wrong form.'
    }
    if ((field.kind === 'tags' || field.kind === 'multiselect') && Array.isArray(value)) {
      if (s.minItems !== undefined && value.length < s.minItems) problems[field.name] = `Choose at least ${s.minItems}.`
      else if (s.maxItems !== undefined && value.length > s.maxItems) problems[field.name] = `At most ${s.maxItems} entries.`
      else if (s.items?.pattern) {
        const pattern = new RegExp(s.items.pattern)
        const bad = value.find((item) => typeof item === 'string' && !pattern.test(item))
        if (bad !== undefined) problems[field.name] = `"${bad}" has the wrong form.`
      }
    }
  }
  return problems
}

/** A copy without the keys left empty, so the tool's defaults apply to them. */
export function withoutEmpty(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).filter(
      ([, value]) => value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0),
    ),
  )
}
