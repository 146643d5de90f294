"use client";

import {
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceDot,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { formatClock, formatPrice, formatShortClock } from "../lib/format";
import { niceDomain, timeTicks, type ChartPoint } from "../lib/series";

// Mid-tone colours that read on both the light and the dark theme (legend swatches use the same).
export const COLORS = {
  price: "#2f6fed",
  pane: "#8a94a6",
  window: "#e08a00",
  grid: "rgba(128,128,128,0.2)",
  axis: "#8a94a6",
};

/**
 * The chart itself. No animation, a fixed time domain that slides with the clock, ticks on round
 * local times and a y domain that moves in whole steps: updates never flicker or jump.
 */
export function PriceChart({ data, from, to }: { data: ChartPoint[]; from: number; to: number }) {
  const values: number[] = [];
  for (const p of data) {
    if (p.price !== undefined) values.push(p.price);
    if (p.paneMax !== undefined) values.push(p.paneMax);
    if (p.windowMax !== undefined) values.push(p.windowMax);
  }
  const yDomain = niceDomain(values) ?? [0, 1];
  const ticks = timeTicks(from, to);
  const short = to - from > 15 * 60_000;
  let last: ChartPoint | undefined;
  for (let i = data.length - 1; i >= 0 && !last; i--)
    if (data[i]!.price !== undefined) last = data[i];

  return (
    <ResponsiveContainer width="100%" height="100%">
      <ComposedChart data={data} margin={{ top: 8, right: 12, bottom: 4, left: 4 }}>
        <CartesianGrid stroke={COLORS.grid} vertical={false} />
        <XAxis
          dataKey="t"
          type="number"
          scale="time"
          domain={[from, to]}
          allowDataOverflow
          ticks={ticks}
          tickFormatter={(t: number) => (short ? formatShortClock(t) : formatClock(t))}
          stroke={COLORS.axis}
          fontSize={12}
        />
        <YAxis
          domain={yDomain}
          allowDataOverflow
          width={72}
          tickFormatter={(v: number) => formatPrice(v)}
          stroke={COLORS.axis}
          fontSize={12}
        />
        <Tooltip
          isAnimationActive={false}
          labelFormatter={(t) => formatClock(Number(t))}
          formatter={(v, name) => [formatPrice(Number(v)), name]}
        />
        <Line
          name="1-min high"
          dataKey="windowMax"
          type="stepAfter"
          stroke={COLORS.window}
          strokeDasharray="6 4"
          strokeWidth={1.5}
          dot={false}
          isAnimationActive={false}
        />
        <Line
          name="10-s high"
          dataKey="paneMax"
          type="stepAfter"
          stroke={COLORS.pane}
          strokeWidth={1}
          dot={false}
          isAnimationActive={false}
        />
        <Line
          name="Price"
          dataKey="price"
          type="stepAfter"
          stroke={COLORS.price}
          strokeWidth={2}
          dot={false}
          connectNulls
          isAnimationActive={false}
        />
        {last && (
          <ReferenceDot
            x={last.t}
            y={last.price}
            r={4}
            fill={COLORS.price}
            stroke="none"
            ifOverflow="hidden"
            isFront
          />
        )}
      </ComposedChart>
    </ResponsiveContainer>
  );
}
