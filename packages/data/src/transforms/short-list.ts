/**
 * `a, b, c, … and 7 more`: a list short enough for a one-line error message.
 * @internal
 */
export function shortList(items: readonly unknown[], max = 8): string {
  const shown = items.slice(0, max).map(String).join(', ');
  return items.length > max ? `${shown}, … and ${items.length - max} more` : shown;
}
