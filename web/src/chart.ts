// The candlestick chart with its volume pane (TradingView's lightweight-charts, drawn on canvas:
// nothing for a Content-Security-Policy to object to once its attribution <style> is off — the
// attribution is in the page footer instead, as its licence asks).
import {
  CandlestickSeries, ColorType, CrosshairMode, HistogramSeries, createChart, createSeriesMarkers,
  type CandlestickData, type HistogramData, type IChartApi, type ISeriesApi, type ISeriesMarkersPluginApi, type MouseEventParams, type Time,
} from 'lightweight-charts';
import type { Bar } from './api.ts';

export interface ActionMark { date: string; kind: 'split' | 'dividend'; text: string }

export interface Palette { text: string; muted: string; grid: string; border: string; up: string; down: string; panel: string }

export function paletteFromCss(): Palette {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return { text: v('--text'), muted: v('--muted'), grid: v('--grid'), border: v('--border'), up: v('--up'), down: v('--down'), panel: v('--panel') };
}

/** #rrggbb → rgba() with the given opacity, for volume bars that sit behind the candles in weight. */
function translucent(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? `rgba(${parseInt(m[1]!, 16)}, ${parseInt(m[2]!, 16)}, ${parseInt(m[3]!, 16)}, ${alpha})` : hex;
}

export class PriceChart {
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volumes: ISeriesApi<'Histogram'>;
  private bars: Bar[] = [];
  private palette: Palette;
  private readonly markers: ISeriesMarkersPluginApi<Time>;

  constructor(container: HTMLElement, private readonly onHover: (bar: Bar | undefined, previous: Bar | undefined) => void) {
    this.palette = paletteFromCss();
    this.chart = createChart(container, {
      autoSize: true,
      layout: { attributionLogo: false, fontFamily: getComputedStyle(document.body).fontFamily, fontSize: 12 },
      crosshair: { mode: CrosshairMode.Normal },
      rightPriceScale: { borderVisible: false },
      timeScale: { borderVisible: false, rightOffset: 3, minBarSpacing: 0.2 },
      localization: { locale: 'en-US' },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, { borderVisible: false, priceLineVisible: true });
    this.volumes = this.chart.addSeries(HistogramSeries, { priceFormat: { type: 'volume' }, priceLineVisible: false, lastValueVisible: false }, 1);
    this.chart.panes()[0]?.setStretchFactor(3);
    this.chart.panes()[1]?.setStretchFactor(1);
    this.applyPalette(this.palette);
    this.chart.subscribeCrosshairMove((param) => this.hover(param));
    this.markers = createSeriesMarkers(this.candles, []);
  }

  /** Splits above the bars, dividends below, each at the first bar on or after its ex-date. */
  setMarkers(marks: ActionMark[], bars: Bar[]): void {
    const at = (date: string) => bars.find((b) => b.date >= date)?.date;
    this.markers.setMarkers(marks.flatMap((m) => {
      const time = at(m.date);
      if (!time) return [];
      return [m.kind === 'split'
        ? { time: time as Time, position: 'aboveBar' as const, shape: 'arrowDown' as const, color: this.palette.text, text: m.text }
        : { time: time as Time, position: 'belowBar' as const, shape: 'circle' as const, color: this.palette.muted, text: m.text }];
    }).sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)));
  }

  applyPalette(p: Palette): void {
    this.palette = p;
    this.chart.applyOptions({
      layout: { background: { type: ColorType.Solid, color: p.panel }, textColor: p.muted, panes: { separatorColor: p.border } },
      grid: { vertLines: { color: p.grid }, horzLines: { color: p.grid } },
      crosshair: { vertLine: { labelBackgroundColor: p.muted }, horzLine: { labelBackgroundColor: p.muted } },
    });
    this.candles.applyOptions({ upColor: p.up, downColor: p.down, wickUpColor: p.up, wickDownColor: p.down });
    if (this.bars.length) this.volumes.setData(this.volumeData(this.bars));
  }

  private volumeData(bars: Bar[]): HistogramData<Time>[] {
    const up = translucent(this.palette.up, 0.45);
    const down = translucent(this.palette.down, 0.45);
    return bars.map((b) => ({ time: b.date as Time, value: b.volume, color: b.close >= b.open ? up : down }));
  }

  /** Shows the bars (oldest first) and fits them in view. */
  setBars(bars: Bar[]): void {
    this.bars = bars;
    this.candles.setData(bars.map((b): CandlestickData<Time> => ({ time: b.date as Time, open: b.open, high: b.high, low: b.low, close: b.close })));
    this.volumes.setData(this.volumeData(bars));
    this.chart.timeScale().fitContent();
    this.onHover(bars.at(-1), bars.at(-2));
  }

  private hover(param: MouseEventParams<Time>): void {
    // The logical index is the bar's position in the data (no gaps are passed in).
    const index = param.time === undefined || param.logical === undefined ? -1 : Math.round(param.logical);
    if (index < 0 || index >= this.bars.length) {
      this.onHover(this.bars.at(-1), this.bars.at(-2));
      return;
    }
    this.onHover(this.bars[index], index > 0 ? this.bars[index - 1] : undefined);
  }
}
