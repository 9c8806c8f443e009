/** Readers for the event's and result's name -> value(s) objects. Pure; malformed input is a CodecError. */
import { type CodecError, codecError } from "./codec-error";

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function readMultiValue(field: string, value: unknown): Array<[string, string]> | CodecError {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) return codecError(`${field} must be an object of string arrays`);
  const pairs: Array<[string, string]> = [];
  for (const [name, values] of Object.entries(value)) {
    if (!Array.isArray(values)) return codecError(`${field}["${name}"] must be an array of strings`);
    for (const v of values) {
      if (typeof v !== "string") return codecError(`${field}["${name}"] must contain only strings`);
      pairs.push([name, v]);
    }
  }
  return pairs;
}

export function readSingleValue(field: string, value: unknown): Array<[string, string]> | CodecError {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) return codecError(`${field} must be an object of strings`);
  const pairs: Array<[string, string]> = [];
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== "string") return codecError(`${field}["${name}"] must be a string`);
    pairs.push([name, v]);
  }
  return pairs;
}
