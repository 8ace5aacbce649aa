/** Shared pieces: field with its API error, alerts, progress, paged lists, forms. */
import type { ComponentChildren, JSX } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, messageOf } from "./api";

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · B2B console`;
  }, [title]);
}

/** A general error: the API's message, announced. */
export function ErrorAlert({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p role="alert" class="alert">
      {messageOf(error)}
    </p>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p role="status" class="notice">
      {children}
    </p>
  );
}

interface FieldProps {
  name: string;
  label: string;
  error?: string | undefined;
  hint?: string;
  children: (attrs: {
    id: string;
    name: string;
    "aria-invalid"?: "true";
    "aria-describedby"?: string;
  }) => JSX.Element;
}

/** A labelled control; an API error for this field sits next to it and describes it. */
export function Field({ name, label, error, hint, children }: FieldProps) {
  const id = `field-${name}`;
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ");
  return (
    <div class={error ? "field invalid" : "field"}>
      <label for={id}>{label}</label>
      {children({
        id,
        name,
        ...(error ? { "aria-invalid": "true" as const } : {}),
        ...(describedBy ? { "aria-describedby": describedBy } : {}),
      })}
      {hint ? (
        <small id={hintId} class="hint">
          {hint}
        </small>
      ) : null}
      {error ? (
        <span id={errorId} class="field-error">
          {error}
        </span>
      ) : null}
    </div>
  );
}

export type Values = Record<string, string | boolean>;

/** Form state, the API's field errors and its general error. */
export function useForm<V extends Values>(initial: V) {
  const [values, setValues] = useState<V>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (name: string, value: string | boolean) =>
    setValues((current) => ({ ...current, [name]: value }));
  const submit = async (action: () => Promise<void>) => {
    setBusy(true);
    setErrors({});
    setGeneral(null);
    try {
      await action();
    } catch (error) {
      const known = error instanceof ApiError ? Object.keys(error.fields).filter((f) => f in values) : [];
      if (error instanceof ApiError && known.length > 0) {
        setErrors(error.fields);
        const unknown = Object.keys(error.fields).filter((f) => !(f in values));
        if (unknown.length > 0) setGeneral(error);
      } else {
        setGeneral(error);
      }
    } finally {
      setBusy(false);
    }
  };
  return { values, setValues, set, errors, general, busy, submit };
}

/** What the controls need of a form made by useForm. */
interface Form {
  values: Record<string, unknown>;
  errors: Record<string, string>;
  set: (name: string, value: string | boolean) => void;
}

export function TextInput({
  form,
  name,
  label,
  type = "text",
  hint,
  required,
  readOnly,
}: {
  form: Form;
  name: string;
  label: string;
  type?: string;
  hint?: string;
  required?: boolean;
  readOnly?: boolean;
}) {
  return (
    <Field name={name} label={label} error={form.errors[name]} {...(hint ? { hint } : {})}>
      {(attrs) => (
        <input
          {...attrs}
          type={type}
          value={String(form.values[name] ?? "")}
          required={required}
          readOnly={readOnly}
          onInput={(event) => form.set(name, (event.target as HTMLInputElement).value)}
        />
      )}
    </Field>
  );
}

export function TextArea({ form, name, label }: { form: Form; name: string; label: string }) {
  return (
    <Field name={name} label={label} error={form.errors[name]}>
      {(attrs) => (
        <textarea
          {...attrs}
          rows={3}
          value={String(form.values[name] ?? "")}
          onInput={(event) => form.set(name, (event.target as HTMLTextAreaElement).value)}
        />
      )}
    </Field>
  );
}

export function Checkbox({ form, name, label }: { form: Form; name: string; label: string }) {
  const id = `field-${name}`;
  const error = form.errors[name];
  return (
    <div class={error ? "field check invalid" : "field check"}>
      <input
        id={id}
        name={name}
        type="checkbox"
        checked={Boolean(form.values[name])}
        {...(error ? { "aria-invalid": "true" as const, "aria-describedby": `${id}-error` } : {})}
        onChange={(event) => form.set(name, (event.target as HTMLInputElement).checked)}
      />
      <label for={id}>{label}</label>
      {error ? (
        <span id={`${id}-error`} class="field-error">
          {error}
        </span>
      ) : null}
    </div>
  );
}

export function Select({
  form,
  name,
  label,
  options,
}: {
  form: Form;
  name: string;
  label: string;
  options: { value: string; label: string }[];
}) {
  return (
    <Field name={name} label={label} error={form.errors[name]}>
      {(attrs) => (
        <select
          {...attrs}
          value={String(form.values[name] ?? "")}
          onChange={(event) => form.set(name, (event.target as HTMLSelectElement).value)}
        >
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A determinate progress bar (role=progressbar with its values), for long actions. */
export function Progress({ label, value, max }: { label: string; value: number; max: number }) {
  const safeMax = Math.max(max, 1);
  const now = Math.min(Math.max(value, 0), safeMax);
  return (
    <div class="progress">
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={safeMax}
        aria-valuenow={now}
        aria-valuetext={`${now} of ${safeMax}`}
        class="bar"
      >
        <div class="fill" style={{ width: `${(now / safeMax) * 100}%` }} />
      </div>
      <span class="progress-label">
        {label}: {now} / {safeMax}
      </span>
    </div>
  );
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

/** A list read page by page with the API's cursors; `reload` starts again from the first page. */
/**
 * A list read page by page with the API's cursors. `prepend` shows an item the operator just added
 * first; it stays there when a page load that was already under way lands after it (that load's page
 * replaces the list, and a new item may sort onto a later page), until the list's inputs change.
 */
export function usePaged<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  deps: unknown[],
  keyOf: (item: T) => string = (item) => JSON.stringify(item),
) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);
  const added = useRef<T[]>([]);
  const load = useCallback(async (from: string | undefined, append: boolean) => {
    const mine = ++generation.current;
    setLoading(true);
    setError(null);
    try {
      const page = await fetchPage(from);
      if (mine !== generation.current) return;
      const listed = new Set(page.items.map(keyOf));
      const kept = added.current.filter((item) => !listed.has(keyOf(item)));
      setItems((current) => (append ? [...current, ...page.items.filter((i) => !kept.some((k) => keyOf(k) === keyOf(i)))] : [...kept, ...page.items]));
      setCursor(page.next_cursor ?? null);
    } catch (caught) {
      if (mine === generation.current) setError(caught);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  const reload = useCallback(() => load(undefined, false), [load]);
  useEffect(() => {
    added.current = [];
    void reload();
  }, [reload]);
  const prepend = (item: T) => {
    added.current = [item, ...added.current.filter((a) => keyOf(a) !== keyOf(item))];
    setItems((current) => [item, ...current.filter((c) => keyOf(c) !== keyOf(item))]);
  };
  return {
    items,
    setItems,
    prepend,
    loading,
    error,
    hasMore: cursor !== null,
    loadMore: () => (cursor ? load(cursor, true) : Promise.resolve()),
    reload,
  };
}

export function LoadMore({ list }: { list: { hasMore: boolean; loading: boolean; loadMore: () => Promise<void> } }) {
  if (!list.hasMore) return null;
  return (
    <button type="button" class="secondary" disabled={list.loading} onClick={() => void list.loadMore()}>
      Load more
    </button>
  );
}

export function when(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}

/** `datetime-local` value (local time) from an API timestamp, and back to an ISO timestamp. */
export function toLocalInput(value: string | null | undefined): string {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}
