package io.rowguard.connectors.internal;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Column;
import io.rowguard.core.Op;
import io.rowguard.core.PerTable;
import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.core.ValueType;
import io.rowguard.core.Values;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Turns Debezium's Connect records into rowguard's {@link ChangeEvent}s and transaction markers.
 * Reads the {@link Struct}s directly (no JSON on the way). Table schemas are converted once per
 * Connect schema object, which Debezium reuses until the table changes.
 */
public final class RecordTranslator {

  /** What a record is, for the journaling consumer. */
  public enum Kind {
    CHANGE,
    SNAPSHOT_READ,
    BEGIN,
    END,
    MESSAGE,
    TRUNCATE,
    OTHER
  }

  private final Map<Schema, TableSchema> schemas = new IdentityHashMap<>();
  private final Map<TableSchema, Integer> actorColumn = new IdentityHashMap<>();
  private final List<Object> placeholders;

  private final long snapshotPointMicros;
  private final PerTable<String> actorColumns;

  public RecordTranslator(String placeholder, long snapshotPointMicros) {
    this(placeholder, snapshotPointMicros, PerTable.none());
  }

  /**
   * @param placeholder the value Debezium puts where the log left a value out
   * @param snapshotPointMicros a server time no later than the initial snapshot's consistent point;
   *     snapshot rows are dated there, so that every streamed change sorts after them
   * @param actorColumns per table, the column whose new value names who wrote the row
   */
  public RecordTranslator(
      String placeholder, long snapshotPointMicros, PerTable<String> actorColumns) {
    this.snapshotPointMicros = snapshotPointMicros;
    this.actorColumns = actorColumns;
    byte[] bytes = placeholder.getBytes(StandardCharsets.UTF_8);
    String uuid = UUID.nameUUIDFromBytes(bytes).toString();
    List<Object> ints = new ArrayList<>();
    List<Object> longs = new ArrayList<>();
    for (byte b : bytes) {
      ints.add((int) b);
      longs.add((long) b);
    }
    this.placeholders =
        List.of(
            placeholder,
            bytes,
            uuid,
            List.of(placeholder),
            List.of((Object) bytes),
            List.of(uuid),
            ints,
            longs,
            Map.of(placeholder, placeholder));
  }

  public static Kind kind(SourceRecord record) {
    if (!(record.value() instanceof Struct value)) {
      return Kind.OTHER;
    }
    Schema schema = value.schema();
    if (schema.field("status") != null && schema.field("id") != null) {
      String status = value.getString("status");
      return "BEGIN".equals(status) ? Kind.BEGIN : "END".equals(status) ? Kind.END : Kind.OTHER;
    }
    if (schema.field("op") == null) {
      return Kind.OTHER;
    }
    String op = value.getString("op");
    if (op == null || op.length() != 1) {
      return Kind.OTHER;
    }
    return switch (op.charAt(0)) {
      case 'c', 'u', 'd' -> Kind.CHANGE;
      case 'r' -> Kind.SNAPSHOT_READ;
      case 'm' -> Kind.MESSAGE;
      case 't' -> Kind.TRUNCATE;
      default -> Kind.OTHER;
    };
  }

  /** True for the last record of the initial snapshot. */
  public static boolean isLastSnapshotRecord(SourceRecord record) {
    Struct source = ((Struct) record.value()).getStruct("source");
    return source != null && "last".equals(source.getString("snapshot"));
  }

  /** True for the first record of a snapshot. */
  public static boolean isFirstSnapshotRecord(SourceRecord record) {
    Struct source = ((Struct) record.value()).getStruct("source");
    return source != null && "first".equals(source.getString("snapshot"));
  }

  /** The message prefix rowguard and its client helper write with. */
  public static final String MESSAGE_PREFIX = "rowguard";

  /**
   * The content of a transactional logical message with prefix {@code rowguard}, as text; other
   * messages are not rowguard's.
   */
  public static Optional<String> rowguardMessage(SourceRecord record) {
    Struct value = (Struct) record.value();
    if (value.schema().field("message") == null) {
      return Optional.empty();
    }
    Struct message = value.getStruct("message");
    if (message == null || !MESSAGE_PREFIX.equals(message.getString("prefix"))) {
      return Optional.empty();
    }
    Object content = message.get("content");
    if (content instanceof byte[] bytes) {
      return Optional.of(new String(bytes, StandardCharsets.UTF_8));
    }
    if (content instanceof ByteBuffer buffer) {
      return Optional.of(StandardCharsets.UTF_8.decode(buffer.duplicate()).toString());
    }
    return Optional.ofNullable(content == null ? null : content.toString());
  }

