/**
 * Sets `key` as an own property. Plain assignment of "__proto__" would replace the object's prototype
 * instead; as an own property it stays a key the log entry's rules can see (and refuse).
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Whether a lower-case or upper-case hex id is all zeros or empty: OTLP's "no id". */
export function isAbsentId(hex: string): boolean {
  for (let i = 0; i < hex.length; i++) {
    if (hex.charCodeAt(i) !== 48 /* '0' */) return false;
  }
  return true;
}
