// A ZIP archive written as a stream, for downloading a folder as one file without holding any of
// it: entries are stored (no compression: most of what people keep is compressed already), each
// file's CRC-32 is computed while its bytes pass and written in a data descriptor after them, and
// every record carries ZIP64 fields, so files and archives past 4 GiB are fine. Read by Info-ZIP,
// 7-Zip, Python's zipfile, macOS and Windows.

export interface ZipEntry {
  /** Path inside the archive, '/'-separated; folders end with '/'. */
  path: string;
  /** Modification time for the archive's DOS date. */
  mtimeMs?: number;
  /** The file's bytes (absent for a folder). */
  open?: () => Promise<ReadableStream<Uint8Array>>;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Continues a CRC-32 (start with 0). */
export function crc32(crc: number, bytes: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function dosDateTime(ms: number): { time: number; date: number } {
  const d = new Date(ms);
  const year = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

class Writer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  offset = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(v: number) {
    this.view.setUint16(this.offset, v, true);
    this.offset += 2;
  }
  u32(v: number) {
    this.view.setUint32(this.offset, v >>> 0, true);
    this.offset += 4;
  }
  u64(v: number) {
    this.view.setBigUint64(this.offset, BigInt(v), true);
    this.offset += 8;
  }
  raw(b: Uint8Array) {
    this.bytes.set(b, this.offset);
    this.offset += b.length;
  }
}

const VERSION = 45; // 4.5: ZIP64
const FLAGS = 0x0808; // bit 3: sizes and CRC in a data descriptor; bit 11: UTF-8 names

interface Written {
  name: Uint8Array;
  folder: boolean;
  crc: number;
  sizeBytes: number;
  offset: number;
  time: number;
  date: number;
}

/** The archive of `entries`, in order, as a stream. */
export function zipStream(entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  async function* generate(): AsyncGenerator<Uint8Array> {
    const written: Written[] = [];
    let offset = 0;
    for await (const entry of entries) {
      const name = encoder.encode(entry.path);
      const { time, date } = dosDateTime(entry.mtimeMs ?? Date.now());
      const header = new Writer(30 + name.length + 20);
      header.u32(0x04034b50);
      header.u16(VERSION);
      header.u16(FLAGS);
      header.u16(0); // stored
      header.u16(time);
      header.u16(date);
      header.u32(0); // CRC: in the descriptor
      header.u32(0xffffffff); // sizes: in ZIP64 fields
      header.u32(0xffffffff);
      header.u16(name.length);
      header.u16(20);
      header.raw(name);
      header.u16(0x0001); // ZIP64 extra: sizes unknown yet (0), as streaming writers do
      header.u16(16);
      header.u64(0);
      header.u64(0);
      const record: Written = { name, folder: !entry.open, crc: 0, sizeBytes: 0, offset, time, date };
      yield header.bytes;
      offset += header.bytes.length;
      if (entry.open) {
        const reader = (await entry.open()).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          record.crc = crc32(record.crc, value);
          record.sizeBytes += value.length;
          offset += value.length;
          yield value;
        }
      }
      const descriptor = new Writer(24);
      descriptor.u32(0x08074b50);
      descriptor.u32(record.crc);
      descriptor.u64(record.sizeBytes);
      descriptor.u64(record.sizeBytes);
      yield descriptor.bytes;
      offset += descriptor.bytes.length;
      written.push(record);
    }
    const centralStart = offset;
    for (const r of written) {
      const central = new Writer(46 + r.name.length + 28);
      central.u32(0x02014b50);
      central.u16((3 << 8) | VERSION); // made by: Unix
      central.u16(VERSION);
      central.u16(FLAGS);
      central.u16(0);
      central.u16(r.time);
      central.u16(r.date);
      central.u32(r.crc);
      central.u32(0xffffffff);
      central.u32(0xffffffff);
      central.u16(r.name.length);
      central.u16(28);
      central.u16(0); // comment
      central.u16(0); // disk
      central.u16(0); // internal attributes
      central.u32((r.folder ? 0o40755 : 0o100644) << 16);
      central.u32(0xffffffff);
      central.raw(r.name);
      central.u16(0x0001);
      central.u16(24);
      central.u64(r.sizeBytes);
      central.u64(r.sizeBytes);
      central.u64(r.offset);
      yield central.bytes;
      offset += central.bytes.length;
    }
    const end = new Writer(56 + 20 + 22);
    end.u32(0x06064b50); // ZIP64 end of central directory
    end.u64(44);
    end.u16((3 << 8) | VERSION);
    end.u16(VERSION);
    end.u32(0);
    end.u32(0);
    end.u64(written.length);
    end.u64(written.length);
    end.u64(offset - centralStart);
    end.u64(centralStart);
    end.u32(0x07064b50); // its locator
    end.u32(0);
    end.u64(offset);
    end.u32(1);
    end.u32(0x06054b50); // end of central directory, every field in ZIP64
    end.u16(0);
    end.u16(0);
    end.u16(0xffff);
    end.u16(0xffff);
    end.u32(0xffffffff);
    end.u32(0xffffffff);
    end.u16(0);
    yield end.bytes;
  }
  const iterator = generate();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await iterator.return(undefined);
    },
  });
}
