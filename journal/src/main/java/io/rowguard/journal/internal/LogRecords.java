package io.rowguard.journal.internal;

import io.rowguard.core.BinaryReader;
import io.rowguard.core.BinaryWriter;
import io.rowguard.core.TableId;
import io.rowguard.core.TransactionTag;
import io.rowguard.journal.Gap;
import io.rowguard.journal.SourceBinding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The records of the journal's log. Each stored value is a record followed by its {@link Chain}
 * hash; the record's first byte says what it is:
 *
 * <ul>
 *   <li>{@code 1}, {@code 2}: a change ({@link EntryCodec})
 *   <li>{@code N}: a note, what a rowguard message said about a transaction: {@code txId:string
 *       actor reason request rollback:nullable string json:string}
 *   <li>{@code R}: a retention record, written when old entries are pruned: {@code cut:zigzag
 *       lastPrunedSeq:u64 hashAtCut:32 keptCount:varint keptDigest:32 prunedAt:zigzag}
 *   <li>{@code G}: a gap of the whole journal: changes the source committed that the journal never
 *       received ({@link Gap})
 *   <li>{@code H}: a gap of any extent ({@link Gap}): {@code table:nullable(schema name)
 *       from:zigzag to:zigzag fromPosition toPosition reason changesLost:u8 closes:u64}; {@code
 *       closes} names the open gap record it ends, or is 0
 *   <li>{@code B}: the source the journal is bound to ({@link SourceBinding}): {@code connector
 *       server database slot publication address}
 * </ul>
 *
 * Journals written before the chain existed (format 1) store bare change records.
 */
public final class LogRecords {
  public enum Kind {
    CHANGE,
    NOTE,
    RETENTION,
    GAP,
    TABLE,
    SCHEMA,
    PRUNED,
    BINDING
  }

  private static final int NOTE = 'N';
  private static final int RETENTION = 'R';
  private static final int GAP = 'G';
  private static final int TABLE = 'T';
  private static final int SCHEMA = 'S';
  private static final int PRUNED = 'D';
  private static final int TABLE_GAP = 'H';
  private static final int BINDING = 'B';

  private LogRecords() {}

  public static Kind kind(byte[] record) {
    return kind(record, 0, record.length);
  }

  /** The kind of the record in {@code length} bytes at {@code offset}. */
  public static Kind kind(byte[] bytes, int offset, int length) {
    int first = length == 0 ? -1 : bytes[offset] & 0xFF;
    if (EntryCodec.isChange(first)) {
      return Kind.CHANGE;
    }
    return switch (first) {
      case NOTE -> Kind.NOTE;
      case RETENTION -> Kind.RETENTION;
      case GAP, TABLE_GAP -> Kind.GAP;
      case BINDING -> Kind.BINDING;
      case TABLE -> Kind.TABLE;
      case SCHEMA -> Kind.SCHEMA;
      case PRUNED -> Kind.PRUNED;
      default -> throw new IllegalStateException("unknown record type " + first);
    };
  }

  /** The record inside a stored value. */
  public static byte[] record(byte[] value, boolean chained) {
    if (!chained) {
      return value;
    }
    if (value.length <= Chain.HASH_BYTES) {
      throw new IllegalStateException("stored value of " + value.length + " bytes has no record");
    }
    return Arrays.copyOf(value, value.length - Chain.HASH_BYTES);
  }

  /** The length of the record inside a stored value, which it starts. */
  public static int recordLength(int valueLength, boolean chained) {
    if (!chained) {
      return valueLength;
    }
    if (valueLength <= Chain.HASH_BYTES) {
      throw new IllegalStateException("stored value of " + valueLength + " bytes has no record");
    }
    return valueLength - Chain.HASH_BYTES;
  }

  /** The hash stored after a record. */
  public static byte[] hash(byte[] value) {
    return Arrays.copyOfRange(value, value.length - Chain.HASH_BYTES, value.length);
  }

  public static byte[] value(byte[] record, byte[] hash) {
    byte[] v = Arrays.copyOf(record, record.length + hash.length);
    System.arraycopy(hash, 0, v, record.length, hash.length);
    return v;
  }

  // ---------------------------------------------------------------- notes

  /** A transaction's note: its id and what the rowguard message said. */
  public record Note(String txId, TransactionTag tag) {}