  /** The source transaction id of a change or marker record, as text. */
  public static String txId(SourceRecord record) {
    Struct value = (Struct) record.value();
    Struct source = value.schema().field("source") != null ? value.getStruct("source") : null;
    if (source != null && source.schema().field("txId") != null) {
      Object tx = source.get("txId");
      if (tx != null) {
        return tx.toString();
      }
    }
    if (value.schema().field("id") != null) {
      // BEGIN/END: Debezium's id is "txId:lsn" for PostgreSQL.
      String id = value.getString("id");
      int colon = id.indexOf(':');
      return colon < 0 ? id : id.substring(0, colon);
    }
    return "";
  }

  public ChangeEvent toChangeEvent(SourceRecord record, int orderInTx) {
    Struct value = (Struct) record.value();
    Op op = Op.ofCode(value.getString("op").charAt(0));
    Struct source = value.getStruct("source");
    Struct beforeStruct = value.getStruct("before");
    Struct afterStruct = value.getStruct("after");
    Struct any = afterStruct != null ? afterStruct : beforeStruct;
    if (any == null) {
      throw new IllegalStateException(
          "change record without row images on topic "
              + record.topic()
              + "; rowguard needs REPLICA IDENTITY FULL");
    }
    TableId table = TableId.of(source.getString("schema"), source.getString("table"));
    TableSchema schema = tableSchema(table, any.schema(), record.keySchema());
    Row before = op == Op.UPDATE || op == Op.DELETE ? row(schema, beforeStruct, false) : null;
    Row after = op == Op.DELETE ? null : row(schema, afterStruct, op == Op.UPDATE);
    if ((op == Op.UPDATE || op == Op.DELETE) && before == null) {
      throw new IllegalStateException(
          "table "
              + table
              + " sent an "
              + op.name().toLowerCase(java.util.Locale.ROOT)
              + " without its before image; run ALTER TABLE "
              + table.quoted()
              + " REPLICA IDENTITY FULL");
    }
    long commitMicros = commitMicros(source);
    if (op == Op.READ) {
      // A snapshot row is the row as of the snapshot's consistent point, not when it was read;
      // streamed changes all commit after that point.
      commitMicros = Math.min(commitMicros, snapshotPointMicros);
    }
    return new ChangeEvent(
        schema,
        op,
        before,
        after,
        commitMicros,
        txId(record),
        position(source),
        orderInTx,
        actor(schema, op, before, after));
  }

  /**
   * The actor the change itself names: the new value of the table's actor column when this change
   * set it (an insert, or an update that changed it). An update that left the column alone says
   * nothing about who made it, and a delete leaves no new value: both are unattributed.
   */
  private String actor(TableSchema schema, Op op, Row before, Row after) {
    int i =
        actorColumn.computeIfAbsent(
            schema, s -> actorColumns.get(s.table()).map(s::indexOf).orElse(-1));
    if (i < 0 || after == null || (op != Op.INSERT && op != Op.UPDATE)) {
      return null;
    }
    Object v = after.get(i);
    if (v == null || v == Row.UNAVAILABLE || v instanceof byte[]) {
      return null;
    }
    if (op == Op.UPDATE && before != null && Values.equal(before.get(i), v)) {
      return null;
    }
    String text = v.toString().strip();
    return text.isEmpty() ? null : text;
  }

  private static long commitMicros(Struct source) {
    if (source.schema().field("ts_us") != null && source.get("ts_us") != null) {
      return source.getInt64("ts_us");
    }
    return source.getInt64("ts_ms") * 1000L;
  }

  private static String position(Struct source) {
    if (source.schema().field("lsn") != null && source.get("lsn") != null) {
      long lsn = source.getInt64("lsn");
      return Long.toHexString(lsn >>> 32).toUpperCase(java.util.Locale.ROOT)
          + "/"
          + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(java.util.Locale.ROOT);
    }
    return "";
  }

