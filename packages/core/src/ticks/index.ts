export { decodeTick, decodeTickText, MAX_RECORD_BYTES, MAX_PRICE_LEVELS, MAX_LEVEL, type DecodeResult } from "./decode.js";
export { decimalToCents, numberToCents, centsToNumber, formatCents, MAX_CENTS } from "./decimal.js";
export { isValidInstrument, instrumentHash, MAX_INSTRUMENT_LENGTH } from "./instrument.js";
export { parseIsoUtc, MAX_EPOCH_MS } from "./time.js";
export { encodePipe, encodeJson, encodeTick, type PipeTick, type TradeTick, type RecordFormat } from "./encode.js";
export {
  encodeAggregated,
  decodeAggregated,
  isAggregated,
  AggregateBuilder,
  MAX_SUB_RECORDS,
  MAX_PARTITION_KEY_LENGTH,
  type AggregateInput,
  type AggregateResult,
  type SubRecord,
} from "./kpl.js";
