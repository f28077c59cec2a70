/** A product id is a whole number from 0 up, as in `/details/0`; anything else is undefined. */
export function parseProductId(text: string): number | undefined {
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}
