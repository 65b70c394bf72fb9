// @ts-check
// Reads an ONNX model's metadata_props ({key: value} strings) from its bytes.
// ONNX Runtime Web does not expose them, and the core's parseModelSpec needs
// them (class_names, crop, normalization). An ONNX file is a protobuf
// ModelProto; metadata_props is its field 14, a repeated
// StringStringEntryProto {key = 1, value = 2}. Only the top level is walked:
// every other field (the graph included) is skipped by its length.

const METADATA_PROPS = 14;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

class Reader {
  constructor(bytes, start, end) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  done() {
    return this.pos >= this.end;
  }

  varint() {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i += 1) {
      if (this.pos >= this.end) throw new Error('ONNX model: truncated protobuf varint');
      const byte = this.bytes[this.pos];
      this.pos += 1;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new Error('ONNX model: malformed protobuf varint');
  }

  advance(count) {
    if (!Number.isSafeInteger(count) || count < 0 || this.pos + count > this.end) {
      throw new Error('ONNX model: truncated protobuf field');
    }
    const start = this.pos;
    this.pos += count;
    return start;
  }

  // Returns [start, end) of a length-delimited field's payload.
  lengthDelimited() {
    const length = this.varint();
    const start = this.advance(length);
    return [start, start + length];
  }

  skip(wireType) {
    switch (wireType) {
      case WIRE_VARINT: this.varint(); break;
      case WIRE_FIXED64: this.advance(8); break;
      case WIRE_LENGTH: this.lengthDelimited(); break;
      case WIRE_FIXED32: this.advance(4); break;
      default: throw new Error(`ONNX model: unsupported protobuf wire type ${wireType}`);
    }
  }
}

/**
 * @param {ArrayBuffer|Uint8Array} model the .onnx file's bytes
 * @returns {Record<string, string>} the model's metadata_props
 */
export function readOnnxMetadata(model) {
  const bytes = model instanceof Uint8Array ? model : new Uint8Array(model);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const metadata = {};
  const top = new Reader(bytes, 0, bytes.length);
  while (!top.done()) {
    const key = top.varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field !== METADATA_PROPS || wireType !== WIRE_LENGTH) {
      top.skip(wireType);
      continue;
    }
    const [start, end] = top.lengthDelimited();
    const entry = new Reader(bytes, start, end);
    let name = '';
    let value = '';
    while (!entry.done()) {
      const entryKey = entry.varint();
      const entryWire = entryKey % 8;
      const entryField = Math.floor(entryKey / 8);
      if ((entryField === 1 || entryField === 2) && entryWire === WIRE_LENGTH) {
        const [s, e] = entry.lengthDelimited();
        const text = decoder.decode(bytes.subarray(s, e));
        if (entryField === 1) name = text;
        else value = text;
      } else {
        entry.skip(entryWire);
      }
    }
    metadata[name] = value;
  }
  return metadata;
}
