package io.rowguard.journal.internal;

import io.rowguard.core.BinaryReader;
import io.rowguard.core.BinaryWriter;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueCodec;
import java.util.function.IntFunction;

/**
 * The stored form of one change. The table's schema is stored once elsewhere and referred to by
 * number, so an entry holds little more than its values.
 *
 * <pre>
 * version:u8 (2; 1 before actors) schemaId:varint op:u8 commitMicros:zigzag txId:string
 * position:string orderInTx:varint images:u8 [before row [unknown]] [after row [unknown]]
 * actor:nullable string (version 2)
 * </pre>
 *
 * {@code images} has bit 1 when a before image follows, 2 for an after image, 4 when the before
 * image has values the journal does not know ({@link Row#MISSING}), 8 for the after image; such an
 * image is followed by {@code unknown}: a count and the column indexes, the values stored as NULL.
 */
public final class EntryCodec {
  static final int VERSION_1 = 1;
  static final int VERSION = 2;

  private EntryCodec() {}

  public static void encode(BinaryWriter out, int schemaId, ChangeEvent e) {
    out.writeByte(VERSION);
    out.writeVarLong(schemaId);
    out.writeByte(e.op().code());
    out.writeSignedVarLong(e.commitMicros());
    out.writeString(e.txId());
    out.writeString(e.position());
    out.writeVarLong(e.orderInTx());
    boolean beforeMissing = e.before() != null && e.before().hasMissing();
    boolean afterMissing = e.after() != null && e.after().hasMissing();
    out.writeByte(
        (e.before() != null ? 1 : 0)
            | (e.after() != null ? 2 : 0)
            | (beforeMissing ? 4 : 0)
            | (afterMissing ? 8 : 0));
    if (e.before() != null) {
      writeImage(out, e.before(), beforeMissing);
    }
    if (e.after() != null) {
      writeImage(out, e.after(), afterMissing);
    }
    out.writeNullableString(e.actor());
  }

  private static void writeImage(BinaryWriter out, Row row, boolean hasMissing) {
    if (!hasMissing) {
      ValueCodec.writeRow(out, row);
      return;
    }
    Row stored = row;
    java.util.List<Integer> unknown = new java.util.ArrayList<>();
    for (int i = 0; i < row.size(); i++) {
      if (row.get(i) == Row.MISSING) {
        unknown.add(i);
        stored = stored.with(i, null);
      }
    }
    ValueCodec.writeRow(out, stored);
    out.writeVarLong(unknown.size());
    for (int i : unknown) {
      out.writeVarLong(i);
    }
  }

  private static Row readUnknown(BinaryReader in, Row row) {
    int n = in.readVarInt();
    Row out = row;
    for (int k = 0; k < n; k++) {
      int i = in.readVarInt();
      if (i < 0 || i >= row.size()) {
        throw new IllegalStateException("unknown value at column " + i + " of " + row.size());
      }
      out = out.with(i, Row.MISSING);
    }
    return out;
  }

  /** True for the first byte of an encoded change. */
  static boolean isChange(int firstByte) {
    return firstByte == VERSION || firstByte == VERSION_1;
  }

  /** The schema id of an encoded entry, without decoding the rest. */
  public static int schemaId(byte[] bytes) {
    BinaryReader in = new BinaryReader(bytes);
    checkVersion(in.readByte());
    return in.readVarInt();
  }

  /** The operation of an encoded entry, without decoding its rows. */
  public static Op op(byte[] bytes) {
    BinaryReader in = new BinaryReader(bytes);
    checkVersion(in.readByte());
    in.readVarInt();
    return Op.ofCode((char) in.readByte());
  }

  public static ChangeEvent decode(byte[] bytes, IntFunction<TableSchema> schemas) {
    return decode(bytes, bytes.length, schemas);
  }

  /** Decodes the entry in the first {@code length} bytes. */
  public static ChangeEvent decode(byte[] bytes, int length, IntFunction<TableSchema> schemas) {
    return decode(bytes, length, schemas, null);
  }

  /**
   * Decodes the entry in the first {@code length} bytes; string values equal to the same column's
   * in {@code previous} (the entry read before, or null), or in the entry's own before image, are
   * taken from there.
   */
  public static ChangeEvent decode(
      byte[] bytes, int length, IntFunction<TableSchema> schemas, ChangeEvent previous) {
    return decode(bytes, 0, length, schemas, previous);
  }

  /** As {@link #decode(byte[], int, IntFunction, ChangeEvent)}, for an entry at {@code offset}. */
  public static ChangeEvent decode(
      byte[] bytes,
      int offset,
      int length,
      IntFunction<TableSchema> schemas,
      ChangeEvent previous) {
    BinaryReader in = new BinaryReader(bytes, offset, length);
    int version = in.readByte();
    checkVersion(version);
    TableSchema schema = schemas.apply(in.readVarInt());
    Op op = Op.ofCode((char) in.readByte());
    long commitMicros = in.readSignedVarLong();
    String txId = in.readString();
    String position = in.readString();
    int order = in.readVarInt();
    int images = in.readByte();
    Row before =
        (images & 1) != 0
            ? ValueCodec.readRow(in, schema, previous == null ? null : previous.before(), null)
            : null;
    if ((images & 4) != 0 && before != null) {
      before = readUnknown(in, before);
    }
    Row after =
        (images & 2) != 0
            ? ValueCodec.readRow(in, schema, before, previous == null ? null : previous.after())
            : null;
    if ((images & 8) != 0 && after != null) {
      after = readUnknown(in, after);
    }
    String actor = version >= VERSION ? in.readNullableString() : null;
    if (in.hasRemaining()) {
      throw new IllegalStateException("trailing bytes after entry at offset " + in.position());
    }
    return new ChangeEvent(schema, op, before, after, commitMicros, txId, position, order, actor);
  }

  private static void checkVersion(int version) {
    if (version != VERSION && version != VERSION_1) {
      throw new IllegalStateException("unknown entry version " + version);
    }
  }
}
