/** Commander option parsers that turn bad values into one-line UsageErrors (exit code 2). */
import { UsageError } from './usageError.js';

/** Parses an integer flag value. */
export function intOption(flag: string): (value: string) => number {
  return (value) => {
    if (!/^[+-]?\d+$/.test(value.trim())) throw new UsageError(`${flag}: expected an integer, got '${value}'`);
    return Number(value);
  };
}

/** Parses a finite number flag value (1e6 and 0.5 accepted). */
export function numberOption(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag}: expected a number, got '${value}'`);
    return n;
  };
}

/** Parses a comma-separated list of names. */
export function listOption(flag: string): (value: string) => string[] {
  return (value) => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) throw new UsageError(`${flag}: expected a comma-separated list, got '${value}'`);
    return items;
  };
}

/** Parses a comma-separated list of numbers. */
export function numberListOption(flag: string): (value: string) => number[] {
  return (value) => listOption(flag)(value).map((v) => numberOption(flag)(v));
}

/** Parses one of a fixed set of choices. */
export function choiceOption<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new UsageError(`${flag}: expected one of ${choices.join(', ')}, got '${value}'`);
    }
    return value as T;
  };
}

/** Parses `--scales`: 'auto' or an integer. */
export function scalesOption(flag: string): (value: string) => 'auto' | number {
  return (value) => (value.trim() === 'auto' ? 'auto' : intOption(flag)(value));
}
