import { api } from './api.js';
import { h } from './dom.js';

const dialog = () => document.getElementById('action-dialog');

/** Thrown by a `submit` to keep the dialog open with a notice (not an error), e.g. "check the preview, then confirm". */
export class StayOpen extends Error {}

/**
 * Asks for an action's inputs in a dialog that lives outside the live panels, so a refresh while
 * someone types never loses their text. `fields` are built elements with `name` attributes;
 * `submit(values)` returns the API call; its error message is shown in the dialog as the API gave it.
 */
export function runAction({ title, fields = [], confirm = 'Confirm', submit, onDone, wide = false }) {
  const d = dialog();
  d.classList.toggle('wide', wide);
  const form = document.getElementById('action-form');
  const error = document.getElementById('action-error');
  const button = document.getElementById('action-submit');
  document.getElementById('action-title').textContent = title;
  document.getElementById('action-fields').replaceChildren(...fields);
  error.textContent = '';
  error.classList.remove('notice');
  button.textContent = confirm;
  button.disabled = false;
  form.onsubmit = async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    button.disabled = true;
    error.textContent = '';
    error.classList.remove('notice');
    try {
      const result = await submit(values, { setConfirm: (label) => (button.textContent = label) });
      d.close();
      onDone?.(result);
    } catch (e) {
      error.textContent = e.message;
      error.classList.toggle('notice', e instanceof StayOpen);
      button.disabled = false;
    }
  };
  document.getElementById('action-cancel').onclick = () => d.close();
  d.showModal();
  fields[0]?.querySelector?.('input, textarea, select')?.focus();
}

export const field = (label, control, hint) =>
  h('label', { class: 'field' }, h('span', {}, label), control, hint ? h('small', {}, hint) : null);

export const textInput = (name, attrs = {}) => h('input', { name, type: 'text', autocomplete: 'off', ...attrs });

export const textArea = (name, attrs = {}) => h('textarea', { name, rows: 8, spellcheck: 'false', ...attrs });

export const select = (name, options, selected) =>
  h(
    'select',
    { name },
    options.map((o) => h('option', { value: o, selected: o === selected }, o)),
  );

/** The JSON a person typed, or an error naming the field. */
export function parseJson(text, fieldName) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${fieldName}: not valid JSON (${e.message})`, { cause: e });
  }
}

export { api };