  private TableSchema tableSchema(TableId table, Schema rowSchema, Schema keySchema) {
    TableSchema cached = schemas.get(rowSchema);
    if (cached != null) {
      return cached;
    }
    List<Column> columns = new ArrayList<>();
    for (Field f : rowSchema.fields()) {
      columns.add(new Column(f.name(), convert(f.schema())));
    }
    List<String> key = new ArrayList<>();
    if (keySchema != null && keySchema.type() == Schema.Type.STRUCT) {
      for (Field f : keySchema.fields()) {
        key.add(f.name());
      }
    }
    if (key.isEmpty()) {
      throw new IllegalStateException(
          "table " + table + " has no primary key; rowguard needs one to identify rows");
    }
    TableSchema schema = new TableSchema(table, columns, key);
    schemas.put(rowSchema, schema);
    return schema;
  }

  static ValueSchema convert(Schema s) {
    String name = s.name();
    Map<String, String> params =
        s.parameters() == null ? Map.of() : new LinkedHashMap<>(s.parameters());
    if (org.apache.kafka.connect.data.Decimal.LOGICAL_NAME.equals(name)) {
      return new ValueSchema(ValueType.STRING, name, s.isOptional(), null, null, List.of(), params);
    }
    return switch (s.type()) {
      case ARRAY ->
          new ValueSchema(
              ValueType.ARRAY,
              name,
              s.isOptional(),
              convert(s.valueSchema()),
              null,
              List.of(),
              params);
      case MAP ->
          new ValueSchema(
              ValueType.MAP,
              name,
              s.isOptional(),
              convert(s.keySchema()),
              convert(s.valueSchema()),
              List.of(),
              params);
      case STRUCT -> {
        List<ValueSchema.Field> fields = new ArrayList<>();
        for (Field f : s.fields()) {
          fields.add(new ValueSchema.Field(f.name(), convert(f.schema())));
        }
        yield new ValueSchema(ValueType.STRUCT, name, s.isOptional(), null, null, fields, params);
      }
      default ->
          new ValueSchema(
              ValueType.valueOf(s.type().name()),
              name,
              s.isOptional(),
              null,
              null,
              List.of(),
              params);
    };
  }

  private Row row(TableSchema schema, Struct struct, boolean mayHavePlaceholders) {
    if (struct == null) {
      return null;
    }
    Object[] values = new Object[schema.size()];
    List<Field> fields = struct.schema().fields();
    for (int i = 0; i < values.length; i++) {
      Object v = normalize(struct.get(fields.get(i)), schema.column(i).schema());
      if (mayHavePlaceholders && v != null && isPlaceholder(v)) {
        v = Row.UNAVAILABLE;
      }
      values[i] = v;
    }
    return Row.of(schema, values);
  }

  private boolean isPlaceholder(Object v) {
    for (Object p : placeholders) {
      if (Values.equal(v, p)) {
        return true;
      }
    }
    return false;
  }

  /** Connect's Java values to the classes {@link ValueType} names. */
  static Object normalize(Object v, ValueSchema schema) {
    if (v == null) {
      return null;
    }
    if (v instanceof ByteBuffer b) {
      ByteBuffer d = b.duplicate();
      byte[] out = new byte[d.remaining()];
      d.get(out);
      return out;
    }
    if (v instanceof BigDecimal d) {
      return d.toPlainString();
    }
    if (v instanceof java.util.Date d) {
      long millis = d.getTime();
      return switch (schema.type()) {
        case INT32 ->
            org.apache.kafka.connect.data.Date.LOGICAL_NAME.equals(schema.logicalName())
                ? (int) Math.floorDiv(millis, 86_400_000L)
                : (int) millis;
        default -> millis;
      };
    }
    if (v instanceof Struct s) {
      List<Object> out = new ArrayList<>(schema.fields().size());
      List<Field> fields = s.schema().fields();
      for (int i = 0; i < fields.size(); i++) {
        out.add(normalize(s.get(fields.get(i)), schema.fields().get(i).schema()));
      }
      return out;
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object e : list) {
        out.add(normalize(e, schema.element()));
      }
      return out;
    }
    if (v instanceof Map<?, ?> map) {
      Map<Object, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        out.put(
            normalize(e.getKey(), schema.element()), normalize(e.getValue(), schema.mapValue()));
      }
      return out;
    }
    return v;
  }
}
