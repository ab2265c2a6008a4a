// The bars of the shown range, newest first, a page at a time through the API's own paging:
// "Older" follows next_cursor (keyset, as cheap deep down as on page 1); "Last" and going back
// to a page not reached by cursor use page numbers.
import { api, type Adjustment, type BarPage, type Interval } from './api.ts';
import { $, h } from './dom.ts';
import * as fmt from './format.ts';

export interface Range { ticker: string; start: string; end: string; interval: Interval; adjustment: Adjustment }

export class BarsTable {
  private range: Range | undefined;
  private page = 1;
  private size: number;
  /** page number → the cursor that fetches it */
  private readonly cursors = new Map<number, string>();
  private last: BarPage | undefined;
  private controller: AbortController | undefined;
  private readonly body = $<HTMLTableSectionElement>('bars-body');
  private readonly status = $('page-status');
  private readonly buttons = {
    first: $<HTMLButtonElement>('page-first'), prev: $<HTMLButtonElement>('page-prev'),
    next: $<HTMLButtonElement>('page-next'), last: $<HTMLButtonElement>('page-last'),
  };

  constructor(private readonly onError: (err: unknown) => void) {
    const select = $<HTMLSelectElement>('page-size');
    this.size = Number(select.value);
    select.addEventListener('change', () => {
      this.size = Number(select.value);
      this.reset();
      void this.load();
    });
    this.buttons.first.addEventListener('click', () => this.go(1));
    this.buttons.prev.addEventListener('click', () => this.go(this.page - 1));
    this.buttons.next.addEventListener('click', () => this.go(this.page + 1));
    this.buttons.last.addEventListener('click', () => this.go(this.last?.pages ?? 1));
    this.setButtons();
  }

  show(range: Range): Promise<void> {
    this.range = range;
    this.reset();
    return this.load();
  }

  private reset(): void {
    this.page = 1;
    this.cursors.clear();
  }

  private go(page: number): void {
    if (page < 1 || (this.last && page > this.last.pages)) return;
    this.page = page;
    void this.load();
  }

  private async load(): Promise<void> {
    if (!this.range) return;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const cursor = this.cursors.get(this.page);
    this.body.closest('table')!.setAttribute('aria-busy', 'true');
    try {
      const result = await api.bars({ ...this.range, order: 'desc', size: this.size, page: this.page, cursor }, controller.signal);
      if (controller.signal.aborted) return;
      if (result.next_cursor) this.cursors.set(this.page + 1, result.next_cursor);
      this.last = result;
      this.render(result);
    } catch (err) {
      if (!controller.signal.aborted) this.onError(err);
    } finally {
      if (this.controller === controller) this.body.closest('table')!.removeAttribute('aria-busy');
    }
  }

  private render(result: BarPage): void {
    const rows = result.items.map((b) => {
      const dir = b.close > b.open ? 'up' : b.close < b.open ? 'down' : '';
      // A bar made from shorter ones (no stored bar for its period) says so.
      return h('tr', { 'data-date': b.date, class: b.derived ? 'derived' : undefined },
        h('td', {}, h('time', { datetime: b.date },
          h('span', { class: 'long' }, fmt.date(b.date)), h('span', { class: 'short', 'aria-hidden': 'true' }, fmt.shortDate(b.date))),
          b.derived ? h('span', { class: 'tag', title: 'Made from shorter bars: the source has no bar for this period' }, 'derived') : null),
        h('td', { class: 'num' }, fmt.price(b.open)),
        h('td', { class: 'num' }, fmt.price(b.high)),
        h('td', { class: 'num' }, fmt.price(b.low)),
        h('td', { class: `num ${dir}`, title: b.raw_close !== undefined ? `Stored (raw) close ${fmt.price(b.raw_close)}` : undefined }, fmt.price(b.close)),
        // On a phone the volume shows compact (4.69M); the exact figure stays in the page for screen readers.
        h('td', { class: 'num' }, h('span', { class: 'long' }, fmt.volume(b.volume)), h('span', { class: 'short', 'aria-hidden': 'true' }, fmt.compactNumber(b.volume))));
    });
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: '6', class: 'empty' }, 'No bars in this range.')));
    this.body.replaceChildren(...rows);
    const from = result.total ? (result.page - 1) * result.size + 1 : 0;
    const to = Math.min(result.page * result.size, result.total);
    this.status.textContent = result.total
      ? `${fmt.count(from)}–${fmt.count(to)} of ${fmt.count(result.total)} · page ${fmt.count(result.page)} of ${fmt.count(result.pages)}`
      : 'No rows';
    this.setButtons();
  }

  private setButtons(): void {
    const pages = this.last?.pages ?? 0;
    this.buttons.first.disabled = this.buttons.prev.disabled = this.page <= 1;
    this.buttons.next.disabled = this.buttons.last.disabled = this.page >= pages;
  }
}
