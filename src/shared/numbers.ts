/**
 * Whole numbers as users type them in query strings and flags: decimal digits only. `Number()`
 * would also take `0x10`, `1e3`, ` 5 ` and `''` (as 0), none of which anyone means as a count.
 */
export function parseWholeNumber (text: string | undefined | null): number | null {
  if (typeof text !== 'string' || !/^\d{1,15}$/.test(text)) return null
  return Number(text)
}
