/** Durations in the fleet file use Go's notation restricted to whole h/m/s units, as Vault does. */
export const DURATION_PATTERN = /^(?:\d+h)?(?:\d+m)?(?:\d+s)?$/;

const UNIT_SECONDS: Readonly<Record<string, number>> = { h: 3600, m: 60, s: 1 };

/** Parses "1h30m" into seconds. Throws on anything DURATION_PATTERN rejects or on an empty string. */
export function durationSeconds(text: string): number {
  if (text === '' || !DURATION_PATTERN.test(text)) {
    throw new Error(`"${text}" is not a duration such as 90s, 15m or 1h30m`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([hms])/g)) {
    total += Number(amount) * UNIT_SECONDS[unit];
  }
  return total;
}

/** Renders seconds back in the shortest h/m/s form, for messages. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return text === '' ? '0s' : text;
}