  /**
   * A note's record. The transactions a rollback undid follow the message (only when there are
   * some, so that every other note is encoded as before they existed).
   */
  public static byte[] note(String txId, TransactionTag tag) {
    BinaryWriter w =
        new BinaryWriter(64 + tag.json().length())
            .writeByte(NOTE)
            .writeString(txId)
            .writeNullableString(tag.actor())
            .writeNullableString(tag.reason())
            .writeNullableString(tag.request())
            .writeNullableString(tag.rollback())
            .writeString(tag.json());
    if (!tag.undoes().isEmpty()) {
      w.writeVarLong(tag.undoes().size());
      tag.undoes().forEach(w::writeString);
    }
    return w.toByteArray();
  }

  public static Note decodeNote(byte[] record) {
    BinaryReader in = new BinaryReader(record);
    expect(in, NOTE);
    String txId = in.readString();
    String actor = in.readNullableString();
    String reason = in.readNullableString();
    String request = in.readNullableString();
    String rollback = in.readNullableString();
    String json = in.readString();
    List<String> undoes = new ArrayList<>();
    if (in.hasRemaining()) {
      for (long n = in.readVarLong(); n > 0; n--) {
        undoes.add(in.readString());
      }
    }
    TransactionTag tag = new TransactionTag(actor, reason, request, rollback, undoes, json);
    end(in);
    return new Note(txId, tag);
  }

  // ---------------------------------------------------------------- retention

  /**
   * What a prune kept and where the chain resumes.
   *
   * @param cutMicros entries committed before this were pruned
   * @param lastPrunedSeq the last sequence number of the pruned range; records up to it are the
   *     kept ones, records after it are chained from {@code hashAtCut}
   * @param hashAtCut the chain hash of record {@code lastPrunedSeq}
   * @param keptCount records kept in the pruned range (each row's last version before the cut, and
   *     the notes of their transactions)
   * @param keptDigest SHA-256 over the kept records, see {@link #keptDigest}
   * @param prunedAtMicros when the prune ran
   */
  public record Retention(
      long cutMicros,
      long lastPrunedSeq,
      byte[] hashAtCut,
      long keptCount,
      byte[] keptDigest,
      long prunedAtMicros) {}

  public static byte[] retention(Retention r) {
    return new BinaryWriter(96)
        .writeByte(RETENTION)
        .writeSignedVarLong(r.cutMicros())
        .writeLong(r.lastPrunedSeq())
        .writeBytes(r.hashAtCut())
        .writeVarLong(r.keptCount())
        .writeBytes(r.keptDigest())
        .writeSignedVarLong(r.prunedAtMicros())
        .toByteArray();
  }

  public static Retention decodeRetention(byte[] record) {
    BinaryReader in = new BinaryReader(record);
    expect(in, RETENTION);
    Retention r =
        new Retention(
            in.readSignedVarLong(),
            in.readLong(),
            in.readBytes(Chain.HASH_BYTES),
            in.readVarLong(),
            in.readBytes(Chain.HASH_BYTES),
            in.readSignedVarLong());
    end(in);
    return r;
  }

  /** Accumulates the digest of the records a prune keeps, in sequence order. */
  public static final class KeptDigest {
    private final java.security.MessageDigest sha = Chain.sha256();
    private long count;

    public void add(long seq, byte[] record) {
      sha.update(new BinaryWriter(12).writeLong(seq).writeInt(record.length).toByteArray());
      sha.update(record);
      count++;
    }

    public long count() {
      return count;
    }

    public byte[] digest() {
      return sha.digest();
    }
  }

  // ---------------------------------------------------------------- gaps

  public static byte[] gap(Gap g) {
    return new BinaryWriter(64)
        .writeByte(GAP)
        .writeSignedVarLong(g.fromMicros())
        .writeSignedVarLong(g.toMicros())
        .writeString(g.fromPosition())
        .writeString(g.toPosition())
        .writeString(g.reason())
        .toByteArray();
  }

  /** A gap as recorded, and the open gap record it closes (0: none). */
  public record StoredGap(Gap gap, long closes) {}

  /** A gap of any extent; {@code closes} names the open gap this record ends, or 0. */
  public static byte[] gap(Gap g, long closes) {
    BinaryWriter out = new BinaryWriter(96).writeByte(TABLE_GAP);
    if (g.table() == null) {
      out.writeByte(0);
    } else {
      out.writeByte(1).writeString(g.table().schema()).writeString(g.table().name());
    }
    return out.writeSignedVarLong(g.fromMicros())
        .writeSignedVarLong(g.toMicros())
        .writeString(g.fromPosition())
        .writeString(g.toPosition())
        .writeString(g.reason())
        .writeByte(g.changesLost() ? 1 : 0)
        .writeLong(closes)
        .toByteArray();
  }

