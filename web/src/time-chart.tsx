import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

// A line chart over time (uPlot): one line per backend. The chart is created once per set of series
// and fed new data every second; its width follows its container so it fits a phone and a desktop.

export const SERIES_COLORS = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#be185d', '#4d7c0f', '#92400e', '#475569'];

export interface TimeChartProps {
  title: string;
  /** Unit shown on the y axis and in the legend: "req/s", "ms". */
  unit: string;
  /** Epoch seconds. */
  times: number[];
  series: { label: string; values: (number | null)[] }[];
  height?: number;
  /** The x axis always spans this many seconds up to the latest sample, so the first samples do not fill it. */
  windowSeconds?: number;
}

export function TimeChart({ title, unit, times, series, height = 180, windowSeconds = 300 }: TimeChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((entry) => entry.label).join('\u0000');

  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    const options: uPlot.Options = {
      width: Math.max(240, element.clientWidth),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        // The last sample is the right edge (not uPlot's own range: with one sample it spans days).
        x: {
          time: true,
          range: (self) => {
            const xs = self.data[0];
            const last = xs.length > 0 ? xs[xs.length - 1] : Date.now() / 1000;
            return [last - windowSeconds, last];
          },
        },
        y: { range: (_self, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{}, { label: unit, size: 56 }],
      series: [{}, ...series.map((entry, index) => ({ label: entry.label, stroke: SERIES_COLORS[index % SERIES_COLORS.length], width: 2, value: (_self: uPlot, value: number | null) => (value === null ? '–' : `${value.toFixed(1)} ${unit}`) }))],
    };
    const created = new uPlot(options, [times, ...series.map((entry) => entry.values)] as uPlot.AlignedData, element);
    plot.current = created;
    const resize = new ResizeObserver(() => created.setSize({ width: Math.max(240, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      created.destroy();
      plot.current = null;
    };
    // The chart is rebuilt only when its lines change; data arrives through setData below.
  }, [labels, unit, height, windowSeconds]);

  useEffect(() => {
    plot.current?.setData([times, ...series.map((entry) => entry.values)] as uPlot.AlignedData);
  });

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={container} role="img" aria-label={`${title}, one line per backend`} />
    </figure>
  );
}
