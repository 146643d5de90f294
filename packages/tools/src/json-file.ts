import { readFileSync } from "node:fs";

/** A JSON file's value; a file that cannot be read or parsed fails with its path in the message. */
export function readJsonFile<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}
