/**
 * Errors of the windows code, in the manner of Powertools' batch utility: one base class, so a
 * caller can catch any of them at once, and one subclass per case a caller may want to tell
 * apart. Each sets `name`, so logs show the case.
 */
export class WindowError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WindowError";
  }
}

/** The window size is not a positive whole number of slides (a configuration error). */
export class InvalidWindowShapeError extends WindowError {
  constructor(
    readonly sizeMs: number,
    readonly slideMs: number,
  ) {
    super(`invalid window shape: size ${sizeMs} ms must be a positive whole number of slides of ${slideMs} ms`);
    this.name = "InvalidWindowShapeError";
  }
}

/**
 * An advance raised the target above the watermark a batch was placed against while the batch
 * was indexing its windows: the advance may have listed the index without them, so the batch
 * must be placed again against the newer watermark (nothing of it has been merged yet).
 */
export class WatermarkMovedError extends WindowError {
  constructor(
    readonly placedAt: number,
    readonly target: number,
  ) {
    super(`the watermark advanced while windows were being indexed (placed at ${placedAt}, target now ${target})`);
    this.name = "WatermarkMovedError";
  }
}

/**
 * Closing windows up to the target took longer than the budget. The rounds done are kept; the
 * next run continues from `reached`. A batch meeting this is retried whole, since it may only be
 * placed against a watermark that is final.
 */
export class CloseBudgetExceededError extends WindowError {
  constructor(
    readonly target: number,
    readonly reached: number,
  ) {
    super(`closing windows up to ${target} outlasted the budget at ${reached}; the next run continues`);
    this.name = "CloseBudgetExceededError";
  }
}

/**
 * Another shard's batch held its placement reservation for longer than the budget, so this
 * batch could not be placed against a final watermark. Nothing of it was written; it is retried.
 */
export class PlacementBlockedError extends WindowError {
  constructor(
    readonly shardId: string,
    readonly watermark: number,
  ) {
    super(`shard ${shardId}: another shard's placement held the watermark at ${watermark} past the budget; the batch is retried`);
    this.name = "PlacementBlockedError";
  }
}

/**
 * A pane item was written by another execution environment of the same shard (one that
 * outlived its invocation) while this batch was placing: placed again more often than allowed.
 */
export class PaneItemConflictError extends WindowError {
  constructor(
    readonly shardId: string,
    readonly paneStart: number,
    readonly bucket: number,
  ) {
    super(`shard ${shardId}: pane item ${paneStart}/${bucket} kept changing under the batch`);
    this.name = "PaneItemConflictError";
  }
}

/** A time that a State table key cannot hold (keys carry 16 digits, never a sign). */
export class KeyTimeOutOfRangeError extends WindowError {
  constructor(readonly time: number) {
    super(`time out of range for a key: ${time}`);
    this.name = "KeyTimeOutOfRangeError";
  }
}

/** A price in cents that is not a safe integer, so it has no exact decimal form. */
export class InvalidCentsError extends WindowError {
  constructor(readonly cents: number) {
    super(`cents must be a safe integer, got ${cents}`);
    this.name = "InvalidCentsError";
  }
}

/** Text read from the `windows` stream that is not a window record. */
export class MalformedWindowRecordError extends WindowError {
  constructor(
    readonly text: string,
    options?: ErrorOptions,
  ) {
    super(`not a window record: ${text}`, options);
    this.name = "MalformedWindowRecordError";
  }
}
