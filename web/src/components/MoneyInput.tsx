import { useId } from "react";
import { currencyExponent, toMinorUnits } from "../lib/money";

/** An amount typed in major units; the parent gets the text and converts with toMinorUnits. */
export function MoneyInput({
  label,
  value,
  onChange,
  currency,
  hint,
  showError = true,
  required,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  currency: string;
  hint?: string;
  showError?: boolean;
  required?: boolean;
}) {
  const id = useId();
  const parsed = toMinorUnits(value, currency);
  const error = showError && value.trim() !== "" && !parsed.ok ? parsed.message : undefined;
  const exponent = currencyExponent(currency);
  return (
    <div className="field">
      <label htmlFor={id}>
        {label} ({currency})
      </label>
      <input
        id={id}
        inputMode={exponent > 0 ? "decimal" : "numeric"}
        autoComplete="off"
        value={value}
        required={required}
        placeholder={exponent > 0 ? `0.${"0".repeat(exponent)}` : "0"}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint ${id}-error`}
        onChange={(event) => onChange(event.target.value)}
      />
      <small id={`${id}-hint`} className="hint">
        {hint}
      </small>
      <small id={`${id}-error`} className="field-error" aria-live="polite">
        {error}
      </small>
    </div>
  );
}