  /** True for the gap records a prune keeps: all but the first form's (see {@code Pruner}). */
  public static boolean isKeptGap(byte[] record) {
    return record.length > 0 && record[0] == TABLE_GAP;
  }

  /** Decodes either form of gap record. */
  public static StoredGap decodeStoredGap(long seq, byte[] record) {
    if (record.length > 0 && record[0] == GAP) {
      return new StoredGap(decodeGap(seq, record), 0);
    }
    BinaryReader in = new BinaryReader(record);
    expect(in, TABLE_GAP);
    TableId table = in.readByte() == 0 ? null : TableId.of(in.readString(), in.readString());
    Gap g =
        new Gap(
            seq,
            table,
            in.readSignedVarLong(),
            in.readSignedVarLong(),
            in.readString(),
            in.readString(),
            in.readString(),
            in.readByte() != 0);
    long closes = in.readLong();
    end(in);
    return new StoredGap(g, closes);
  }

  public static Gap decodeGap(long seq, byte[] record) {
    if (record.length > 0 && record[0] == TABLE_GAP) {
      return decodeStoredGap(seq, record).gap();
    }
    BinaryReader in = new BinaryReader(record);
    expect(in, GAP);
    Gap g =
        new Gap(
            seq,
            in.readSignedVarLong(),
            in.readSignedVarLong(),
            in.readString(),
            in.readString(),
            in.readString());
    end(in);
    return g;
  }

  // ---------------------------------------------------------------- binding

  public static byte[] binding(SourceBinding b) {
    return new BinaryWriter(128)
        .writeByte(BINDING)
        .writeString(b.connector())
        .writeString(b.server())
        .writeString(b.database())
        .writeString(b.slot())
        .writeString(b.publication())
        .writeString(b.address())
        .toByteArray();
  }

  public static SourceBinding decodeBinding(byte[] record) {
    BinaryReader in = new BinaryReader(record);
    expect(in, BINDING);
    SourceBinding b =
        new SourceBinding(
            in.readString(),
            in.readString(),
            in.readString(),
            in.readString(),
            in.readString(),
            in.readString());
    end(in);
    return b;
  }

  // ---------------------------------------------------------------- registrations

  /** A registration: the {@code schemas} family's key and value it stands for. */
  public record Registration(byte[] key, byte[] value) {}

  public static byte[] table(byte[] registryKey, byte[] registryValue) {
    return new BinaryWriter(16 + registryValue.length)
        .writeByte(TABLE)
        .writeBlob(registryKey)
        .writeBlob(registryValue)
        .toByteArray();
  }

  public static byte[] schema(byte[] registryKey, byte[] registryValue) {
    return new BinaryWriter(16 + registryValue.length)
        .writeByte(SCHEMA)
        .writeBlob(registryKey)
        .writeBlob(registryValue)
        .toByteArray();
  }

  public static Registration decodeRegistration(byte[] record) {
    BinaryReader in = new BinaryReader(record);
    int t = in.readByte();
    if (t != TABLE && t != SCHEMA) {
      throw new IllegalStateException("expected a registration, found record type " + t);
    }
    Registration r = new Registration(in.readBlob(), in.readBlob());
    end(in);
    return r;
  }

  // ---------------------------------------------------------------- prune finished

  /** A prune finished deleting the range up to {@code lastPrunedSeq}. */
  public record Pruned(long lastPrunedSeq, long retentionSeq) {}

  public static byte[] pruned(Pruned p) {
    return new BinaryWriter(17)
        .writeByte(PRUNED)
        .writeLong(p.lastPrunedSeq())
        .writeLong(p.retentionSeq())
        .toByteArray();
  }

  public static Pruned decodePruned(byte[] record) {
    BinaryReader in = new BinaryReader(record);
    expect(in, PRUNED);
    Pruned p = new Pruned(in.readLong(), in.readLong());
    end(in);
    return p;
  }

  private static void expect(BinaryReader in, int type) {
    int t = in.readByte();
    if (t != type) {
      throw new IllegalStateException("expected record type " + (char) type + ", found " + t);
    }
  }

  private static void end(BinaryReader in) {
    if (in.hasRemaining()) {
      throw new IllegalStateException("trailing bytes at offset " + in.position());
    }
  }
}
