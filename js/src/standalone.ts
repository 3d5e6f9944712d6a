// Runtime of a standalone HTML export (dlwidgets.export_html): no kernel, no network.
// For each exported widget it rebuilds the synced state (binary buffers included), wraps it in a
// local object with anywidget's model interface, imports the widget's ES module from a blob URL
// and renders it. model.set + save_changes fire change events locally, so everything a widget
// does on the data it holds keeps working; messages to Python go nowhere and widgets disable the
// controls that need them (see lib/dom.ts isStandalone).

type Listener = (...args: any[]) => void;

interface ExportEntry {
  id: string;
  name: string;
  esm: string; // base64 of the widget's ES module
  css: string;
  state: Record<string, any>;
  buffer_paths: Array<Array<string | number>>;
  buffers: string[]; // base64
  note: string | null;
  target?: string; // id of the element to render into (notebook export); else appended in order
}

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Put each buffer back at its path in the state, as a DataView (what ipywidgets gives). */
export function restoreBuffers(
  state: Record<string, any>,
  paths: Array<Array<string | number>>,
  buffers: Uint8Array[],
): Record<string, any> {
  paths.forEach((path, k) => {
    let node: any = state;
    for (let i = 0; i < path.length - 1; i++) node = node[path[i]];
    const bytes = buffers[k];
    node[path[path.length - 1]] = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  });
  return state;
}

export class LocalModel {
  private state: Record<string, any>;
  private pending = new Set<string>();
  private listeners = new Map<string, Set<Listener>>();
  readonly widget_manager = {};

  constructor(state: Record<string, any>) {
    this.state = state;
  }
  get(name: string): any {
    return this.state[name];
  }
  set(name: string, value: unknown): void {
    this.state[name] = value;
    this.pending.add(name);
  }
  save_changes(): void {
    const changed = [...this.pending];
    this.pending.clear();
    for (const name of changed) this.emit(`change:${name}`, this.state[name]);
    if (changed.length) this.emit("change");
  }
  on(event: string, callback: Listener): void {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(callback);
  }
  off(event?: string | null, callback?: Listener | null): void {
    if (!event) {
      this.listeners.clear();
      return;
    }
    if (!callback) this.listeners.delete(event);
    else this.listeners.get(event)?.delete(callback);
  }
  send(): void {
    // No kernel in a static page: requests to Python are dropped by design.
  }
  private emit(event: string, ...args: unknown[]): void {
    for (const cb of [...(this.listeners.get(event) ?? [])]) cb(...args);
  }
}

async function mount(entry: ExportEntry, container: HTMLElement | null): Promise<void> {
  const wrapper = document.createElement("section");
  wrapper.className = "dlw-export-widget";
  wrapper.dataset.widget = entry.name;
  if (entry.note) {
    const note = document.createElement("div");
    note.className = "dlw-export-note";
    note.textContent = entry.note;
    wrapper.appendChild(note);
  }
  const el = document.createElement("div");
  wrapper.appendChild(el);
  const target = (entry.target ? document.getElementById(entry.target) : null) ?? container;
  if (!target) throw new Error("no place on the page to show it");
  target.appendChild(wrapper);
  if (entry.css) {
    const style = document.createElement("style");
    style.textContent = entry.css;
    document.head.appendChild(style);
  }
  const state = restoreBuffers(entry.state, entry.buffer_paths, entry.buffers.map(base64ToBytes));
  const model = new LocalModel(state);
  const code = new TextDecoder().decode(base64ToBytes(entry.esm));
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  try {
    const mod = await import(/* @vite-ignore */ url);
    let widget = mod.default;
    if (typeof widget === "function") widget = await widget();
    if (widget.initialize) await widget.initialize({ model });
    await widget.render({ model, el });
  } finally {
    URL.revokeObjectURL(url);
  }
}

async function main(): Promise<void> {
  const source = document.getElementById("dlw-state");
  const container = document.getElementById("dlw-widgets");
  if (!source) return;
  const entries = JSON.parse(source.textContent || "[]") as ExportEntry[];
  for (const entry of entries) {
    try {
      await mount(entry, container);
    } catch (error) {
      const message = document.createElement("pre");
      message.className = "dlw-error";
      message.textContent = `dlwidgets: could not show ${entry.name}: ${String(error)}`;
      (container ?? document.body).appendChild(message);
      console.error(error);
    }
  }
  document.body.dataset.dlwReady = "true";
}

if (typeof document !== "undefined") void main();
