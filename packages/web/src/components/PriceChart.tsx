"use client";

import {
  Area,
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
  grid: "rgba(128,128,128,0.2)",
  axis: "#8a94a6",
};

const AXIS_STYLE = { stroke: COLORS.axis, fontSize: 12 };
// Updates arrive every second: animating each would keep the chart moving.
const STILL = { isAnimationActive: false };

/**
 * The chart itself. No animation, a fixed time domain that slides with the clock, ticks on round
 * local times and a y domain that moves in whole steps: updates never flicker or jump.
 */
export function PriceChart({ data, from, to }: { data: ChartPoint[]; from: number; to: number }) {
  const values: number[] = [];
  for (const p of data) {
    if (p.low !== undefined) values.push(p.low);
    if (p.high !== undefined) values.push(p.high);
    if (p.close !== undefined) values.push(p.close);
  }
  const yDomain = niceDomain(values) ?? [0, 1];
  const ticks = timeTicks(from, to);
  const short = to - from > 15 * 60_000;
  let last: ChartPoint | undefined;
  for (let i = data.length - 1; i >= 0 && !last; i--)
    if (data[i]!.close !== undefined) last = data[i];

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
          {...AXIS_STYLE}
        />
        <YAxis
          domain={yDomain}
          allowDataOverflow
          width={72}
          tickFormatter={(v: number) => formatPrice(v)}
          {...AXIS_STYLE}
        />
        <Tooltip
          {...STILL}
          labelFormatter={(t) => formatClock(Number(t))}
          formatter={(v, name) =>
            Array.isArray(v)
              ? [`${formatPrice(Number(v[0]))} – ${formatPrice(Number(v[1]))}`, name]
              : [formatPrice(Number(v)), name]
          }
        />
        <Area
          name="High–low"
          dataKey="band"
          type="stepAfter"
          stroke="none"
          fill={COLORS.pane}
          fillOpacity={0.25}
          activeDot={false}
          {...STILL}
        />
        {/* Across missing candles too: a rarely traded instrument has lone candles. */}
        <Line
          name="Close"
          dataKey="close"
          type="linear"
          stroke={COLORS.price}
          strokeWidth={2}
          dot={false}
          connectNulls
          {...STILL}
        />
        {last && (
          <ReferenceDot
            x={last.t}
            y={last.close}
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
