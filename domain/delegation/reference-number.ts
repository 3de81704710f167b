/**
 * How the ABP reference tooling (DeepSigma `canonical_json.py`) writes a number, reproduced exactly:
 * - an integral value is a Python int: every digit, never an exponent (1e21 → 1000…000);
 * - any other value becomes float(f"{x:.15g}"), written by json.dumps as Python's repr: the
 *   shortest digits that read back to that float, in exponent form ("1e-05", "1.5e+16") when the
 *   decimal exponent is below -4 or above 15, and with ".0" when rounding made it integral
 *   (2.0000000000000004 → "2.0").
 * `.15g` rounds the exact binary value half-to-even, which Number#toPrecision does not (it rounds
 * ties up), so the rounding is done here on the exact decimal expansion.
 *
 * Pure and free of Node built-ins.
 */
export function referenceNumberText(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`cannot encode ${value} as JSON`);
  if (Number.isInteger(value)) return BigInt(value).toString();
  return pythonFloatRepr(roundToSignificant(value, 15));
}

/** The double nearest to `value` rounded half-to-even to `digits` significant decimal digits. */
function roundToSignificant(value: number, digits: number): number {
  const { digits: exact, pointAt } = exactDecimal(Math.abs(value));
  if (exact.length <= digits) return value;
  let kept = BigInt(exact.slice(0, digits));
  const rest = exact.slice(digits);
  const half = rest[0]! > '5' || (rest[0] === '5' && /[1-9]/.test(rest.slice(1)));
  const tie = rest[0] === '5' && !/[1-9]/.test(rest.slice(1));
  if (half || (tie && kept % 2n === 1n)) kept += 1n;
  // kept may have gained a digit (999… → 1000…); the exponent below accounts for it either way.
  const rounded = Number(`${kept}e${pointAt - digits}`);
  return value < 0 ? -rounded : rounded;
}

/**
 * The exact decimal expansion of a finite, positive, non-integral double: value = 0.<digits> ×
 * 10^pointAt with no leading zero digit. Such a double is m / 2^k (k ≥ 1), i.e. m × 5^k / 10^k.
 */
function exactDecimal(value: number): { digits: string; pointAt: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biasedExponent === 0 ? fraction : fraction | (1n << 52n);
  const k = 1075 - (biasedExponent === 0 ? 1 : biasedExponent);
  let scaled = mantissa;
  let shift = k;
  while (shift > 0 && scaled % 2n === 0n) {
    scaled /= 2n;
    shift -= 1;
  }
  const digits = (scaled * 5n ** BigInt(shift)).toString();
  return { digits: digits.replace(/0+$/, ''), pointAt: digits.length - shift };
}

/** Python's repr of a float (float_repr_style "short"). */
function pythonFloatRepr(value: number): string {
  const sign = value < 0 ? '-' : '';
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const pointAt = Number(exponent) + 1;
  if (pointAt <= -4 || pointAt > 16) {
    const e = pointAt - 1;
    const rest = digits.slice(1);
    return `${sign}${digits[0]}${rest ? `.${rest}` : ''}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  if (pointAt <= 0) return `${sign}0.${'0'.repeat(-pointAt)}${digits}`;
  if (pointAt >= digits.length) return `${sign}${digits}${'0'.repeat(pointAt - digits.length)}.0`;
  return `${sign}${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
}
