/** Object keys of the archive, laid out as the Firehose delivery writes them. */

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `YYYY/MM/DD/HH/` of a time, in UTC. */
export function hourPrefix(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/`;
}

/** `YYYY-MM-DD-HH-MM-SS` of a time, in UTC. */
export function timestampPart(epochMs: number): string {
  const d = new Date(epochMs);
  return [
    d.getUTCFullYear(),
    pad(d.getUTCMonth() + 1),
    pad(d.getUTCDate()),
    pad(d.getUTCHours()),
    pad(d.getUTCMinutes()),
    pad(d.getUTCSeconds()),
  ].join("-");
}

/**
 * Firehose names objects `<delivery stream>-<version>-YYYY-MM-DD-HH-MM-SS-<random>` under the
 * prefix followed by the UTC hour; with GZIP compression the name ends in `.gz`.
 */
export function archiveObjectKey(
  prefix: string,
  deliveryStream: string,
  epochMs: number,
  random: string,
): string {
  return `${prefix}${hourPrefix(epochMs)}${deliveryStream}-1-${timestampPart(epochMs)}-${random}.gz`;
}
